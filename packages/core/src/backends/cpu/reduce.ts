import type { ArgReduceOp, ReduceOp, View } from '../../backend.js';
import { allocArray, type DataArray } from '../../dtype.js';
import { contiguousStrides, sizeOf } from '../../shape.js';

/** identity and step of each reduction; NaN propagates through max and min (as PyTorch) */
const REDUCERS: { [K in ReduceOp]: { init: number; step: (acc: number, x: number) => number } } = {
  sum: { init: 0, step: (acc, x) => acc + x },
  prod: { init: 1, step: (acc, x) => acc * x },
  max: { init: -Infinity, step: (acc, x) => (x > acc || x !== x ? x : acc) },
  min: { init: Infinity, step: (acc, x) => (x < acc || x !== x ? x : acc) },
};

/**
 * Reduces the sorted axes of x. Each output element walks its reduced sub-block; accumulation is
 * in float64 whatever the dtype, so float32 sums lose nothing to the order of addition.
 */
export function reduce(op: ReduceOp, x: View<DataArray>, axes: readonly number[]): DataArray {
  const { init, step } = REDUCERS[op];
  const shape = x.shape;
  const strides = contiguousStrides(shape);
  const keptAxes = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const outSize = sizeOf(keptAxes.map((i) => shape[i]!));
  const out = allocArray(x.dtype, outSize);
  const src = x.buf;
  const redShape = axes.map((i) => shape[i]!);
  const redStrides = axes.map((i) => strides[i]!);
  const redSize = sizeOf(redShape);
  const keptShape = keptAxes.map((i) => shape[i]!);
  const keptStrides = keptAxes.map((i) => strides[i]!);
  // when the reduced axes are the trailing ones, each output reads one contiguous run
  const trailing = axes.every((a, k) => a === shape.length - axes.length + k);
  const outIdx = new Array<number>(keptAxes.length).fill(0);
  const redIdx = new Array<number>(axes.length).fill(0);
  let base = 0;
  for (let o = 0; o < outSize; o++) {
    let acc = init;
    if (trailing) {
      for (let r = 0; r < redSize; r++) acc = step(acc, src[base + r]!);
    } else {
      let p = base;
      redIdx.fill(0);
      for (let r = 0; r < redSize; r++) {
        acc = step(acc, src[p]!);
        for (let d = axes.length - 1; d >= 0; d--) {
          redIdx[d]!++;
          p += redStrides[d]!;
          if (redIdx[d]! < redShape[d]!) break;
          p -= redIdx[d]! * redStrides[d]!;
          redIdx[d] = 0;
        }
      }
    }
    out[o] = acc;
    for (let d = keptAxes.length - 1; d >= 0; d--) {
      outIdx[d]!++;
      base += keptStrides[d]!;
      if (outIdx[d]! < keptShape[d]!) break;
      base -= outIdx[d]! * keptStrides[d]!;
      outIdx[d] = 0;
    }
  }
  return out;
}

/**
 * argmax / argmin along one axis, int32 result with the axis kept as size 1. Ties give the first
 * index; a NaN beats every number and the first NaN wins (PyTorch treats NaN as the maximum for
 * argmax and the minimum for argmin).
 */
export function argReduce(op: ArgReduceOp, x: View<DataArray>, axis: number): Int32Array {
  const shape = x.shape;
  const size = shape[axis] ?? 1;
  const inner = sizeOf(shape.slice(axis + 1));
  const outer = sizeOf(shape.slice(0, axis));
  const out = new Int32Array(outer * inner);
  const src = x.buf;
  const isMax = op === 'argmax';
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      let best = src[base]!;
      let at = 0;
      if (best === best) {
        for (let k = 1, p = base + inner; k < size; k++, p += inner) {
          const v = src[p]!;
          if (v !== v) {
            at = k;
            break;
          }
          if (isMax ? v > best : v < best) {
            best = v;
            at = k;
          }
        }
      }
      out[o * inner + i] = size === 0 ? 0 : at;
    }
  }
  return out;
}
