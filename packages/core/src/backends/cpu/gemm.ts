import type { DataArray } from '../../dtype.js';
import { type GemmSimd, loadGemmSimd } from './gemm-simd.js';

/**
 * The one matrix-multiply kernel of the CPU backend (matmul and every convolution go through it):
 *
 *   C[i, j] += sum_p A(i, p) * B(p, j)    for 0 <= i < m, 0 <= j < n, 0 <= p < k
 *
 * with A(i, p) = a[aOff + i*ars + p*acs] and B(p, j) = b[bOff + p*brs + j*bcs], so transposed
 * operands are read in place (no transposed copies), and C a Float64Array with row stride ldc.
 *
 * Structure (after Goto & van de Geijn, "Anatomy of high-performance matrix multiplication", and
 * BLIS): B is packed per (KC x NC) block into panels of NR columns, A per (MC x KC) block into
 * panels of MR rows, each panel contiguous in p; a 4x4 register-blocked micro-kernel then runs
 * over each pair of panels with 16 accumulators held in locals. Packing converts to float64, so
 * the micro-kernel reads one array type only (monomorphic), accumulates in float64 whatever the
 * dtype, and the zero-padded panel edges make it branch-free; edge tiles store only their valid
 * part. The micro-kernel runs in WebAssembly SIMD where the engine has it (gemm-simd.ts: about 10
 * GFLOP/s on one core of the 2-core development machine, 2048^3 float64 in 1.7 s) and in this file's
 * JS otherwise (2.8-4 GFLOP/s), with bit-identical results; tfjs-backend-cpu's blocked loop reaches
 * about 0.7 GFLOP/s (bench/README.md).
 */

const MR = 4;
const NR = 4;
/** depth of a packed block: a 4 x KC panel of A and a KC x 4 panel of B stay in L1 */
const KC = 256;
/** rows of A per packed block (MC x KC doubles = 128 KiB, in L2) */
const MC = 64;
/** columns of B per packed block (KC x NC doubles = 8 MiB at most) */
const NC = 4096;

const edge = new Float64Array(MR * NR);

// The micro-kernel runs in WebAssembly SIMD where the engine has it (gemm-simd.ts: about half the
// instructions per FMA, bit-identical results); the packing buffers then live in its memory.
// Compiled (and its 8.8 MB memory taken) on the first GEMM, not at import: WebGPU-only users never pay for it.
let simd: GemmSimd | undefined | null = null;
let useSimd = true;
function simdKernel(): GemmSimd | undefined {
  if (simd === null) simd = loadGemmSimd();
  return useSimd ? simd : undefined;
}

// packing buffers, grown on demand and reused across calls (the backend is single-threaded)
const packA = new Float64Array(MC * KC);
let packB = new Float64Array(KC * 256);

/** Which micro-kernel the CPU GEMM runs: 'wasm-simd' or 'js'. */
export function gemmKernel(): 'wasm-simd' | 'js' {
  return simdKernel() ? 'wasm-simd' : 'js';
}

/** @internal tests: run the JS micro-kernel even where WebAssembly SIMD is available (false), or return to it (true). */
export function _useSimdGemm(on: boolean): void {
  useSimd = on;
}

export function gemm(
  m: number,
  n: number,
  k: number,
  a: DataArray,
  aOff: number,
  ars: number,
  acs: number,
  b: DataArray,
  bOff: number,
  brs: number,
  bcs: number,
  c: Float64Array,
  cOff: number,
  ldc: number,
): void {
  if (m === 0 || n === 0 || k === 0) return;
  const s = simdKernel();
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    const nPanels = Math.ceil(nc / NR);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      if (!s && packB.length < nPanels * NR * kc) packB = new Float64Array(nPanels * NR * kc);
      packPanelsB(b, bOff + pc * brs + jc * bcs, brs, bcs, kc, nc, s ? s.packB : packB);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        const mPanels = Math.ceil(mc / MR);
        packPanelsA(a, aOff + ic * ars + pc * acs, ars, acs, mc, kc, s ? s.packA : packA);
        for (let jp = 0; jp < nPanels; jp++) {
          const j0 = jc + jp * NR;
          const nr = Math.min(NR, n - j0);
          for (let ip = 0; ip < mPanels; ip++) {
            const i0 = ic + ip * MR;
            const mr = Math.min(MR, m - i0);
            const ci = cOff + i0 * ldc + j0;
            if (s) {
              s.micro(kc, s.aBase + ip * MR * kc * 8, s.bBase + jp * NR * kc * 8, s.tileBase);
              addTile(s.tile, c, ci, ldc, mr, nr);
            } else micro(kc, packA, ip * MR * kc, packB, jp * NR * kc, c, ci, ldc, mr, nr);
          }
        }
      }
    }
  }
}

/** C[0..mr, 0..nr] += the 4x4 tile (row-major). */
function addTile(t: Float64Array, c: Float64Array, ci: number, ldc: number, mr: number, nr: number): void {
  if (mr === MR && nr === NR) {
    for (let i = 0; i < MR; i++, ci += ldc) {
      c[ci] += t[i * NR]!;
      c[ci + 1] += t[i * NR + 1]!;
      c[ci + 2] += t[i * NR + 2]!;
      c[ci + 3] += t[i * NR + 3]!;
    }
    return;
  }
  for (let i = 0; i < mr; i++, ci += ldc) for (let j = 0; j < nr; j++) c[ci + j] += t[i * NR + j]!;
}

