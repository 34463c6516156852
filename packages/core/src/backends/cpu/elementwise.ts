import type { BinaryOp, CompareOp, UnaryOp, UnaryParams, View } from '../../backend.js';
import { allocArray, type DataArray, type DType } from '../../dtype.js';
import { type Shape, broadcastStrides, sizeOf } from '../../shape.js';

/**
 * The reference elementwise kernels. Each op is one scalar function in an exhaustive table, so a
 * missing op is a type error. Arithmetic runs in float64 (JS numbers) and rounds once on store.
 */
const UNARY: { [K in UnaryOp]: (x: number, p: UnaryParams<K>) => number } = {
  neg: (x) => -x,
  abs: (x) => Math.abs(x),
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : NaN),
  exp: (x) => Math.exp(x),
  log: (x) => Math.log(x),
  log1p: (x) => Math.log1p(x),
  expm1: (x) => Math.expm1(x),
  sqrt: (x) => Math.sqrt(x),
  rsqrt: (x) => 1 / Math.sqrt(x),
  reciprocal: (x) => 1 / x,
  sin: (x) => Math.sin(x),
  cos: (x) => Math.cos(x),
  tanh: (x) => Math.tanh(x),
  // the two branches keep exp from overflowing for large |x|
  sigmoid: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  relu: (x) => (x > 0 || x !== x ? x : 0),
  leakyRelu: (x, p) => (x > 0 ? x : p.slope * x),
  // PyTorch: linear above the threshold, log1p(exp(beta x)) / beta below
  softplus: (x, p) => {
    const beta = p.beta;
    return beta * x > p.threshold ? x : Math.log1p(Math.exp(beta * x)) / beta;
  },
  floor: (x) => Math.floor(x),
  ceil: (x) => Math.ceil(x),
  // half to even, as PyTorch and WGSL's round()
  round: (x) => {
    const r = Math.round(x);
    return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  },
  clamp: (x, p) => Math.min(Math.max(x, p.min ?? -Infinity), p.max ?? Infinity),
};

const BINARY: { [K in BinaryOp]: (a: number, b: number) => number } = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: (a, b) => Math.pow(a, b),
  maximum: (a, b) => (a !== a || b !== b ? NaN : Math.max(a, b)),
  minimum: (a, b) => (a !== a || b !== b ? NaN : Math.min(a, b)),
  atan2: (a, b) => Math.atan2(a, b),
};

/** int32 arithmetic wraps modulo 2^32 as in PyTorch; only mul needs help to stay exact */
const INT_BINARY: Partial<{ [K in BinaryOp]: (a: number, b: number) => number }> = {
  mul: (a, b) => Math.imul(a, b),
};

const COMPARE: { [K in CompareOp]: (a: number, b: number) => boolean } = {
  eq: (a, b) => a === b,
  ne: (a, b) => a !== b,
  lt: (a, b) => a < b,
  le: (a, b) => a <= b,
  gt: (a, b) => a > b,
  ge: (a, b) => a >= b,
};

export function unary(op: UnaryOp, x: View<DataArray>, p: UnaryParams): DataArray {
  const f = UNARY[op] as (x: number, p: UnaryParams) => number; // op and p belong together (Backend.unary's signature)
  const src = x.buf;
  const out = allocArray(x.dtype, src.length);
  for (let i = 0; i < src.length; i++) out[i] = f(src[i]!, p);
  return out;
}

/**
 * Calls body(i, ia, ib) for every output index i with the matching offsets into a and b under
 * broadcasting. Contiguous and scalar cases take a flat loop.
 */
