import {
  type Backend,
  type BackendCounters,
  type BackendMemory,
  CpuBackend,
  type DataArray,
  type DType,
  DTypeError,
  type FusedProgram,
  type FusionKernels,
  type ExprNode,
  type Shape,
  type View,
  broadcastLeafStrides,
  bytesPerElement,
  contiguousStrides,
  evaluateUnfused,
  resultDType,
  sizeOf,
  viewArray,
} from '@pixgrad/core';
import type { KernelModule, WasmRuntime } from './runtime.js';
import { Gemm } from './kernels/linalg.js';
import { Conv } from './kernels/conv.js';
import { FusedKernels } from './kernels/fused.js';
import { poolModule } from './kernels/pool.js';

/** A buffer on the wasm device: a block of the runtime's memory. */
export class WasmBuf {
  constructor(
    /** byte address in the wasm memory */
    readonly ptr: number,
    /** elements */
    readonly length: number,
    readonly dtype: DType,
  ) {}
}

/**
 * The wasm device: float32 (and int32, bool) buffers in one WebAssembly memory, kernels emitted
 * by TypeScript as WebAssembly SIMD and run on every core (runtime.ts).
 *
 * The kernels that carry the work (matmul, convolutions and their gradients, the fused
 * elementwise programs, ...) are wasm. Every other primitive runs the CPU backend's kernel over
 * views of the same memory and copies its result in: the same definition, so the device is
 * complete, and a kernel moves to wasm when a workload needs its speed.
 */
export class WasmBackend implements Backend<WasmBuf>, FusionKernels<WasmBuf> {
  readonly device = 'wasm' as const;
  readonly fusionLimits = { maxLeaves: 16, maxNodes: 96 };
  readonly fuseAllReductions = true;
  private readonly cpu = new CpuBackend();
  private live = 0;
  private liveBytes = 0;
  private dispatched = 0;
  private allocated = 0;
  private readonly gemm: Gemm;
  private readonly conv: Conv;
  private readonly fusedKernels: FusedKernels;
  private readonly pool: KernelModule;

  constructor(readonly rt: WasmRuntime) {
    this.gemm = new Gemm(rt);
    this.conv = new Conv(this, this.gemm);
    this.fusedKernels = new FusedKernels(rt);
    this.pool = rt.compile(poolModule(rt.memoryImport), ['maxpool']);
  }

  // ---------------------------------------------------------------- memory

  checkDType(dtype: DType, op: string): void {
    if (dtype === 'float64') {
      throw new DTypeError(
        `wasm ${op}: float64 is not supported on the wasm device (its kernels are float32 SIMD); cast to float32 first, or use the cpu device for float64 work such as gradcheck`,
      );
    }
  }

  /** a new buffer of n elements of dtype (counted as one allocation) */
  alloc(n: number, dtype: DType): WasmBuf {
    this.checkDType(dtype, 'alloc');
    const b = new WasmBuf(this.rt.alloc(n * bytesPerElement(dtype)), n, dtype);
    this.live++;
    this.allocated++;
    this.liveBytes += n * bytesPerElement(dtype);
    return b;
  }

  /** a typed-array view of a buffer (valid until the memory next grows) */
  view(b: WasmBuf): DataArray {
    return viewArray(b.dtype, this.rt.memory.buffer, b.ptr, b.length);
  }

  upload(data: DataArray, dtype: DType): WasmBuf {
    const b = this.alloc(data.length, dtype);
    this.view(b).set(data);
    return b;
  }
  fill(size: number, value: number, dtype: DType): WasmBuf {
    const b = this.alloc(size, dtype);
    this.view(b).fill(value);
    this.dispatched++;
    return b;
  }
  read(x: View<WasmBuf>): Promise<DataArray> {
    return Promise.resolve(this.readSync(x));
  }
  readSync(x: View<WasmBuf>): DataArray {
    return this.view(x.buf).slice();
  }
  dispose(b: WasmBuf): void {
    this.conv.forget(b);
    this.rt.free_(b.ptr);
    this.live--;
    this.liveBytes -= b.length * bytesPerElement(b.dtype);
  }
  memory(): BackendMemory {
    return { buffers: this.live, bytes: this.liveBytes };
  }
  counters(): BackendCounters {
    return { dispatches: this.dispatched, allocations: this.allocated };
  }

