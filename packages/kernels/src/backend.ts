/// <reference types="@webgpu/types" preserve="true" />
import {
  BackendError,
  DTypeError,
  IndexError,
  contiguousStrides,
  resultDType,
  sizeOf,
  type ArgReduceOp,
  type Backend,
  type BackendCounters,
  type BackendMemory,
  type BinaryOp,
  type CompareOp,
  type Conv2dParams,
  type DataArray,
  type DType,
  type FusedProgram,
  type FusionKernels,
  type Pool2dParams,
  type ReduceOp,
  type Shape,
  type UnaryOp,
  type UnaryParams,
  type View,
} from '@pixgrad/core';
import { GpuContext } from './context.js';
import { broadcastStridesOf, checkRank, coalesce, storageType, type StorageType } from './layout.js';
import { fillSpec } from './kernels/elementwise.js';
import { unarySpec } from './kernels/unary.js';
import { binarySpec } from './kernels/binary.js';
import { castSpec, compareSpec, whereSpec } from './kernels/compare.js';
import { reducePlan, reduceSpec, type ReduceGeometry, type ReduceInput } from './kernels/reduce.js';
import { fusedReduceInput, fusedSpec, fusedWgsl } from './kernels/fused.js';
import { argReduceSpec } from './kernels/argreduce.js';
import { concatSpec, gatherSpec, padSpec, scatterAddSpec, stridedSpec } from './kernels/movement.js';
import { matmulSpec } from './kernels/matmul.js';
import { channelsLastWeight, conv2dSpec, conv2dInputGradSpec, conv2dWeightGradSpec, convGeometry, type ConvGeometry } from './kernels/conv2d.js';
import { maxPoolSpec } from './kernels/maxpool.js';

/**
 * A tensor's storage on the GPU: one pooled GPUBuffer plus its element count and dtype.
 *
 * Storage: float32 as f32, int32 as i32, bool as one u32 (0 or 1) per element (WGSL has no 8-bit
 * storage type; packing 4 bools per word would need atomics for parallel writes). float64 is not
 * supported: WGSL has no f64 and uploading it throws a DTypeError; the engine casts first.
 */
export class GpuBuf {
  disposed = false;
  constructor(
    readonly buffer: GPUBuffer,
    readonly length: number,
    readonly dtype: DType,
  ) {}
}

const BYTES = 4;

/**
 * The WebGPU backend: every Backend kernel as a dispatch of a WGSL shader from `shaders/`.
 * Construct it through `init()` (device.ts), which owns the device.
 */
export class WebGPUBackend implements Backend<GpuBuf>, FusionKernels<GpuBuf> {
  readonly device = 'webgpu' as const;
  /** a fused kernel binds its inputs plus the output within the adapter's storage-buffer limit */
  readonly fusionLimits: { maxLeaves: number; maxNodes: number };
  /** bytes one storage binding may span (the adapter's maxStorageBufferBindingSize) */
  readonly maxBindingBytes: number;
  /** channels-innermost copies of conv weights, per weight buffer and layout (see channelsLast) */
  private readonly weightCopies = new WeakMap<GpuBuf, Map<string, GpuBuf>>();

  constructor(readonly ctx: GpuContext) {
    this.maxBindingBytes = ctx.device.limits.maxStorageBufferBindingSize;
    this.fusionLimits = { maxLeaves: Math.min(15, ctx.device.limits.maxStorageBuffersPerShaderStage - 1), maxNodes: 64 };
  }

  // ---------------------------------------------------------------- memory

  private alloc(length: number, dtype: DType, op: string, forQueueWrite = false): GpuBuf {
    storageType(dtype, op);
    const bytes = Math.max(length, 1) * BYTES;
    if (bytes > this.maxBindingBytes) {
      throw new BackendError(
        `webgpu ${op}: a tensor of ${length} elements (${bytes} bytes) exceeds this adapter's maxStorageBufferBindingSize of ` +
          `${this.maxBindingBytes} bytes; split the work into smaller tensors or use the cpu device`,
      );
    }
    return new GpuBuf(this.ctx.alloc(bytes, forQueueWrite), length, dtype);
  }

