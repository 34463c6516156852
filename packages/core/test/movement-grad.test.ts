/**
 * Gradient properties of the movement ops: gradcheck and gradgradcheck (float64, central
 * differences) on 50 generated cases each, shapes with size-1 dims, plus fixed cases whose
 * gradients are computed by hand (where slices, reflections and gathers send the cotangent).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  concat,
  constantPad,
  dispose,
  expand,
  flatten,
  flip,
  gather,
  grad,
  indexSelect,
  memory,
  pad,
  permute,
  reshape,
  scatterAdd,
  slice,
  squeeze,
  stack,
  tensor,
  tidy,
  transpose,
  unsqueeze,
  type SliceSpec,
} from '@pixgrad/core';
import { type TensorSpec, propertyGradcheck, shapes, specOf, tensorSpec } from '@pixgrad/core/testing';
import { indexAlongAxis, int32, withShape } from './arbitraries.js';

const f64 = (data: number[] | number[][], requiresGrad = true) => tensor(data, { dtype: 'float64', requiresGrad });
const values = (t: { dataSync(): ArrayLike<number> }) => Array.from(t.dataSync());

/** A random permutation of 0..n-1. */
const permutation = (n: number) => fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n });

/** One slice entry for a dimension of size n: bounds anywhere in [-n-2, n+2] or null, step in ±1..3. */
const sliceEntry = (n: number) =>
  fc.oneof(
    { arbitrary: fc.constant(null), weight: 1 },
    {
      arbitrary: fc.tuple(
        fc.option(fc.integer({ min: -n - 2, max: n + 2 })),
        fc.option(fc.integer({ min: -n - 2, max: n + 2 })),
        fc.constantFrom(1, 2, 3, -1, -2),
      ),
      weight: 4,
    },
  );

