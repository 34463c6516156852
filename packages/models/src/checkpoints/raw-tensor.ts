/**
 * The dense, row-major tensor records the readers produce, before any conversion to a pixgrad
 * `Tensor`. They are plain data so that they can be inspected, filtered, saved again, or handed
 * to a backend without going through `@pixgrad/core`.
 */
import type { OutDtype, SourceDtype } from './dtypes.js';

/** The typed array that holds each pixgrad dtype (bool: one byte per element, 0 or 1). */
export interface ArrayOfOut {
  float32: Float32Array;
  float64: Float64Array;
  int32: Int32Array;
  bool: Uint8Array;
}

/**
 * One tensor read from a checkpoint: `data` is dense and row-major (strides and storage offsets
 * already applied), `shape` is `[]` for a scalar, and `sourceDtype` keeps the file's own type
 * (`'float16'`, `'int64'`, ...) while `dtype` is what `data` holds.
 *
 * @example
 * const t: RawTensor = { dtype: 'float32', sourceDtype: 'float16', shape: [3], data: new Float32Array([1.5, -2.25, 3.125]) };
 */
export type RawTensor<D extends OutDtype = OutDtype> = {
  [K in D]: { dtype: K; sourceDtype: SourceDtype; shape: number[]; data: ArrayOfOut[K] };
}[D];

/**
 * Stands in the `objects` tree for a tensor the caller's `filter` excluded: its metadata is known,
 * its bytes were never read.
 */
export interface SkippedTensor {
  skipped: true;
  dtype: OutDtype;
  sourceDtype: SourceDtype;
  shape: number[];
}

/** True for a `RawTensor` (and not a `SkippedTensor` or another value). */
export function isRawTensor(x: unknown): x is RawTensor {
  return typeof x === 'object' && x !== null && 'data' in x && 'shape' in x && 'sourceDtype' in x && ArrayBuffer.isView((x as { data: unknown }).data);
}

/** True for a `SkippedTensor`. */
export function isSkippedTensor(x: unknown): x is SkippedTensor {
  return typeof x === 'object' && x !== null && (x as { skipped?: unknown }).skipped === true && 'shape' in x;
}
