/**
 * fast-check arbitraries shared by the gradient suites (primitives.test.ts, movement-grad.test.ts,
 * reduce-grad.test.ts): cases drawn from a random shape, distinct values, indices along an axis.
 */
import fc from 'fast-check';
import { sizeOf, tensor } from '@pixgrad/core';
import { type ParamCase, type TensorSpec, shapes, specOf } from '@pixgrad/core/testing';

/** A random shape (ranks 1..4 unless told) and a float64 spec of it (or `spec`'s), with params drawn from the shape. */
export function withShape<P>(
  params: (shape: number[]) => fc.Arbitrary<P>,
  opts: { minRank?: number; maxRank?: number; spec?: (shape: number[]) => fc.Arbitrary<TensorSpec> } = {},
): fc.Arbitrary<ParamCase<P>> {
  const spec = opts.spec ?? ((s: number[]) => specOf(s));
  return shapes({ minRank: opts.minRank ?? 1, maxRank: opts.maxRank ?? 4 }).chain((s) => fc.record({ inputs: spec(s).map((x) => [x]), params: params(s) }));
}

/** Distinct values in [-300, 300] / `scale`, at least 1/scale apart (no ties, so max, min and max pooling are differentiable). */
export function distinctSpec(shape: readonly number[], scale = 150): fc.Arbitrary<TensorSpec> {
  const n = sizeOf(shape);
  return fc
    .uniqueArray(fc.integer({ min: -300, max: 300 }), { minLength: n, maxLength: n })
    .map((v) => ({ shape: [...shape], values: v.map((k) => k / scale) }));
}

/** An int32 tensor (indices) on the CPU. */
export const int32 = (values: number[], shape: number[]) => tensor(values, { shape, dtype: 'int32' });

/**
 * An axis of x's shape s and an index shape no larger than s off the axis (1..4 along it), with
 * index values in range along the axis (repeats likely), plus what `more` draws for that index shape.
 */
export function indexAlongAxis<M extends object>(
  s: number[],
  more: (ish: number[]) => { [K in keyof M]: fc.Arbitrary<M[K]> },
): fc.Arbitrary<{ axis: number; shape: number[]; index: number[] } & M> {
  return fc.nat(s.length - 1).chain((axis) =>
    fc.tuple(...s.map((d, i) => (i === axis ? fc.integer({ min: 1, max: 4 }) : fc.integer({ min: 1, max: d })))).chain(
      (ish) =>
        fc.record({
          axis: fc.constant(axis),
          shape: fc.constant(ish),
          index: fc.array(fc.nat(s[axis]! - 1), { minLength: sizeOf(ish), maxLength: sizeOf(ish) }),
          ...more(ish),
        }) as fc.Arbitrary<{ axis: number; shape: number[]; index: number[] } & M>,
    ),
  );
}
