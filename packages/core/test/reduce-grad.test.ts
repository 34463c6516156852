/**
 * Gradient properties of the reductions: gradcheck and gradgradcheck (float64, central
 * differences) on 50 generated cases each over random axis sets (negative axes, keepdim,
 * size-1 dims, 0-d tensors), plus fixed cases at the ties and zeros where the conventions matter.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { grad, gradcheck, gradgradcheck, logSoftmax, logsumexp, max, mean, memory, min, prod, softmax, std, sum, tensor, tidy, variance } from '@pixgrad/core';
import { type ParamCase, type TensorSpec, floatValue, propertyGradcheck, shapes, specOf } from '@pixgrad/core/testing';
import { distinctSpec } from './arbitraries.js';

const f64 = (data: number[] | number[][], requiresGrad = true) => tensor(data, { dtype: 'float64', requiresGrad });
const values = (t: { dataSync(): ArrayLike<number> }) => Array.from(t.dataSync());
const close = (a: number[], b: number[], digits = 12) => {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, digits));
};

interface Reduce {
  axis: number | number[] | undefined;
  keepdim: boolean;
}

/** An axis argument for a tensor of `rank`: omitted, one axis, or a set (each possibly negative). */
function axisArg(rank: number): fc.Arbitrary<number | number[] | undefined> {
  if (rank === 0) return fc.constantFrom(undefined, 0, -1, [] as number[]);
  const one = fc.integer({ min: -rank, max: rank - 1 });
  const many = fc.subarray([...Array(rank).keys()]).chain((axes) => fc.tuple(...axes.map((a) => fc.constantFrom(a, a - rank))));
  return fc.oneof(fc.constant(undefined), one, many);
}

/** The sorted non-negative axes an axis argument names. */
function axesOf(axis: number | number[] | undefined, rank: number): number[] {
  if (axis === undefined) return [...Array(rank).keys()];
  return (typeof axis === 'number' ? [axis] : axis).map((a) => (a < 0 ? a + rank : a)).filter((a) => a < rank);
}

function reduceCase(spec: (shape: readonly number[]) => fc.Arbitrary<TensorSpec> = (s) => specOf(s)): fc.Arbitrary<ParamCase<Reduce>> {
  return shapes({ minRank: 0, maxRank: 4 }).chain((s) =>
    fc.record({ inputs: spec(s).map((x) => [x]), params: fc.record({ axis: axisArg(s.length), keepdim: fc.boolean() }) }),
  );
}

