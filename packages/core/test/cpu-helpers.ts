/**
 * Shared helpers of the CPU-kernel tests (cpu-*.test.ts): a seeded value generator, views onto
 * uploaded data, and row-major index arithmetic for the naive reference implementations.
 */
import type { View } from '../src/backend.js';
import { CpuBackend } from '../src/backends/cpu/index.js';
import { allocArray, type DataArray, type DType } from '../src/dtype.js';
import { Generator } from '../src/random.js';
import { sizeOf } from '../src/shape.js';

export const cpu = new CpuBackend();

/** Uniforms in [0, 1) from core's seeded Generator, so a fast-check seed reproduces a whole case. */
export function rng(seed: number): () => number {
  const g = new Generator(seed);
  return () => g.uniform();
}

export { sizeOf };

/** small integers in [-r, r]: every sum of products is exact in float64, so results compare with === */
export function ints(n: number, seed: number, r = 3): number[] {
  const next = rng(seed);
  return Array.from({ length: n }, () => Math.floor(next() * (2 * r + 1)) - r);
}

/** uniform values in [-1, 1) */
export function floats(n: number, seed: number): number[] {
  const next = rng(seed);
  return Array.from({ length: n }, () => next() * 2 - 1);
}

/** upload values (converted to dtype) and describe them as a view */
export function view(values: ArrayLike<number>, shape: readonly number[], dtype: DType = 'float64'): View<DataArray> {
  const data = allocArray(dtype, values.length);
  for (let i = 0; i < values.length; i++) data[i] = values[i]!;
  return { buf: cpu.upload(data, dtype), shape, dtype };
}

/** row-major coordinates of flat index i */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d]!;
    i = Math.floor(i / shape[d]!);
  }
  return idx;
}

/** flat index of coordinates */
export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let i = 0;
  for (let d = 0; d < shape.length; d++) i = i * shape[d]! + idx[d]!;
  return i;
}

/** max |a - b| / max(1, |b|) over the elements */
export function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return m;
}
