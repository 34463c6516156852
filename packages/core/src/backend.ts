import type { DataArray, DType } from './dtype.js';
import type { Shape } from './shape.js';

/**
 * The Backend interface: the narrow waist between the engine and the hardware.
 *
 * It is made for an asynchronous GPU: every kernel enqueues work and returns a buffer handle at
 * once; only `read` is async. Buffers are always dense and row-major; broadcasting and strided
 * access are described by the arguments, never by materialised copies. The CPU backend is the
 * specification the WebGPU backend is tested against.
 *
 * Kernels never validate shapes: the primitive that calls them already did, and named the op.
 */
export type Device = 'cpu' | 'webgpu' | 'wasm';

/** A backend buffer plus the shape and dtype it holds. */
export interface View<B = unknown> {
  readonly buf: B;
  readonly shape: Shape;
  readonly dtype: DType;
}

export const UNARY_OPS = [
  'neg',
  'abs',
  'sign',
  'exp',
  'log',
  'log1p',
  'expm1',
  'sqrt',
  'rsqrt',
  'reciprocal',
  'sin',
  'cos',
  'tanh',
  'sigmoid',
  'relu',
  'leakyRelu',
  'softplus',
  'floor',
  'ceil',
  'round',
  'clamp',
] as const;
export type UnaryOp = (typeof UNARY_OPS)[number];

/** The parameters of an op that has none. */
export type NoParams = { readonly [k: string]: never };

/**
 * Each unary op's scalar parameters: leakyRelu's slope, softplus's beta and threshold, clamp's
 * bounds (either may be absent); none for the others. Typed per op, so an op with parameters
 * cannot be called without them and a kernel cannot read one its op does not have; the defaults
 * live in the ops (`leakyRelu(x, slope = 0.01)`), not in the kernels.
 */
export type UnaryParamsOf = {
  readonly [K in UnaryOp]: K extends 'leakyRelu'
    ? { readonly slope: number }
    : K extends 'softplus'
      ? { readonly beta: number; readonly threshold: number }
      : K extends 'clamp'
        ? { readonly min?: number; readonly max?: number }
        : NoParams;
};
/** The parameters of unary op O (of any unary op when O is left out). */
export type UnaryParams<O extends UnaryOp = UnaryOp> = UnaryParamsOf[O];

export const BINARY_OPS = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'atan2'] as const;
export type BinaryOp = (typeof BINARY_OPS)[number];

export const COMPARE_OPS = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const;
export type CompareOp = (typeof COMPARE_OPS)[number];

export const REDUCE_OPS = ['sum', 'max', 'min', 'prod'] as const;
export type ReduceOp = (typeof REDUCE_OPS)[number];

export const ARG_REDUCE_OPS = ['argmax', 'argmin'] as const;
export type ArgReduceOp = (typeof ARG_REDUCE_OPS)[number];

/** conv2d geometry, all pairs are [height, width]. */
export interface Conv2dParams {
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
}

/** Pooling geometry; padded cells never win a max (PyTorch pads with -inf). */
export interface Pool2dParams {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  ceilMode: boolean;
}

export interface BackendMemory {
  /** live buffers owned by this backend */
  buffers: number;
  /** bytes held by those buffers (pooled free buffers not counted) */
  bytes: number;
}

/** Cumulative counts since the backend was made, for tests that budget work (never reset). */
export interface BackendCounters {
  /** kernels run: GPU dispatches on WebGPU, kernel calls on the CPU */
  dispatches: number;
  /** buffers allocated (uploads, results and scratch buffers the backend owns) */
  allocations: number;
}

export interface Backend<B = unknown> {
  readonly device: Device;