  upload(data: DataArray, dtype: DType): GpuBuf {
    const t = storageType(dtype, 'upload');
    const out = this.alloc(data.length, dtype, 'upload', true);
    if (data.length > 0) {
      let words: ArrayBufferView;
      if (t === 'u32') words = Uint32Array.from(data as Uint8Array, (v) => (v ? 1 : 0));
      else if (t === 'f32') words = data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
      else words = data instanceof Int32Array ? data : Int32Array.from(data as ArrayLike<number>);
      this.ctx.write(out.buffer, words);
    }
    return out;
  }

  fill(size: number, value: number, dtype: DType): GpuBuf {
    const out = this.alloc(size, dtype, 'fill');
    this.ctx.run(fillSpec(out.buffer, size, value, storageType(dtype, 'fill')));
    return out;
  }

  async read(x: View<GpuBuf>): Promise<DataArray> {
    const n = x.buf.length;
    if (x.buf.disposed) throw new BackendError('webgpu read: buffer was disposed');
    const raw = await this.ctx.readBuffer(x.buf.buffer, n * BYTES);
    await this.checkIndices();
    switch (x.buf.dtype) {
      case 'float32':
        return new Float32Array(raw);
      case 'int32':
        return new Int32Array(raw);
      case 'bool':
        return Uint8Array.from(new Uint32Array(raw), (v) => (v ? 1 : 0));
      default:
        throw new BackendError(`webgpu read: unexpected dtype ${x.buf.dtype}`);
    }
  }

  /** the index ops run since the bad-index flags were last read */
  private readonly indexOps = new Set<string>();

  /**
   * Throws the IndexError the CPU backend throws, when a gather or scatterAdd since the last read
   * met an out-of-range index: WGSL cannot throw, so the kernel clamps it and raises a flag, and
   * the flag is read back with the next result.
   */
  private async checkIndices(): Promise<void> {
    if (this.indexOps.size === 0) return;
    const ops = [...this.indexOps].join(' or ');
    this.indexOps.clear();
    const flags = new Uint32Array(await this.ctx.readBuffer(this.ctx.badIndexFlags, 16));
    if (flags[0] === 0) return;
    this.ctx.write(this.ctx.badIndexFlags, new Uint32Array(4));
    const count = flags[0]!;
    throw new IndexError(
      `${ops}: index ${flags[1]! | 0} is out of range for dimension ${flags[3]} of size ${flags[2]} ` +
        `(${count} out-of-range index${count === 1 ? '' : 'es'}; found by the WebGPU kernel, which cannot throw, when a result was read)`,
    );
  }

  dispose(buf: GpuBuf): void {
    if (buf.disposed) return;
    buf.disposed = true;
    this.ctx.free(buf.buffer);
    const copies = this.weightCopies.get(buf);
    if (copies) {
      this.weightCopies.delete(buf);
      for (const c of copies.values()) this.dispose(c);
    }
  }

  memory(): BackendMemory {
    return { buffers: this.ctx.liveBuffers, bytes: this.ctx.liveBytes };
  }

  counters(): BackendCounters {
    return { dispatches: this.ctx.dispatches, allocations: this.ctx.allocations };
  }

  /** Waits until every recorded kernel has run (for benchmarks). */
  sync(): Promise<void> {
    return this.ctx.sync();
  }

  // ---------------------------------------------------------------- elementwise

  unary(op: UnaryOp, x: View<GpuBuf>, params: UnaryParams): GpuBuf {
    const t = storageType(x.dtype, op);
    const n = x.buf.length;
    const out = this.alloc(n, x.dtype, op);
    this.ctx.run(unarySpec(op, t, x.buf.buffer, out.buffer, n, params));
    return out;
  }

  binary(op: BinaryOp, a: View<GpuBuf>, b: View<GpuBuf>, outShape: Shape): GpuBuf {
    const t = storageType(a.dtype, op);
    const n = sizeOf(outShape);
    const out = this.alloc(n, a.dtype, op);
    const c = coalesce(outShape, [broadcastStridesOf(a.shape, outShape), broadcastStridesOf(b.shape, outShape)]);
    checkRank(op, c.shape.length);
    this.ctx.run(binarySpec(op, t, a.buf.buffer, b.buf.buffer, out.buffer, n, c.shape, c.strides[0]!, c.strides[1]!));
    return out;
  }