  // ---------------------------------------------------------------- the CPU kernels over the same memory

  private host<T extends { buf: WasmBuf }>(x: T): T & { buf: DataArray } {
    return { ...x, buf: this.view(x.buf) } as unknown as T & { buf: DataArray };
  }
  /** the CPU kernel's result copied into a new buffer */
  private adopt(a: DataArray, dtype: DType): WasmBuf {
    this.dispatched++;
    return this.upload(a, dtype);
  }
  private hostProgram(p: FusedProgram<WasmBuf>): FusedProgram<DataArray> {
    return { ...p, leaves: p.leaves.map((l) => ({ ...l, buf: this.view(l.buf) })) };
  }

  /** A program on the generated kernels where they take it (float32 and bool, not empty), else `fallback` (a CPU kernel) copied in. */
  private viaProgram(p: FusedProgram<WasmBuf>, fallback: () => DataArray): WasmBuf {
    if (sizeOf(p.shape) > 0 && this.fusedKernels.supports(p)) {
      this.dispatched++;
      return this.fusedKernels.fused(this, p);
    }
    return this.adopt(fallback(), resultDType(p));
  }

  fused(p: FusedProgram<WasmBuf>): WasmBuf {
    return this.viaProgram(p, () => {
      const hp = this.hostProgram(p);
      return this.cpu.fused ? this.cpu.fused(hp) : evaluateUnfused(this.cpu, hp);
    });
  }
  fusedReduce(op: Parameters<Backend['reduce']>[0], p: FusedProgram<WasmBuf>, axes: readonly number[]): WasmBuf {
    if (this.fusedKernels.supports(p)) {
      this.dispatched++;
      return this.fusedKernels.fusedReduce(this, op, p, axes);
    }
    const hp = this.hostProgram(p);
    const dtype = resultDType(p);
    if (this.cpu.fusedReduce) return this.adopt(this.cpu.fusedReduce(op, hp, axes), dtype);
    const v = evaluateUnfused(this.cpu, hp);
    return this.adopt(this.cpu.reduce(op, { buf: v, shape: p.shape, dtype }, axes), dtype);
  }

  /**
   * One elementwise op as a one-node program of the fused kernels (the same math as inside a
   * fused program, so fused and unfused results agree), or the CPU kernel for int32 work.
   */
  private single(node: (ids: number[]) => ExprNode, xs: readonly View<WasmBuf>[], outShape: Shape, cpu: () => DataArray): WasmBuf {
    const nodes: ExprNode[] = xs.map((x, k) => ({ k: 'leaf', dtype: x.dtype, leaf: k }));
    nodes.push(node(xs.map((_, k) => k)));
    const p: FusedProgram<WasmBuf> = {
      shape: outShape,
      nodes,
      leaves: xs.map((x) => ({ buf: x.buf, dtype: x.dtype, strides: broadcastLeafStrides(contiguousStrides(x.shape), x.shape, outShape), offset: 0 })),
    };
    return this.viaProgram(p, cpu);
  }