/** B block (kc x nc from `off`) into panels of NR columns: panel q holds rows p = 0..kc-1, NR values each. */
function packPanelsB(b: DataArray, off: number, brs: number, bcs: number, kc: number, nc: number, out: Float64Array): void {
  let o = 0;
  for (let j0 = 0; j0 < nc; j0 += NR) {
    const nr = Math.min(NR, nc - j0);
    let row = off + j0 * bcs;
    if (nr === NR) {
      if (bcs === 1) {
        for (let p = 0; p < kc; p++, row += brs, o += NR) {
          out[o] = b[row]!;
          out[o + 1] = b[row + 1]!;
          out[o + 2] = b[row + 2]!;
          out[o + 3] = b[row + 3]!;
        }
      } else {
        for (let p = 0; p < kc; p++, row += brs, o += NR) {
          out[o] = b[row]!;
          out[o + 1] = b[row + bcs]!;
          out[o + 2] = b[row + 2 * bcs]!;
          out[o + 3] = b[row + 3 * bcs]!;
        }
      }
    } else {
      for (let p = 0; p < kc; p++, row += brs, o += NR) {
        let j = 0;
        for (; j < nr; j++) out[o + j] = b[row + j * bcs]!;
        for (; j < NR; j++) out[o + j] = 0;
      }
    }
  }
}

/** A block (mc x kc from `off`) into panels of MR rows: panel q holds columns p = 0..kc-1, MR values each. */
function packPanelsA(a: DataArray, off: number, ars: number, acs: number, mc: number, kc: number, out: Float64Array): void {
  let o = 0;
  for (let i0 = 0; i0 < mc; i0 += MR) {
    const mr = Math.min(MR, mc - i0);
    let col = off + i0 * ars;
    if (mr === MR) {
      if (ars === 1) {
        for (let p = 0; p < kc; p++, col += acs, o += MR) {
          out[o] = a[col]!;
          out[o + 1] = a[col + 1]!;
          out[o + 2] = a[col + 2]!;
          out[o + 3] = a[col + 3]!;
        }
      } else {
        for (let p = 0; p < kc; p++, col += acs, o += MR) {
          out[o] = a[col]!;
          out[o + 1] = a[col + ars]!;
          out[o + 2] = a[col + 2 * ars]!;
          out[o + 3] = a[col + 3 * ars]!;
        }
      }
    } else {
      for (let p = 0; p < kc; p++, col += acs, o += MR) {
        let i = 0;
        for (; i < mr; i++) out[o + i] = a[col + i * ars]!;
        for (; i < MR; i++) out[o + i] = 0;
      }
    }
  }
}

/** C[0..mr, 0..nr] += (4 x kc panel of A) . (kc x 4 panel of B), 16 accumulators in locals. */
function micro(kc: number, A: Float64Array, ia: number, B: Float64Array, ib: number, C: Float64Array, ci: number, ldc: number, mr: number, nr: number): void {
  let c00 = 0,
    c01 = 0,
    c02 = 0,
    c03 = 0;
  let c10 = 0,
    c11 = 0,
    c12 = 0,
    c13 = 0;
  let c20 = 0,
    c21 = 0,
    c22 = 0,
    c23 = 0;
  let c30 = 0,
    c31 = 0,
    c32 = 0,
    c33 = 0;
  for (let p = 0; p < kc; p++, ia += MR, ib += NR) {
    const b0 = B[ib]!,
      b1 = B[ib + 1]!,
      b2 = B[ib + 2]!,
      b3 = B[ib + 3]!;
    let a = A[ia]!;
    c00 += a * b0;
    c01 += a * b1;
    c02 += a * b2;
    c03 += a * b3;
    a = A[ia + 1]!;
    c10 += a * b0;
    c11 += a * b1;
    c12 += a * b2;
    c13 += a * b3;
    a = A[ia + 2]!;
    c20 += a * b0;
    c21 += a * b1;
    c22 += a * b2;
    c23 += a * b3;
    a = A[ia + 3]!;
    c30 += a * b0;
    c31 += a * b1;
    c32 += a * b2;
    c33 += a * b3;
  }
  if (mr === MR && nr === NR) {
    C[ci] += c00;
    C[ci + 1] += c01;
    C[ci + 2] += c02;
    C[ci + 3] += c03;
    ci += ldc;
    C[ci] += c10;
    C[ci + 1] += c11;
    C[ci + 2] += c12;
    C[ci + 3] += c13;
    ci += ldc;
    C[ci] += c20;
    C[ci + 1] += c21;
    C[ci + 2] += c22;
    C[ci + 3] += c23;
    ci += ldc;
    C[ci] += c30;
    C[ci + 1] += c31;
    C[ci + 2] += c32;
    C[ci + 3] += c33;
    return;
  }
  const t = edge;
  t[0] = c00;
  t[1] = c01;
  t[2] = c02;
  t[3] = c03;
  t[4] = c10;
  t[5] = c11;
  t[6] = c12;
  t[7] = c13;
  t[8] = c20;
  t[9] = c21;
  t[10] = c22;
  t[11] = c23;
  t[12] = c30;
  t[13] = c31;
  t[14] = c32;
  t[15] = c33;
  addTile(t, C, ci, ldc, mr, nr);
}
