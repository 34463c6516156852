import type { View } from '../../backend.js';
import { allocArray, type DataArray } from '../../dtype.js';
import { IndexError, fmtShape } from '../../errors.js';
import { type Shape, contiguousStrides, sizeOf } from '../../shape.js';

/**
 * The reference movement kernels that copy data between layouts: constant padding, concatenation,
 * and torch's gather / scatter_add along one axis. Everything is row-major and dense; the
 * primitives have already checked shapes, so only index *values* (known only here) are checked.
 */

/**
 * Constant padding: out has shape x.shape[d] + before + after; cells outside x hold `value`.
 * Each innermost row of x is copied with one `set` into its padded place.
 */
export function pad(x: View<DataArray>, pads: readonly (readonly [number, number])[], value: number): DataArray {
  const shape = x.shape;
  const rank = shape.length;
  const outShape = shape.map((d, i) => d + pads[i]![0] + pads[i]![1]);
  const out = allocArray(x.dtype, sizeOf(outShape));
  if (value !== 0) out.fill(value);
  const n = x.buf.length;
  if (n === 0) return out;
  if (rank === 0) {
    out[0] = x.buf[0]!;
    return out;
  }
  const outStrides = contiguousStrides(outShape);
  let base = 0;
  for (let d = 0; d < rank; d++) base += pads[d]![0] * outStrides[d]!;
  const inner = shape[rank - 1]!;
  const src = x.buf;
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < n; i += inner) {
    (out as Float64Array).set((src as Float64Array).subarray(i, i + inner), base);
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]!++;
      base += outStrides[d]!;
      if (idx[d]! < shape[d]!) break;
      base -= idx[d]! * outStrides[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

/** Concatenation along `axis`: each input contributes a contiguous run per outer index. */
export function concat(xs: readonly View<DataArray>[], axis: number, outShape: Shape): DataArray {
  const dtype = xs[0]!.dtype;
  const out = allocArray(dtype, sizeOf(outShape));
  const outer = sizeOf(outShape.slice(0, axis));
  const inner = sizeOf(outShape.slice(axis + 1));
  const outRun = outShape[axis]! * inner;
  let at = 0;
  for (const x of xs) {
    const run = x.shape[axis]! * inner;
    const src = x.buf as Float64Array;
    for (let o = 0; o < outer; o++) (out as Float64Array).set(src.subarray(o * run, (o + 1) * run), o * outRun + at);
    at += run;
  }
  return out;
}

/**
 * Walks every element of `shape` in row-major order, calling body(i, offA, offB, coord) where offA
 * and offB are the offsets of the same coordinates in dense arrays with strides sa and sb, except
 * along `axis` (the caller substitutes an index value there), and a is the coordinate along `axis`.
 */
function forEachAlong(
  shape: Shape,
  axis: number,
  sa: readonly number[],
  sb: readonly number[],
  body: (i: number, offA: number, offB: number, a: number) => void,
): void {
  const n = sizeOf(shape);
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  let offA = 0,
    offB = 0;
  for (let i = 0; i < n; i++) {
    body(i, offA, offB, idx[axis] ?? 0);
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      if (d !== axis) {
        offA += sa[d]!;
        offB += sb[d]!;
      }
      if (idx[d]! < shape[d]!) break;
      if (d !== axis) {
        offA -= idx[d]! * sa[d]!;
        offB -= idx[d]! * sb[d]!;
      }
      idx[d] = 0;
    }
  }
}

function checkIndex(op: string, j: number, size: number, axis: number, shape: Shape): void {
  if (!(j >= 0 && j < size)) {
    throw new IndexError(`${op}: index ${j} is out of range for dimension ${axis} of size ${size} (tensor shape ${fmtShape(shape)})`);
  }
}

/**
 * torch.gather: out[i_0..i_k] = x[i_0.., index[i_0..i_k], ..i_k] with the index substituted along
 * `axis`. The output has the index's shape (which may be smaller than x off the axis).
 */
export function gather(x: View<DataArray>, axis: number, index: View<DataArray>): DataArray {
  const out = allocArray(x.dtype, index.buf.length);
  const xs = contiguousStrides(x.shape);
  // a rank-0 tensor behaves as one element along axis 0 (as torch)
  const size = x.shape[axis] ?? 1;
  const step = xs[axis] ?? 1;
  const src = x.buf,
    ix = index.buf;
  forEachAlong(index.shape, axis, xs, xs, (i, off) => {
    const j = ix[i]!;
    checkIndex('gather', j, size, axis, x.shape);
    out[i] = src[off + j * step]!;
  });
  return out;
}

/**
 * torch.scatter_add: out = zeros(outShape); out[.., index[i], ..] += src[i] for every i of the
 * element i of the index; src is read at i's coordinates (it may be larger than the index).
 * Sums accumulate in float64 and round once, so float32 results do not depend on the order.
 */
export function scatterAdd(outShape: Shape, axis: number, index: View<DataArray>, src: View<DataArray>): DataArray {
  const acc = new Float64Array(sizeOf(outShape));
  const os = contiguousStrides(outShape);
  const ss = contiguousStrides(src.shape);
  const size = outShape[axis] ?? 1;
  const step = os[axis] ?? 1;
  const srcStep = ss[axis] ?? 1;
  const s = src.buf,
    ix = index.buf;
  forEachAlong(index.shape, axis, os, ss, (i, offOut, offSrc, a) => {
    const j = ix[i]!;
    checkIndex('scatterAdd', j, size, axis, outShape);
    acc[offOut + j * step]! += s[offSrc + a * srcStep]!;
  });
  const out = allocArray(src.dtype, acc.length);
  if (src.dtype === 'int32') for (let i = 0; i < acc.length; i++) out[i] = acc[i]! | 0;
  else if (src.dtype === 'bool') for (let i = 0; i < acc.length; i++) out[i] = acc[i] !== 0 ? 1 : 0;
  else out.set(acc);
  return out;
}