describe('reductions: gradcheck and gradgradcheck properties', () => {
  it('sum', () => propertyGradcheck('sum', reduceCase(), ([x], p) => sum(x!, p.axis, p.keepdim)));

  it('mean', () =>
    propertyGradcheck(
      'mean',
      reduceCase().filter((c) => c.inputs[0]!.values.length > 0),
      ([x], p) => mean(x!, p.axis, p.keepdim),
    ));

  it('max (distinct values)', () => propertyGradcheck('max', reduceCase(distinctSpec), ([x], p) => max(x!, p.axis, p.keepdim)));

  it('min (distinct values)', () => propertyGradcheck('min', reduceCase(distinctSpec), ([x], p) => min(x!, p.axis, p.keepdim)));

  it('prod (exact zeros, often several in one group)', () => {
    const withZeros = (s: readonly number[]) => {
      const n = s.reduce((p, d) => p * d, 1);
      const v = fc.oneof({ arbitrary: fc.constant(0), weight: 1 }, { arbitrary: floatValue({ tiny: false }), weight: 3 });
      return fc.array(v, { minLength: n, maxLength: n }).map((values) => ({ shape: [...s], values }));
    };
    propertyGradcheck('prod', reduceCase(withZeros), ([x], p) => prod(x!, p.axis, p.keepdim));
  });

  const withCorrection = reduceCase().chain((c) =>
    fc.record({
      inputs: fc.constant(c.inputs),
      params: fc.record({ ...{ axis: fc.constant(c.params.axis), keepdim: fc.constant(c.params.keepdim) }, correction: fc.constantFrom(0, 1, 2) }),
    }),
  );
  /** the reduced group has more elements than the correction, so the divisor is positive */
  const groupSize = (c: ParamCase<Reduce>) => axesOf(c.params.axis, c.inputs[0]!.shape.length).reduce((p, a) => p * c.inputs[0]!.shape[a]!, 1);

  it('variance (correction 0, 1, 2)', () =>
    propertyGradcheck(
      'variance',
      withCorrection.filter((c) => groupSize(c) > c.params.correction),
      ([x], p) => variance(x!, p.axis, { correction: p.correction, keepdim: p.keepdim }),
    ));

  it('std (distinct values, so the deviation is never 0)', () =>
    propertyGradcheck(
      'std',
      reduceCase(distinctSpec)
        .chain((c) =>
          fc.record({
            inputs: fc.constant(c.inputs),
            params: fc.record({ axis: fc.constant(c.params.axis), keepdim: fc.constant(c.params.keepdim), correction: fc.constantFrom(0, 1) }),
          }),
        )
        .filter((c) => groupSize(c) >= 2),
      ([x], p) => std(x!, p.axis, { correction: p.correction, keepdim: p.keepdim }),
    ));

  it('logsumexp (values up to ±30)', () =>
    propertyGradcheck(
      'logsumexp',
      reduceCase((s) => specOf(s, { min: -30, max: 30 })),
      ([x], p) => logsumexp(x!, p.axis, p.keepdim),
    ));

  const axisCase = shapes({ minRank: 0, maxRank: 4 }).chain((s) =>
    fc.record({
      inputs: specOf(s, { min: -5, max: 5 }).map((x) => [x]),
      params: s.length === 0 ? fc.constantFrom(0, -1) : fc.integer({ min: -s.length, max: s.length - 1 }),
    }),
  );

  it('softmax', () => propertyGradcheck('softmax', axisCase, ([x], axis) => softmax(x!, axis)));

  it('logSoftmax', () => propertyGradcheck('logSoftmax', axisCase, ([x], axis) => logSoftmax(x!, axis)));
});