  compare(op: CompareOp, a: View<GpuBuf>, b: View<GpuBuf>, outShape: Shape): GpuBuf {
    const t = storageType(a.dtype, op);
    const n = sizeOf(outShape);
    const out = this.alloc(n, 'bool', op);
    const c = coalesce(outShape, [broadcastStridesOf(a.shape, outShape), broadcastStridesOf(b.shape, outShape)]);
    checkRank(op, c.shape.length);
    this.ctx.run(compareSpec(op, t, a.buf.buffer, b.buf.buffer, out.buffer, n, c.shape, c.strides[0]!, c.strides[1]!));
    return out;
  }

  where(cond: View<GpuBuf>, a: View<GpuBuf>, b: View<GpuBuf>, outShape: Shape): GpuBuf {
    const t = storageType(a.dtype, 'where');
    const n = sizeOf(outShape);
    const out = this.alloc(n, a.dtype, 'where');
    const c = coalesce(
      outShape,
      [cond.shape, a.shape, b.shape].map((s) => broadcastStridesOf(s, outShape)),
    );
    checkRank('where', c.shape.length);
    this.ctx.run(whereSpec(t, cond.buf.buffer, a.buf.buffer, b.buf.buffer, out.buffer, n, c.shape, c.strides[0]!, c.strides[1]!, c.strides[2]!));
    return out;
  }

  cast(x: View<GpuBuf>, dtype: DType): GpuBuf {
    const from = storageType(x.dtype, 'cast');
    const to = storageType(dtype, 'cast');
    const n = x.buf.length;
    const out = this.alloc(n, dtype, 'cast');
    this.ctx.run(castSpec(from, to, x.buf.buffer, out.buffer, n));
    return out;
  }

  // ---------------------------------------------------------------- reductions

  reduce(op: ReduceOp, x: View<GpuBuf>, axes: readonly number[]): GpuBuf {
    return this.reduceOf(op, x.buf.buffer, x.shape, x.dtype, axes);
  }

  checkDType(dtype: DType, op: string): void {
    storageType(dtype, op);
  }

  /** One elementwise program (the fusion layer's) as one dispatch of shaders/fused.wgsl. */
  fused(p: FusedProgram<GpuBuf>): GpuBuf {
    const dtype = resultDType(p);
    const n = sizeOf(p.shape);
    const out = this.alloc(n, dtype, 'fused');
    if (n > 0) this.ctx.run(fusedSpec(fusedWgsl(p), out.buffer, n));
    return out;
  }

  /** A reduction whose input is an elementwise program, computed where reduce.wgsl would load it. */
  fusedReduce(op: ReduceOp, p: FusedProgram<GpuBuf>, axes: readonly number[]): GpuBuf {
    return this.reduceOf(op, fusedReduceInput(p), p.shape, resultDType(p), axes);
  }