describe('movement: gradcheck and gradgradcheck properties', () => {
  it('reshape', () =>
    propertyGradcheck(
      'reshape',
      withShape((s) => fc.constant(s)),
      ([x]) => tidy(() => reshape(reshape(x!, [-1]), [...x!.shape].reverse())),
    ));

  it('expand (size-1 dims stretched, new leading dims)', () =>
    propertyGradcheck(
      'expand',
      withShape((s) => fc.tuple(fc.integer({ min: 1, max: 2 }), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: s.length, maxLength: s.length })), {
        maxRank: 3,
      }),
      ([x], [lead, grow]) => expand(x!, [lead, ...x!.shape.map((d, i) => (d === 1 ? grow[i]! : d))]),
    ));

  it('permute', () =>
    propertyGradcheck(
      'permute',
      withShape((s) => permutation(s.length)),
      ([x], axes) => permute(x!, axes),
    ));

  it('transpose', () =>
    propertyGradcheck(
      'transpose',
      withShape((s) => fc.tuple(fc.nat(s.length - 1), fc.nat(s.length - 1))),
      ([x], [a, b]) => transpose(x!, a, b),
    ));

  it('flatten, squeeze, unsqueeze (reshapes)', () =>
    propertyGradcheck(
      'flatten/squeeze/unsqueeze',
      withShape((s) => fc.tuple(fc.nat(s.length - 1), fc.nat(s.length - 1), fc.nat(s.length))),
      ([x], [a, b, u]) =>
        tidy(() => {
          const f = flatten(x!, Math.min(a, b), Math.max(a, b));
          return unsqueeze(squeeze(f), Math.min(u, f.rank - f.shape.filter((d) => d === 1).length));
        }),
    ));

  it('slice with steps (positive and negative) and clamped bounds', () =>
    propertyGradcheck(
      'slice',
      withShape((s) => fc.tuple(...s.map(sliceEntry)) as fc.Arbitrary<SliceSpec>),
      ([x], spec) => slice(x!, spec),
    ));

  it('flip', () =>
    propertyGradcheck(
      'flip',
      withShape((s) => fc.subarray([...s.keys()])),
      ([x], axes) => flip(x!, axes),
    ));

  it('pad constant (any dims, crop with negative pads)', () =>
    propertyGradcheck(
      'pad constant',
      withShape(
        (s) =>
          fc.record({
            // [before, after] for the last k dims, last first; a crop never takes more than the dim holds
            pads: fc.array(fc.tuple(fc.integer({ min: -1, max: 2 }), fc.integer({ min: -1, max: 2 })), { maxLength: s.length }).map((pairs) =>
              pairs.flatMap(([b, a], j) => {
                const n = s[s.length - 1 - j]!;
                return n + Math.min(0, b) + Math.min(0, a) >= 0 ? [b, a] : [Math.max(b, 0), Math.max(a, 0)];
              }),
            ),
            value: fc.double({ min: -2, max: 2, noNaN: true }),
          }),
        { maxRank: 3 },
      ),
      ([x], p) => pad(x!, p.pads, { value: p.value }),
    ));

  it('pad reflect', () =>
    propertyGradcheck(
      'pad reflect',
      withShape((s) => fc.tuple(...s.map((n) => fc.tuple(fc.nat(n - 1), fc.nat(n - 1))))),
      ([x], pairs) => pad(x!, [...pairs].reverse().flat(), { mode: 'reflect' }),
    ));

  it('pad replicate', () =>
    propertyGradcheck(
      'pad replicate',
      withShape((s) => fc.array(fc.nat(3), { maxLength: 2 * s.length }).map((p) => (p.length % 2 ? p.slice(1) : p))),
      ([x], pads) => pad(x!, pads, { mode: 'replicate' }),
    ));

  it('pad symmetric', () =>
    propertyGradcheck(
      'pad symmetric',
      withShape((s) => fc.tuple(...s.map((n) => fc.tuple(fc.nat(n), fc.nat(n))))),
      ([x], pairs) => pad(x!, [...pairs].reverse().flat(), { mode: 'symmetric' }),
    ));

  it('constantPad (per-dimension pairs)', () =>
    propertyGradcheck(
      'constantPad',
      withShape((s) => fc.tuple(...s.map(() => fc.tuple(fc.nat(2), fc.nat(2)))), { maxRank: 3 }),
      ([x], pairs) => constantPad(x!, pairs, 0.5),
    ));

  it('concat of 1-3 tensors', () =>
    propertyGradcheck(
      'concat',
      shapes({ minRank: 1, maxRank: 3, maxSize: 12 }).chain((s) =>
        fc
          .record({
            axis: fc.nat(s.length - 1),
            sizes: fc.array(fc.nat(3), { minLength: 1, maxLength: 3 }),
          })
          .chain(({ axis, sizes }) =>
            fc.record({
              inputs: fc.tuple(...sizes.map((k) => specOf(s.map((d, i) => (i === axis ? k : d))))) as fc.Arbitrary<TensorSpec[]>,
              params: fc.constant(axis),
            }),
          ),
      ),
      (xs, axis) => concat(xs, axis),
    ));

  it('stack of 1-3 tensors', () =>
    propertyGradcheck(
      'stack',
      shapes({ minRank: 0, maxRank: 3, maxSize: 8 }).chain((s) =>
        fc.record({
          inputs: fc.array(specOf(s), { minLength: 1, maxLength: 3 }),
          params: fc.integer({ min: -s.length - 1, max: s.length }),
        }),
      ),
      (xs, axis) => stack(xs, axis),
    ));

  const gatherCase = withShape((s) => indexAlongAxis(s, () => ({})));

  it('gather (repeated indices, index smaller than x)', () =>
    propertyGradcheck('gather', gatherCase, ([x], p) => tidy(() => gather(x!, p.axis, int32(p.index, p.shape)))));

  it('indexSelect', () =>
    propertyGradcheck(
      'indexSelect',
      withShape((s) =>
        fc.nat(s.length - 1).chain((axis) => fc.record({ axis: fc.constant(axis), index: fc.array(fc.nat(s[axis]! - 1), { minLength: 0, maxLength: 4 }) })),
      ),
      ([x], p) => tidy(() => indexSelect(x!, p.axis, int32(p.index, [p.index.length]))),
    ));

  it('scatterAdd with respect to x and src (src larger than the index)', () =>
    propertyGradcheck(
      'scatterAdd',
      withShape((s) => indexAlongAxis<{ src: TensorSpec }>(s, (ish) => ({ src: specOf(ish.map((d, i) => d + (i === 0 ? 1 : 0))) }))).map(
        ({ inputs, params }) => ({ inputs: [...inputs, params.src], params }),
      ),
      ([x, src], p) => tidy(() => scatterAdd(x!, p.axis, int32(p.index, p.shape), src!)),
    ));

  it('a chain of movement ops on a 4-D tensor', () =>
    propertyGradcheck('movement chain', fc.tuple(tensorSpec({}, { minRank: 4, maxRank: 4, maxSize: 24 })), (x) =>
      tidy(() => {
        const p = pad(permute(x, [0, 2, 3, 1]), [1, 0, 0, 1], { mode: 'replicate' });
        return concat([slice(p, [null, [null, null, -1], [0, null, 2]]), flip(p, [1]).slice([null, null, [0, null, 2]])], 3);
      }),
    ));
});