describe('reductions: ties and zeros, by hand', () => {
  it('max and min share the gradient evenly among ties (as torch.amax / amin)', () => {
    const x = f64([
      [1, 5, 5],
      [7, 0, 7],
    ]);
    expect(values(grad((x) => max(x, 1).sum())(x))).toEqual([0, 0.5, 0.5, 0.5, 0, 0.5]);
    expect(values(grad((x) => min(x, 0).sum())(x))).toEqual([1, 0, 1, 0, 1, 0]);
    const t = f64([3, 1, 3, 3]);
    close(values(grad((x) => max(x))(t)), [1 / 3, 0, 1 / 3, 1 / 3]);
    const m = f64([
      [2, 2],
      [2, 2],
    ]);
    expect(values(grad((x) => min(x, [0, 1]))(m))).toEqual([0.25, 0.25, 0.25, 0.25]);
    // the cotangent of each group is split within that group
    const y = f64([
      [4, 4],
      [1, 9],
    ]);
    const w = tensor([10, 100], { dtype: 'float64' });
    expect(values(grad((x) => max(x, -1).mul(w).sum())(y))).toEqual([5, 5, 0, 100]);
  });

  it('max has a zero second derivative (the mask is a constant)', () => {
    const x = f64([1, 3, 2]);
    expect(values(grad((x) => grad((x) => max(x).mul(max(x)))(x).sum())(x))).toEqual([0, 2, 0]);
  });

  it('prod: the gradient with one zero, two zeros, and its second derivative with two zeros', () => {
    expect(values(grad((x) => prod(x))(f64([2, 0, 3])))).toEqual([0, 6, 0]);
    expect(values(grad((x) => prod(x))(f64([0, 2, 0])))).toEqual([0, 0, 0]);
    expect(values(grad((x) => prod(x))(f64([2, 3, 4])))).toEqual([12, 8, 6]);
    // Hessian of x0 x1 x2 at [0, 2, 0] times [1, 1, 1]: H02 = x1 = 2, the others vanish
    expect(values(grad((x) => grad((x) => prod(x))(x).sum())(f64([0, 2, 0])))).toEqual([2, 0, 2]);
    // along one axis of a matrix, each row on its own
    expect(
      values(
        grad((x) => prod(x, 1).sum())(
          f64([
            [0, 5],
            [0, 0],
          ]),
        ),
      ),
    ).toEqual([5, 0, 0, 0]);
    const r = gradgradcheck(
      (x) => prod(x, 0),
      [
        f64([
          [0, 1],
          [0, 2],
          [3, 0],
        ]),
      ],
    );
    expect(r.ok, r.report).toBe(true);
  });

  it('prod of a long axis (several scan steps) matches the product of the others', () => {
    const v = Array.from({ length: 37 }, (_, i) => (i % 5 === 3 ? 0.5 : 1 + i / 50));
    const g = values(grad((x) => prod(x))(f64(v)));
    v.forEach((_, i) =>
      expect(g[i]).toBeCloseTo(
        v.reduce((p, u, j) => (j === i ? p : p * u), 1),
        12,
      ),
    );
    const r = gradcheck((x) => prod(x, 1), [tensor(v.slice(0, 36), { shape: [2, 18], dtype: 'float64', requiresGrad: true })]);
    expect(r.ok, r.report).toBe(true);
  });

  it('variance, std and softmax gradients at fixed points', () => {
    // d var / dx_i = 2 (x_i - mean) / (N - correction)
    close(
      values(grad((x) => variance(x))(f64([1, 2, 3, 5]))),
      [-1.75, -0.75, 0.25, 2.25].map((d) => (2 * d) / 3),
    );
    close(
      values(grad((x) => variance(x, 0, { correction: 0 }))(f64([1, 2, 3, 5]))),
      [-1.75, -0.75, 0.25, 2.25].map((d) => (2 * d) / 4),
    );
    // d std / dx = d var / dx / (2 std)
    const s = Math.sqrt(1.25);
    close(
      values(grad((x) => std(x, undefined, { correction: 0 }))(f64([1, 2, 3, 4]))),
      [-1.5, -0.5, 0.5, 1.5].map((d) => d / 4 / s),
    );
    // d logsumexp / dx = softmax(x), also for huge inputs
    const p = [Math.exp(-1), 1].map((e) => e / (1 + Math.exp(-1)));
    close(values(grad((x) => logsumexp(x))(f64([999, 1000]))), p);
    // the softmax Jacobian: d s_0 / dx = s_0 (e_0 - s)
    close(
      values(
        grad((x) =>
          softmax(x)
            .mul(tensor([1, 0], { dtype: 'float64' }))
            .sum(),
        )(f64([999, 1000])),
      ),
      [p[0]! * (1 - p[0]!), -p[0]! * p[1]!],
    );
  });

  it('backward through every reduction leaves no tensor behind', () => {
    const before = memory().tensors;
    const x = tensor([0.5, -1, 2, 0, 3, 1.5], { shape: [2, 3], dtype: 'float64', requiresGrad: true });
    const y = tidy(() =>
      [sum(x, 0), mean(x, 1, true), max(x, 1), min(x), prod(x, 1), variance(x, 1), std(x, 0), logsumexp(x, 1), softmax(x, 0), logSoftmax(x)]
        .map((t) => t.sum())
        .reduce((a, b) => a.add(b)),
    );
    y.backward();
    expect(x.grad!.shape).toEqual([2, 3]);
    y.dispose();
    x.dispose();
    expect(memory().tensors).toBe(before);
  });
});