  private reduceOf(op: ReduceOp, input: GPUBuffer | ReduceInput, shape: Shape, dtype: DType, axes: readonly number[]): GpuBuf {
    const t = storageType(dtype, op);
    const st = contiguousStrides(shape);
    const red = new Set(axes);
    const keptShape = shape.map((d, i) => (red.has(i) ? 1 : d));
    const nout = sizeOf(keptShape);
    const out = this.alloc(nout, dtype, op);
    if (nout === 0) return out;
    const r = sizeOf(shape) / nout || 0;
    if (r === 0) {
      // reducing an empty axis gives the identity (sum 0, prod 1, max -inf, min +inf)
      const id = op === 'sum' ? 0 : op === 'prod' ? 1 : op === 'max' ? (t === 'f32' ? -Infinity : -2147483648) : t === 'f32' ? Infinity : 2147483647;
      this.ctx.run(fillSpec(out.buffer, nout, id, t));
      return out;
    }
    const k = coalesce(keptShape, [keptShape.map((_, i) => st[i]!)]);
    const rs = coalesce(
      shape.map((d, i) => (red.has(i) ? d : 1)),
      [st],
    );
    checkRank(op, Math.max(k.shape.length, rs.shape.length));
    const g: ReduceGeometry = { nout, r, kshape: k.shape, kstrides: k.strides[0]!, rshape: rs.shape, rstrides: rs.strides[0]! };
    const plan = reducePlan(g);
    if (plan.mode === 'wg' && plan.parts > 1) {
      // pass 1: [nout, parts] partials; pass 2: reduce the parts
      const partial = this.alloc(nout * plan.parts, dtype, op);
      this.ctx.run(reduceSpec(op, t, input, partial.buffer, g, plan));
      const g2: ReduceGeometry = { nout, r: plan.parts, kshape: [nout], kstrides: [plan.parts], rshape: [plan.parts], rstrides: [1] };
      this.ctx.run(reduceSpec(op, t, partial.buffer, out.buffer, g2, reducePlan(g2)));
      this.dispose(partial);
      return out;
    }
    this.ctx.run(reduceSpec(op, t, input, out.buffer, g, plan));
    return out;
  }

  argReduce(op: ArgReduceOp, x: View<GpuBuf>, axis: number): GpuBuf {
    const t = storageType(x.dtype, op);
    const outer = sizeOf(x.shape.slice(0, axis));
    const a = x.shape[axis] ?? 1;
    const inner = sizeOf(x.shape.slice(axis + 1));
    const out = this.alloc(outer * inner, 'int32', op);
    if (a > 0) this.ctx.run(argReduceSpec(op, t, x.buf.buffer, out.buffer, outer, a, inner));
    return out;
  }

  // ---------------------------------------------------------------- movement

  strided(x: View<GpuBuf>, outShape: Shape, strides: readonly number[], offset: number): GpuBuf {
    const t = storageType(x.dtype, 'strided');
    const n = sizeOf(outShape);
    const out = this.alloc(n, x.dtype, 'strided');
    if (n === 0) return out;
    const c = coalesce(outShape, [strides]);
    checkRank('strided', c.shape.length);
    if (c.shape.length === 1 && c.strides[0]![0] === 1) {
      // a contiguous run (reshape, slice of leading dims): a plain buffer copy
      this.ctx.copy(x.buf.buffer, out.buffer, n * BYTES, offset * BYTES);
    } else {
      this.ctx.run(stridedSpec(t, x.buf.buffer, out.buffer, n, c.shape, c.strides[0]!, offset));
    }
    return out;
  }

  pad(x: View<GpuBuf>, pads: readonly (readonly [number, number])[], value: number): GpuBuf {
    const t = storageType(x.dtype, 'pad');
    const ishape = [...x.shape];
    const oshape = ishape.map((d, i) => d + pads[i]![0] + pads[i]![1]);
    const n = sizeOf(oshape);
    const out = this.alloc(n, x.dtype, 'pad');
    if (n === 0) return out;
    // merge runs of unpadded dims into their left neighbour when it is unpadded too
    const o: number[] = [];
    const is: number[] = [];
    const before: number[] = [];
    for (let d = 0; d < ishape.length; d++) {
      const [lo, hi] = pads[d]!;
      const last = o.length - 1;
      if (lo === 0 && hi === 0 && last >= 0 && before[last] === 0 && o[last] === is[last] && d > 0 && pads[d - 1]![1] === 0) {
        o[last] = o[last]! * ishape[d]!;
        is[last] = is[last]! * ishape[d]!;
      } else {
        o.push(ishape[d]! + lo + hi);
        is.push(ishape[d]!);
        before.push(lo);
      }
    }
    if (o.length === 0) {
      o.push(1);
      is.push(1);
      before.push(0);
    }
    checkRank('pad', o.length);
    this.ctx.run(padSpec(t, x.buf.buffer, out.buffer, n, value, o, is, before, contiguousStrides(is)));
    return out;
  }