  // ---- memory ----
  /**
   * Host data into a new buffer (data.length elements of dtype). With `owned`, the caller gives
   * the array away and never touches it again, so a backend that can keep it (CPU) need not copy.
   */
  upload(data: DataArray, dtype: DType, owned?: boolean): B;
  /** A new buffer of `size` elements all equal to `value`. */
  fill(size: number, value: number, dtype: DType): B;
  /** Read a buffer back (a fresh array the caller owns). */
  read(x: View<B>): Promise<DataArray>;
  /** Synchronous read, where the backend allows it (CPU). */
  readSync?(x: View<B>): DataArray;
  /** Release a buffer; the handle is never used again. */
  dispose(buf: B): void;
  /**
   * Computes a deferred value now (a backend that defers elementwise work: LazyBackend). Values
   * kept across steps (parameters, optimiser state) call it, so they hold their own buffer.
   */
  settle?(buf: B): void;
  memory(): BackendMemory;
  counters(): BackendCounters;

  // ---- elementwise; outShape is the broadcast shape of the inputs ----
  unary<O extends UnaryOp>(op: O, x: View<B>, params: UnaryParams<O>): B;
  /** a and b have the same dtype (the primitive promotes first); the result has it too. */
  binary(op: BinaryOp, a: View<B>, b: View<B>, outShape: Shape): B;
  /** result dtype bool */
  compare(op: CompareOp, a: View<B>, b: View<B>, outShape: Shape): B;
  /** cond is bool; a and b share a dtype */
  where(cond: View<B>, a: View<B>, b: View<B>, outShape: Shape): B;
  /** float to int truncates toward zero; anything to bool is x != 0 */
  cast(x: View<B>, dtype: DType): B;

  // ---- reductions; the result keeps the reduced axes as size 1 ----
  /** axes sorted, unique, non-empty */
  reduce(op: ReduceOp, x: View<B>, axes: readonly number[]): B;
  /** int32 result; ties give the first index (as PyTorch) */
  argReduce(op: ArgReduceOp, x: View<B>, axis: number): B;

  // ---- movement ----
  /**
   * out[i_0..i_k] = x[offset + sum_d i_d * strides[d]] (element strides into the dense x, may be 0
   * or negative). Permute, expand, slice with steps and flip are all this one kernel.
   */
  strided(x: View<B>, outShape: Shape, strides: readonly number[], offset: number): B;
  /** constant padding; pads[d] = [before, after], both >= 0 */
  pad(x: View<B>, pads: readonly (readonly [number, number])[], value: number): B;
  /** all inputs share dtype and every dim but `axis` */
  concat(xs: readonly View<B>[], axis: number, outShape: Shape): B;
  /** torch.gather: out shape = index shape; out[..i..] = x[..index[..i..]..] along axis. index int32 */
  gather(x: View<B>, axis: number, index: View<B>): B;
  /** zeros(outShape) then out[..index[..i..]..] += src[..i..] along axis (torch.scatter_add) */
  scatterAdd(outShape: Shape, axis: number, index: View<B>, src: View<B>): B;

  // ---- linear algebra ----
  /**
   * Batched matmul: a is [...batchA, m, k] ([..., k, m] when transA), b is [...batchB, k, n]
   * ([..., n, k] when transB); batch dims broadcast to outShape's leading dims; both rank >= 2.
   */
  matmul(a: View<B>, b: View<B>, transA: boolean, transB: boolean, outShape: Shape): B;
  /** x [N, C, H, W], w [O, C/groups, kh, kw] -> [N, O, Ho, Wo] (cross-correlation, as PyTorch) */
  conv2d(x: View<B>, w: View<B>, p: Conv2dParams): B;
  /** gradient of conv2d w.r.t. its input: dy [N, O, Ho, Wo], w -> [N, C, H, W] with C = w.shape[1]*groups */
  conv2dInputGrad(dy: View<B>, w: View<B>, p: Conv2dParams, inputHW: readonly [number, number]): B;
  /** gradient of conv2d w.r.t. its weight: x [N, C, H, W], dy [N, O, Ho, Wo] -> [O, C/groups, kh, kw] */
  conv2dWeightGrad(x: View<B>, dy: View<B>, p: Conv2dParams, kernelHW: readonly [number, number]): B;

  // ---- pooling ----
  /** max pooling; returns the values and, per output, the int32 flat index (h*W + w) of the winner in its [H, W] plane */
  maxPool2d(x: View<B>, p: Pool2dParams, outHW: readonly [number, number]): { values: B; indices: B };
}
