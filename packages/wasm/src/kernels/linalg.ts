import { type Shape, type View, batchOffsets, broadcastStrides, isDenseBatch, sizeOf } from '@pixgrad/core';
import type { WasmBackend, WasmBuf } from '../backend.js';
import type { KernelModule, WasmRuntime } from '../runtime.js';
import { hasRelaxedSimd } from '../asm.js';
import { GEMM_FUNCS, KC, MR, NR, gemmModule } from './gemm.js';

/** One GEMM: C [M, N] (+)= A [M, K] B [K, N], addresses and strides in bytes. */
export interface GemmArgs {
  M: number;
  N: number;
  K: number;
  /** packed A (packA), or A in place with rows `lda` bytes apart and k contiguous */
  pa: number;
  lda?: number;
  /** B packed (packB), or in place with rows `ldb` bytes apart and columns contiguous */
  pb: number;
  bPacked: boolean;
  ldb?: number;
  /** A packed as one block over all of K (conv.ts's packTapWeights), not in blocks of KC (packA) */
  wholeK?: boolean;
  /** ntaps byte offsets into B (an i32 table): K is then the depth per tap */
  taps?: number;
  ntaps?: number;
  c: number;
  ldc: number;
  add?: boolean;
}

/** The GEMM kernels compiled for a runtime, and the drivers that pack operands and split the work. */
export class Gemm {
  readonly mod: KernelModule;
  /** a one-entry tap table (offset 0): a plain GEMM */
  private readonly tap0: number;
  constructor(readonly rt: WasmRuntime) {
    this.mod = rt.compile(gemmModule(rt.memoryImport, hasRelaxedSimd()), GEMM_FUNCS);
    this.tap0 = rt.alloc(4);
    rt.i32(this.tap0, 1)[0] = 0;
  }

  /**
   * Packs A [M, K] (element (i, p) at a + i*ars + p*acs, byte strides) into 4-row strips, in
   * blocks of KC along K, at pa (Mp * K floats, Mp = M rounded up to 4).
   */
  packA(a: number, M: number, K: number, ars: number, acs: number, pa: number, threads: number): void {
    const Mp = Math.ceil(M / MR) * MR;
    for (let k0 = 0; k0 < K; k0 += KC) this.rt.run(this.mod, 'pack', [a + k0 * acs, M, MR, Math.min(KC, K - k0), ars, acs, pa + k0 * Mp * 4], threads);
  }
  /** Packs B [K, N] (element (p, j) at b + p*brs + j*bcs) into 8-column strips, in blocks of KC, at pb. */
  packB(b: number, K: number, N: number, brs: number, bcs: number, pb: number, threads: number): void {
    const Np = Math.ceil(N / NR) * NR;
    for (let k0 = 0; k0 < K; k0 += KC) this.rt.run(this.mod, 'pack', [b + k0 * brs, N, NR, Math.min(KC, K - k0), bcs, brs, pb + k0 * Np * 4], threads);
  }

  /**
   * C [M, N] (row stride ldc bytes) = (or +=, with `add`) packed A times B. B is packed (bPacked)
   * or read in place with row stride ldb bytes through `taps` (ntaps byte offsets; K is then the
   * depth per tap and is not blocked).
   */
  gemm(o: GemmArgs, threads: number): void {
    const tmp = this.rt.alloc(MR * NR * 4 * this.rt.threads);
    const ntaps = o.ntaps ?? 1;
    const K = ntaps > 1 || o.wholeK ? Math.max(o.K, 1) : KC;
    const args = [o.M, o.N, o.K, K, ntaps, o.taps ?? this.tap0, o.pa, o.lda ?? 0, o.pb, o.ldb ?? 0, o.bPacked ? 1 : 0, o.c, o.ldc, o.add ? 1 : 0, tmp];
    this.rt.run(this.mod, o.lda === undefined ? 'gemm' : 'gemmS', args, threads);
    this.rt.free_(tmp);
  }

  /** The Backend's batched matmul (see Backend.matmul), float32. */
  matmul(be: WasmBackend, a: View<WasmBuf>, b: View<WasmBuf>, transA: boolean, transB: boolean, outShape: Shape): WasmBuf {
    const rank = outShape.length;
    const M = outShape[rank - 2]!;
    const N = outShape[rank - 1]!;
    const K = a.shape[a.shape.length - (transA ? 2 : 1)]!;
    const batchShape = outShape.slice(0, rank - 2);
    const batch = sizeOf(batchShape);
    const out = be.alloc(batch * M * N, a.dtype);
    if (out.length === 0) return out;
    if (K === 0) {
      be.view(out).fill(0);
      return out;
    }
    // byte strides of A(i, p) and B(p, j) inside one matrix
    const ars = (transA ? 1 : K) * 4,
      acs = (transA ? M : 1) * 4;
    const brs = (transB ? 1 : N) * 4,
      bcs = (transB ? K : 1) * 4;
    const aBatch = broadcastStrides(a.shape.slice(0, -2), batchShape).map((s) => s * M * K * 4);
    const bBatch = broadcastStrides(b.shape.slice(0, -2), batchShape).map((s) => s * K * N * 4);
    // B shared by the whole batch and A's rows dense: the batch folds into M, one GEMM
    const fold = !transA && bBatch.every((s) => s === 0) && isDenseBatch(aBatch, batchShape, M * K * 4);
    const m = fold ? batch * M : M;
    const threads = this.rt.threadsFor(m * N * K);
    const pa = this.rt.alloc(Math.ceil(m / MR) * MR * K * 4);
    const pb = this.rt.alloc(Math.ceil(N / NR) * NR * K * 4);
    try {
      let packedB = -1;
      const offsets = fold ? [[0, 0]] : batchOffsets(batchShape, [aBatch, bBatch]);
      let t = 0;
      for (const [aOff, bOff] of offsets) {
        this.packA(a.buf.ptr + aOff!, m, K, ars, acs, pa, threads);
        // a B shared by consecutive matrices is packed once
        if (bOff !== packedB) this.packB(b.buf.ptr + bOff!, K, N, brs, bcs, pb, threads);
        packedB = bOff!;
        this.gemm({ M: m, N, K, pa, pb, bPacked: true, c: out.ptr + t++ * M * N * 4, ldc: N * 4 }, threads);
      }
    } finally {
      this.rt.free_(pa);
      this.rt.free_(pb);
    }
    return out;
  }
}