  concat(xs: readonly View<GpuBuf>[], axis: number, outShape: Shape): GpuBuf {
    const first = xs[0]!;
    const t = storageType(first.dtype, 'concat');
    const n = sizeOf(outShape);
    const out = this.alloc(n, first.dtype, 'concat');
    const outer = sizeOf(outShape.slice(0, axis));
    const inner = sizeOf(outShape.slice(axis + 1));
    const ostride = outShape[axis]! * inner;
    let off = 0;
    for (const x of xs) {
      const len = x.shape[axis]! * inner;
      const cnt = outer * len;
      if (cnt > 0) {
        if (outer === 1) this.ctx.copy(x.buf.buffer, out.buffer, cnt * BYTES, 0, off * BYTES);
        else this.ctx.run(concatSpec(t, x.buf.buffer, out.buffer, cnt, len, ostride, off));
      }
      off += len;
    }
    return out;
  }

  gather(x: View<GpuBuf>, axis: number, index: View<GpuBuf>): GpuBuf {
    const t = storageType(x.dtype, 'gather');
    const n = sizeOf(index.shape);
    const out = this.alloc(n, x.dtype, 'gather');
    if (n === 0) return out;
    const ishape = index.shape.length ? [...index.shape] : [1];
    checkRank('gather', ishape.length);
    const xs = x.shape.length ? contiguousStrides(x.shape) : [1];
    this.ctx.run(gatherSpec(t, x.buf.buffer, index.buf.buffer, out.buffer, this.ctx.badIndexFlags, n, axis, x.shape[axis] ?? 1, ishape, xs));
    this.indexOps.add('gather');
    return out;
  }

  scatterAdd(outShape: Shape, axis: number, index: View<GpuBuf>, src: View<GpuBuf>): GpuBuf {
    const t = storageType(src.dtype, 'scatterAdd');
    const out = this.fill(sizeOf(outShape), 0, src.dtype);
    const n = sizeOf(index.shape);
    if (n === 0) return out;
    const ishape = index.shape.length ? [...index.shape] : [1];
    checkRank('scatterAdd', ishape.length);
    const os = outShape.length ? contiguousStrides(outShape) : [1];
    const ss = src.shape.length ? contiguousStrides(src.shape) : [1];
    this.ctx.run(scatterAddSpec(t, index.buf.buffer, src.buf.buffer, out.buffer, this.ctx.badIndexFlags, n, axis, outShape[axis] ?? 1, ishape, os, ss));
    this.indexOps.add('scatterAdd');
    return out;
  }

  // ---------------------------------------------------------------- linear algebra

  matmul(a: View<GpuBuf>, b: View<GpuBuf>, transA: boolean, transB: boolean, outShape: Shape): GpuBuf {
    this.float32Only('matmul', a, b);
    const n = sizeOf(outShape);
    const out = this.alloc(n, 'float32', 'matmul');
    if (n === 0) return out;
    const spec = matmulSpec(a.buf.buffer, b.buf.buffer, out.buffer, a.shape, b.shape, transA, transB, outShape, this.ctx.subgroupSize);
    if (spec === 'zeros') this.ctx.run(fillSpec(out.buffer, n, 0, 'f32'));
    else this.ctx.run(spec);
    return out;
  }

  /** The float-only kernels (matmul, conv) refuse other dtypes rather than reinterpret their bits. */
  private float32Only(op: string, ...xs: View<GpuBuf>[]): void {
    for (const x of xs) {
      storageType(x.dtype, op);
      if (x.dtype !== 'float32') throw new DTypeError(`webgpu ${op}: only float32 is supported (got ${x.dtype})`);
    }
  }

  conv2d(x: View<GpuBuf>, w: View<GpuBuf>, p: Conv2dParams): GpuBuf {
    this.float32Only('conv2d', x, w);
    const g = convGeometry(x.shape, w.shape, p, 'conv2d');
    const out = this.alloc(g.n * g.o * g.ho * g.wo, 'float32', 'conv2d');
    this.ctx.run(conv2dSpec(x.buf.buffer, w.buf.buffer, out.buffer, g, this.ctx.subgroupSize, this.channelsLast(w, g, false)));
    return out;
  }