  unary: Backend<WasmBuf>['unary'] = (op, x, params) =>
    this.single(
      ([a]) => ({ k: 'unary', dtype: x.dtype, op, params, x: a! }),
      [x],
      x.shape,
      () => this.cpu.unary(op, this.host(x), params),
    );
  binary: Backend<WasmBuf>['binary'] = (op, a, b, s) =>
    this.single(
      ([i, j]) => ({ k: 'binary', dtype: a.dtype, op, a: i!, b: j! }),
      [a, b],
      s,
      () => this.cpu.binary(op, this.host(a), this.host(b), s),
    );
  compare: Backend<WasmBuf>['compare'] = (op, a, b, s) =>
    this.single(
      ([i, j]) => ({ k: 'compare', dtype: 'bool', op, a: i!, b: j! }),
      [a, b],
      s,
      () => this.cpu.compare(op, this.host(a), this.host(b), s),
    );
  where: Backend<WasmBuf>['where'] = (c, a, b, s) =>
    this.single(
      ([i, j, k]) => ({ k: 'where', dtype: a.dtype, c: i!, a: j!, b: k! }),
      [c, a, b],
      s,
      () => this.cpu.where(this.host(c), this.host(a), this.host(b), s),
    );
  cast: Backend<WasmBuf>['cast'] = (x, dtype) =>
    this.single(
      ([a]) => ({ k: 'cast', dtype, x: a! }),
      [x],
      x.shape,
      () => this.cpu.cast(this.host(x), dtype),
    );
  strided: Backend<WasmBuf>['strided'] = (x, shape, strides, offset) => {
    const p: FusedProgram<WasmBuf> = { shape, nodes: [{ k: 'leaf', dtype: x.dtype, leaf: 0 }], leaves: [{ buf: x.buf, dtype: x.dtype, strides, offset }] };
    return this.viaProgram(p, () => this.cpu.strided(this.host(x), shape, strides, offset));
  };
  reduce: Backend<WasmBuf>['reduce'] = (op, x, axes) => this.adopt(this.cpu.reduce(op, this.host(x), axes), x.dtype);
  argReduce: Backend<WasmBuf>['argReduce'] = (op, x, axis) => this.adopt(this.cpu.argReduce(op, this.host(x), axis), 'int32');
  pad: Backend<WasmBuf>['pad'] = (x, pads, value) => this.adopt(this.cpu.pad(this.host(x), pads, value), x.dtype);
  /** runs of contiguous bytes copied inside the memory (copyWithin: a native memmove) */
  concat: Backend<WasmBuf>['concat'] = (xs, axis, shape) => {
    const dtype = xs[0]!.dtype;
    const out = this.alloc(sizeOf(shape), dtype);
    const e = bytesPerElement(dtype);
    const outer = sizeOf(shape.slice(0, axis));
    const rest = sizeOf(shape.slice(axis + 1)) * e;
    const mem = new Uint8Array(this.rt.memory.buffer);
    let dst = out.ptr;
    for (let i = 0; i < outer; i++) {
      for (const x of xs) {
        const run = x.shape[axis]! * rest;
        mem.copyWithin(dst, x.buf.ptr + i * run, x.buf.ptr + (i + 1) * run);
        dst += run;
      }
    }
    this.dispatched++;
    return out;
  };
  gather: Backend<WasmBuf>['gather'] = (x, axis, index) => this.adopt(this.cpu.gather(this.host(x), axis, this.host(index)), x.dtype);
  scatterAdd: Backend<WasmBuf>['scatterAdd'] = (shape, axis, index, src) =>
    this.adopt(this.cpu.scatterAdd(shape, axis, this.host(index), this.host(src)), src.dtype);
  maxPool2d: Backend<WasmBuf>['maxPool2d'] = (x, p, outHW) => {
    const [N, C, H, W] = x.shape as [number, number, number, number];
    const [Ho, Wo] = outHW;
    const values = this.alloc(N * C * Ho * Wo, x.dtype);
    const indices = this.alloc(N * C * Ho * Wo, 'int32');
    const args = [N * C, H, W, Ho, Wo, ...p.kernel, ...p.stride, ...p.padding, ...p.dilation, x.buf.ptr, values.ptr, indices.ptr];
    this.rt.run(this.pool, 'maxpool', args, this.rt.threadsFor(N * C * Ho * Wo * p.kernel[0] * p.kernel[1]));
    this.dispatched++;
    return { values, indices };
  };

  // ---------------------------------------------------------------- wasm kernels

  matmul: Backend<WasmBuf>['matmul'] = (a, b, transA, transB, outShape) => {
    this.dispatched++;
    return this.gemm.matmul(this, a, b, transA, transB, outShape);
  };
  conv2d: Backend<WasmBuf>['conv2d'] = (x, w, p) => {
    this.dispatched++;
    return this.conv.conv2d(x, w, p);
  };
  conv2dInputGrad: Backend<WasmBuf>['conv2dInputGrad'] = (dy, w, p, hw) => {
    this.dispatched++;
    return this.conv.conv2dInputGrad(dy, w, p, hw);
  };
  conv2dWeightGrad: Backend<WasmBuf>['conv2dWeightGrad'] = (x, dy, p, hw) => {
    this.dispatched++;
    return this.conv.conv2dWeightGrad(x, dy, p, hw);
  };
}