function forEachBroadcast(outShape: Shape, shapes: Shape[], body: (i: number, offs: number[]) => void): void {
  const n = sizeOf(outShape);
  const rank = outShape.length;
  const strides = shapes.map((s) => broadcastStrides(s, outShape));
  const offs = shapes.map(() => 0);
  if (rank === 0) {
    if (n) body(0, offs);
    return;
  }
  const idx = new Array<number>(rank).fill(0);
  const last = rank - 1;
  const inner = outShape[last]!;
  const innerStrides = strides.map((s) => s[last]!);
  for (let i = 0; i < n;) {
    for (let j = 0; j < inner; j++, i++) {
      body(i, offs);
      for (let k = 0; k < offs.length; k++) offs[k]! += innerStrides[k]!;
    }
    for (let k = 0; k < offs.length; k++) offs[k]! -= inner * innerStrides[k]!;
    // carry into the outer dimensions
    for (let d = last - 1; d >= 0; d--) {
      idx[d]!++;
      for (let k = 0; k < offs.length; k++) offs[k]! += strides[k]![d]!;
      if (idx[d]! < outShape[d]!) break;
      for (let k = 0; k < offs.length; k++) offs[k]! -= idx[d]! * strides[k]![d]!;
      idx[d] = 0;
    }
  }
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function zip(dtype: DType, a: View<DataArray>, b: View<DataArray>, outShape: Shape, f: (x: number, y: number) => number): DataArray {
  const out = allocArray(dtype, sizeOf(outShape));
  const A = a.buf,
    B = b.buf;
  if (sameShape(a.shape, outShape) && sameShape(b.shape, outShape)) {
    for (let i = 0; i < out.length; i++) out[i] = f(A[i]!, B[i]!);
  } else if (sameShape(a.shape, outShape) && B.length === 1) {
    const y = B[0]!;
    for (let i = 0; i < out.length; i++) out[i] = f(A[i]!, y);
  } else {
    forEachBroadcast(outShape, [a.shape, b.shape], (i, [ia, ib]) => {
      out[i] = f(A[ia!]!, B[ib!]!);
    });
  }
  return out;
}

export function binary(op: BinaryOp, a: View<DataArray>, b: View<DataArray>, outShape: Shape): DataArray {
  const f = (a.dtype === 'int32' && INT_BINARY[op]) || BINARY[op];
  return zip(a.dtype, a, b, outShape, f);
}

export function compare(op: CompareOp, a: View<DataArray>, b: View<DataArray>, outShape: Shape): DataArray {
  const f = COMPARE[op];
  return zip('bool', a, b, outShape, (x, y) => (f(x, y) ? 1 : 0));
}

export function where(cond: View<DataArray>, a: View<DataArray>, b: View<DataArray>, outShape: Shape): DataArray {
  const out = allocArray(a.dtype, sizeOf(outShape));
  const C = cond.buf,
    A = a.buf,
    B = b.buf;
  forEachBroadcast(outShape, [cond.shape, a.shape, b.shape], (i, [ic, ia, ib]) => {
    out[i] = C[ic!] ? A[ia!]! : B[ib!]!;
  });
  return out;
}

export function cast(x: View<DataArray>, dtype: DType): DataArray {
  const src = x.buf;
  const out = allocArray(dtype, src.length);
  if (dtype === 'bool') for (let i = 0; i < src.length; i++) out[i] = src[i] !== 0 ? 1 : 0;
  else if (dtype === 'int32') for (let i = 0; i < src.length; i++) out[i] = Math.trunc(src[i]!);
  else out.set(src);
  return out;
}

/** out[i] = x[offset + sum_d i_d * strides[d]]: permute, expand, slice with steps and flip. */
export function strided(x: View<DataArray>, outShape: Shape, strides: readonly number[], offset: number): DataArray {
  const out = allocArray(x.dtype, sizeOf(outShape));
  const src = x.buf;
  const rank = outShape.length;
  if (out.length === 0) return out;
  if (rank === 0) {
    out[0] = src[offset]!;
    return out;
  }
  const idx = new Array<number>(rank).fill(0);
  const last = rank - 1;
  const inner = outShape[last]!;
  const s = strides[last]!;
  let base = offset;
  for (let i = 0; i < out.length;) {
    for (let j = 0, p = base; j < inner; j++, p += s) out[i++] = src[p]!;
    for (let d = last - 1; d >= 0; d--) {
      idx[d]!++;
      base += strides[d]!;
      if (idx[d]! < outShape[d]!) break;
      base -= idx[d]! * strides[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

export { forEachBroadcast };