  /**
   * The conv weight with the reduction channel innermost (see `channelsLastWeight`), for the
   * subgroup conv's vec4 weight loads, made on first use and kept until the weight is disposed:
   * buffers are never written after they are made, and the permuting copy is not cheap on llvmpipe
   * (bench/README.md, "Kernel choices"), which a frozen VGG would otherwise pay on every pass.
   */
  private channelsLast(w: View<GpuBuf>, g: ConvGeometry, bwd: boolean): () => GPUBuffer {
    return () => {
      const l = channelsLastWeight(g, bwd);
      const key = `${l.shape}/${l.strides}`;
      let copies = this.weightCopies.get(w.buf);
      if (!copies) this.weightCopies.set(w.buf, (copies = new Map()));
      let copy = copies.get(key);
      if (!copy) copies.set(key, (copy = this.strided(w, l.shape, l.strides, 0)));
      return copy.buffer;
    };
  }

  conv2dInputGrad(dy: View<GpuBuf>, w: View<GpuBuf>, p: Conv2dParams, inputHW: readonly [number, number]): GpuBuf {
    this.float32Only('conv2dInputGrad', dy, w);
    const [n, , ho, wo] = dy.shape as [number, number, number, number];
    const c = w.shape[1]! * p.groups;
    const g = convGeometry([n, c, inputHW[0], inputHW[1]], w.shape, p, 'conv2dInputGrad', [ho, wo]);
    const out = this.alloc(n * c * inputHW[0] * inputHW[1], 'float32', 'conv2dInputGrad');
    this.ctx.run(conv2dInputGradSpec(dy.buf.buffer, w.buf.buffer, out.buffer, g, this.ctx.subgroupSize, this.channelsLast(w, g, true)));
    return out;
  }

  conv2dWeightGrad(x: View<GpuBuf>, dy: View<GpuBuf>, p: Conv2dParams, kernelHW: readonly [number, number]): GpuBuf {
    this.float32Only('conv2dWeightGrad', x, dy);
    const o = dy.shape[1]!;
    const wShape = [o, x.shape[1]! / p.groups, kernelHW[0], kernelHW[1]];
    const g = convGeometry(x.shape, wShape, p, 'conv2dWeightGrad', [dy.shape[2]!, dy.shape[3]!]);
    const out = this.alloc(sizeOf(wShape), 'float32', 'conv2dWeightGrad');
    const plan = conv2dWeightGradSpec(
      x.buf.buffer,
      dy.buf.buffer,
      out.buffer,
      g,
      (len) => this.alloc(len, 'float32', 'conv2dWeightGrad').buffer,
      this.ctx.subgroupSize,
    );
    for (const s of plan.specs) this.ctx.run(s);
    if (plan.partial) {
      // split-K partial sums [S, outputs]: sum over S with the reduce kernel
      const parts = plan.partial.parts;
      const count = sizeOf(wShape);
      const gg: ReduceGeometry = { nout: count, r: parts, kshape: [count], kstrides: [1], rshape: [parts], rstrides: [count] };
      this.ctx.run(reduceSpec('sum', 'f32', plan.partial.buffer, out.buffer, gg, reducePlan(gg)));
      this.ctx.free(plan.partial.buffer);
    }
    return out;
  }

  maxPool2d(x: View<GpuBuf>, p: Pool2dParams, outHW: readonly [number, number]): { values: GpuBuf; indices: GpuBuf } {
    if (x.dtype !== 'float32') storageType(x.dtype, 'maxPool2d');
    const [n, c, h, w] = x.shape as [number, number, number, number];
    const count = n * c * outHW[0] * outHW[1];
    const values = this.alloc(count, x.dtype, 'maxPool2d');
    const indices = this.alloc(count, 'int32', 'maxPool2d');
    if (count > 0)
      this.ctx.run(maxPoolSpec(storageType(x.dtype, 'maxPool2d') as StorageType, x.buf.buffer, values.buffer, indices.buffer, n * c, h, w, outHW, p));
    return { values, indices };
  }
}