describe('movement: gradients at fixed points, by hand', () => {
  it('slice with a step and negative bounds puts the cotangent at the taken positions', () => {
    const x = f64([0, 1, 2, 3, 4, 5, 6, 7]);
    const w = tensor([10, 20, 30], { dtype: 'float64' });
    // x[-7:-1:2] takes positions 1, 3, 5
    const g = grad((x) =>
      slice(x, [[-7, -1, 2]])
        .mul(w)
        .sum(),
    )(x);
    expect(values(g)).toEqual([0, 10, 0, 20, 0, 30, 0, 0]);
    // x[6:0:-3] takes positions 6, 3
    const g2 = grad((x) =>
      slice(x, [[6, 0, -3]])
        .mul(tensor([1, 2], { dtype: 'float64' }))
        .sum(),
    )(x);
    expect(values(g2)).toEqual([0, 0, 0, 2, 0, 0, 1, 0]);
  });

  it('reflect padding sends each padded cell back to the cell it mirrors', () => {
    const x = f64([[1, 2, 3]]);
    // [3, 2, 1, 2, 3, 2]: a appears once, b three times, c twice
    const y = pad(x, [2, 1], { mode: 'reflect' });
    expect(values(y)).toEqual([3, 2, 1, 2, 3, 2]);
    expect(values(grad((x) => pad(x, [2, 1], { mode: 'reflect' }).sum())(x))).toEqual([1, 3, 2]);
    expect(values(grad((x) => pad(x, [2, 1], { mode: 'replicate' }).sum())(x))).toEqual([3, 1, 2]);
  });

  it('gather accumulates the gradient of repeated indices; its gradient of a gradient is a gather again', () => {
    const x = f64([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const idx = int32([2, 2, 0, 1, 1, 1], [2, 3]);
    const w = tensor(
      [
        [1, 10, 100],
        [1, 10, 100],
      ],
      { dtype: 'float64' },
    );
    const g = grad((x) => gather(x, 1, idx).mul(w).sum())(x);
    expect(values(g)).toEqual([100, 0, 11, 0, 111, 0]);
    // d/dx sum(gather(x)^2 * w) = scatter(2 * gather(x) * w); second derivative along the diagonal = scatter(2 w)
    const gg = grad((x) =>
      grad((x) =>
        gather(x, 1, idx)
          .mul(gather(x, 1, idx))
          .mul(w)
          .sum(),
      )(x).sum(),
    )(x);
    expect(values(gg)).toEqual([200, 0, 22, 0, 222, 0]);
  });

  it('concat hands each input its own slice of the cotangent', () => {
    const a = f64([[1], [2]]);
    const b = f64([
      [3, 4],
      [5, 6],
    ]);
    const w = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { dtype: 'float64' },
    );
    const out = concat([a, b], 1).mul(w).sum();
    out.backward();
    expect(values(a.grad!)).toEqual([1, 4]);
    expect(values(b.grad!)).toEqual([2, 3, 5, 6]);
  });

  it('backward through every movement op leaves no tensor behind', () => {
    const before = memory().tensors;
    const x = tensor([...Array(24).keys()], { shape: [2, 3, 4], dtype: 'float64', requiresGrad: true });
    const y = tidy(() =>
      concat(
        [
          pad(x, [1, 2, 1, 0], { mode: 'reflect' }).flatten(1),
          stack([x.transpose(), x.transpose()], 1).flatten(1),
          indexSelect(slice(x, [null, [null, null, -2]]), 2, int32([3, 0, 3], [3])).flatten(1),
          gather(x, 2, int32(Array(24).fill(1), [2, 3, 4])).flatten(1),
        ],
        1,
      ),
    );
    const s = y.sum();
    s.backward();
    expect(x.grad!.shape).toEqual([2, 3, 4]);
    x.grad = null;
    dispose([s, y]);
    x.dispose();
    expect(memory().tensors).toBe(before);
  });
});
