import { zeros } from '../creation.js';
import { AxisError, ValueError, fmtShape } from '../errors.js';
import { tidy } from '../memory.js';
import { type Prim, apply } from '../prim.js';
import { type Shape, contiguousStrides, sizeOf } from '../shape.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { flip } from '../ops/flip.js';
import { constantPad } from './pad.js';
import { reshape } from './reshape.js';

/**
 * One entry per leading dimension: `[start, end, step]` read as Python's `x[start:end:step]`
 * (missing or null parts take their defaults; negative start/end count from the end and are
 * clamped to the dimension). A missing, null or undefined entry keeps the whole dimension, and
 * dimensions after the last entry are kept whole.
 */
export type SliceSpec = readonly (readonly [start?: number | null, end?: number | null, step?: number] | null | undefined)[];

/** For every dimension: the index of the first element taken, the step, and the count (the output size). */
interface SliceParams {
  readonly starts: readonly number[];
  readonly steps: readonly number[];
  readonly shape: Shape;
}

/**
 * slice: out[i_0..i_k] = x[starts[0] + i_0 * steps[0], ..., starts[k] + i_k * steps[k]], a
 * strided copy (negative steps walk backwards through x).
 * VJP: the cotangent placed into zeros of x's shape at the sliced positions; written with flip,
 * reshape and constant pad (which interleaves the zeros for steps > 1), so it is differentiable.
 */
/** @internal registered in registry.ts */
export const slicePrim: Prim<SliceParams> = {
  name: 'slice',
  forward: (backend, [x], { starts, steps, shape }) => {
    const strides = contiguousStrides(x!.shape);
    const empty = sizeOf(shape) === 0;
    const offset = empty ? 0 : starts.reduce((o, s, d) => o + s * strides[d]!, 0);
    return {
      buf: backend.strided(
        x!,
        shape,
        strides.map((s, d) => s * steps[d]!),
        offset,
      ),
      shape,
      dtype: x!.dtype,
    };
  },
  vjp: (g, { inputs, params }) => [placeSlice(g, inputs[0]!.shape, params)],
};

/** The adjoint of slicing: zeros of `shape` with g written at the sliced positions. */
function placeSlice(g: Tensor, shape: Shape, { starts, steps }: SliceParams): Tensor {
  if (g.size === 0) return zeros(shape, { dtype: g.dtype, device: g.device });
  return tidy(() => {
    const rank = shape.length;
    const first = [...starts];
    const step = [...steps];
    // walk every dimension forwards: a negative step reads the same cells as the mirrored positive one
    const backwards: number[] = [];
    for (let d = 0; d < rank; d++) {
      if (step[d]! < 0) {
        backwards.push(d);
        first[d] = starts[d]! + (g.shape[d]! - 1) * steps[d]!;
        step[d] = -steps[d]!;
      }
    }
    let t = backwards.length > 0 ? flip(g, backwards) : g;
    // interleave step-1 zeros after every value: [m] -> [m, 1] -> pad to [m, step] -> [m * step]
    for (let d = 0; d < rank; d++) {
      const m = t.shape[d]!;
      if (step[d]! === 1 || m === 1) continue;
      const s = t.shape;
      const u = reshape(t, [...s.slice(0, d + 1), 1, ...s.slice(d + 1)]);
      const p = constantPad(
        u,
        u.shape.map((_, i) => (i === d + 1 ? [0, step[d]! - 1] : [0, 0])),
        0,
      );
      t = reshape(p, [...s.slice(0, d), m * step[d]!, ...s.slice(d + 1)]);
    }
    // the trailing zeros of the last run may reach past the end of x: crop them, then pad into place
    const len = t.shape.map((l, d) => Math.min(l, shape[d]! - first[d]!));
    if (len.some((l, d) => l < t.shape[d]!))
      t = slice(
        t,
        len.map((l) => [0, l] as const),
      );
    return constantPad(
      t,
      len.map((l, d) => [first[d]!, shape[d]! - first[d]! - l] as const),
      0,
    );
  });
}

/** Python's slice.indices(n): the first index and the number of elements taken. */
function sliceIndices(n: number, start: number | null | undefined, end: number | null | undefined, step: number): { first: number; count: number } {
  const back = step < 0;
  const clampIndex = (v: number | null | undefined, dflt: number): number => {
    if (v === null || v === undefined) return dflt;
    if (v < 0) {
      v += n;
      if (v < 0) v = back ? -1 : 0;
    } else if (v >= n) {
      v = back ? n - 1 : n;
    }
    return v;
  };
  const a = clampIndex(start, back ? n - 1 : 0);
  const b = clampIndex(end, back ? -1 : n);
  const count = back ? (b < a ? Math.floor((a - b - 1) / -step) + 1 : 0) : a < b ? Math.floor((b - a - 1) / step) + 1 : 0;
  return { first: a, count };
}

/**
 * Basic slicing with steps, as Python's `x[a:b:s, c:d, ...]`: one `[start, end, step]` entry per
 * leading dimension (see SliceSpec). Out-of-range bounds are clamped, so a slice may be empty.
 * Steps may be negative (as numpy; PyTorch only allows positive steps); a step of 0 is a
 * ValueError. Copies the selected elements.
 * @example arange(10).slice([[1, -1, 3]]) // [1, 4, 7]
 * @example x.slice([null, [null, null, -1]]) // x[:, ::-1]
 */
export function slice(x: Tensor, spec: SliceSpec): Tensor {
  assertUsable(x, 'slice');
  if (!Array.isArray(spec))
    throw new ValueError(`slice: the spec must be an array with one [start, end, step] entry per leading dimension, got ${typeof spec}`);
  if (spec.length > x.rank) {
    throw new AxisError(`slice: the spec has ${spec.length} entries but the tensor ${fmtShape(x.shape)} has rank ${x.rank}`);
  }
  const starts: number[] = [];
  const steps: number[] = [];
  const shape: number[] = [];
  x.shape.forEach((n, d) => {
    const e = spec[d];
    const [start, end, step = 1] = e ?? [];
    for (const v of [start, end]) {
      if (v !== null && v !== undefined && !Number.isInteger(v)) {
        throw new ValueError(`slice: bounds must be integers, got ${v} in entry ${d} ([${e!.join(', ')}]) for shape ${fmtShape(x.shape)}`);
      }
    }
    if (!Number.isInteger(step)) throw new ValueError(`slice: step must be an integer, got ${step} in entry ${d} for shape ${fmtShape(x.shape)}`);
    if (step === 0) throw new ValueError(`slice: step cannot be zero (entry ${d} for shape ${fmtShape(x.shape)})`);
    const { first, count } = sliceIndices(n, start, end, step);
    starts.push(first);
    steps.push(step);
    shape.push(count);
  });
  if (shape.every((c, d) => c === x.shape[d] && steps[d] === 1)) return reshape(x, x.shape);
  return apply(slicePrim, [x], { starts, steps, shape });
}
