/**
 * Reduction semantics against hand-computed expectations: axis sets, negative axes, keepdim,
 * 0-d tensors, empty reductions (sum 0, prod 1, mean NaN, max/min an error, as PyTorch), ties,
 * NaN, dtypes, PyTorch's correction for var/std, and stability of logsumexp/softmax.
 */
import { describe, expect, it } from 'vitest';
import {
  AxisError,
  ValueError,
  arange,
  argmax,
  argmin,
  logSoftmax,
  logsumexp,
  max,
  mean,
  memory,
  min,
  prod,
  softmax,
  std,
  sum,
  tensor,
  tidy,
  variance,
  zeros,
} from '@pixgrad/core';

/** x[i][j][k] = 12 i + 4 j + k */
const cube = () => arange(24).reshape([2, 3, 4]);
const f32 = (data: number[] | number[][]) => tensor(data, { dtype: 'float32' });
const close = (a: unknown, b: number[], digits = 5) => {
  const av = (a as { dataSync(): ArrayLike<number> }).dataSync();
  expect(av.length).toBe(b.length);
  Array.from(av).forEach((v, i) => (Number.isNaN(b[i]) ? expect(v).toBeNaN() : expect(v).toBeCloseTo(b[i]!, digits)));
};

describe('sum, mean, prod', () => {
  it('sum over [0, 2] of a 2x3x4 arange', () => {
    // sum over i, k of 12 i + 4 j + k = 48 + 32 j + 12
    expect(sum(cube(), [0, 2]).arraySync()).toEqual([60, 92, 124]);
    const kept = sum(cube(), [0, 2], true);
    expect(kept.shape).toEqual([1, 3, 1]);
    expect(kept.arraySync()).toEqual([[[60], [92], [124]]]);
    expect(sum(cube(), [-1, -3]).arraySync()).toEqual([60, 92, 124]);
    expect(sum(cube()).arraySync()).toBe(276);
    expect(sum(cube(), 1).arraySync()).toEqual([
      [12, 15, 18, 21],
      [48, 51, 54, 57],
    ]);
    expect(sum(cube(), []).shape).toEqual([2, 3, 4]);
  });

  it('sum: bool counts as int32; empty is 0; 0-d tensors accept axis 0 and -1', () => {
    const b = tensor([true, false, true]);
    expect(sum(b).dtype).toBe('int32');
    expect(sum(b).arraySync()).toBe(2);
    expect(sum(zeros([2, 0]), 1).arraySync()).toEqual([0, 0]);
    expect(sum(zeros([0])).arraySync()).toBe(0);
    expect(sum(tensor(5), 0).arraySync()).toBe(5);
    expect(sum(tensor(5), -1, true).shape).toEqual([]);
  });

  it('mean over axes; empty is NaN; ints give float32', () => {
    const x = cube().cast('float32');
    expect(mean(x, [0, 2]).arraySync()).toEqual([7.5, 11.5, 15.5]);
    expect(mean(x, -1, true).shape).toEqual([2, 3, 1]);
    expect(mean(x).arraySync()).toBe(11.5);
    expect(mean(zeros([0])).arraySync()).toBeNaN();
    expect(mean(zeros([3, 0]), 1).arraySync()).toEqual([NaN, NaN, NaN]);
    const mi = mean(tensor([1, 2], { dtype: 'int32' }));
    expect(mi.dtype).toBe('float32');
    expect(mi.arraySync()).toBe(1.5);
  });

  it('prod over axes; empty is 1; bool counts as int32', () => {
    expect(
      prod(
        f32([
          [1, 2],
          [3, 4],
        ]),
        1,
      ).arraySync(),
    ).toEqual([2, 12]);
    expect(
      prod(
        f32([
          [1, 2],
          [3, 4],
        ]),
        0,
        true,
      ).arraySync(),
    ).toEqual([[3, 8]]);
    expect(
      prod(
        f32([
          [1, 2],
          [3, 4],
        ]),
      ).arraySync(),
    ).toBe(24);
    expect(prod(tensor([-2, 3, 0.5]), [0]).arraySync()).toBe(-3);
    expect(prod(zeros([2, 0]), 1).arraySync()).toEqual([1, 1]);
    expect(prod(zeros([0])).arraySync()).toBe(1);
    expect(prod(tensor([true, true])).dtype).toBe('int32');
  });
});

describe('max, min, argmax, argmin', () => {
  it('max/min over axis sets with keepdim', () => {
    const x = cube();
    expect(max(x, [0, 2]).arraySync()).toEqual([15, 19, 23]);
    expect(min(x, [0, 2]).arraySync()).toEqual([0, 4, 8]);
    expect(max(x, -1, true).arraySync()).toEqual([
      [[3], [7], [11]],
      [[15], [19], [23]],
    ]);
    expect(max(x).arraySync()).toBe(23);
    expect(
      min(
        f32([
          [3, -1],
          [2, 7],
        ]),
        1,
      ).arraySync(),
    ).toEqual([-1, 2]);
    expect(max(tensor(4), 0).arraySync()).toBe(4);
    expect(max(zeros([0, 3]), 1).shape).toEqual([0]); // the reduced axis is not empty
  });

  it('max/min propagate NaN (as PyTorch)', () => {
    expect(max(f32([1, NaN, 3])).arraySync()).toBeNaN();
    expect(
      min(
        f32([
          [1, 2],
          [NaN, 0],
        ]),
        1,
      ).arraySync(),
    ).toEqual([1, NaN]);
  });

  it('max/min of no elements is a ValueError naming the op, the axis and the shape', () => {
    expect(() => max(zeros([2, 0]), 1)).toThrow(ValueError);
    expect(() => max(zeros([2, 0]), 1)).toThrow(/max: cannot reduce over axis 1 of size 0 \(shape \[2, 0\]\)/);
    expect(() => min(zeros([0]))).toThrow(/min: cannot reduce over axis 0 of size 0/);
  });

  it('argmax/argmin: int32, ties give the first index, no axis indexes the flattened tensor', () => {
    const x = f32([
      [1, 5, 5],
      [7, 0, 7],
    ]);
    const a = argmax(x, 1);
    expect(a.dtype).toBe('int32');
    expect(a.arraySync()).toEqual([1, 0]);
    expect(argmin(x, 1).arraySync()).toEqual([0, 1]);
    expect(argmax(x, 0).arraySync()).toEqual([1, 0, 1]);
    expect(argmax(x, -1, true).arraySync()).toEqual([[1], [0]]);
    expect(argmax(x).arraySync()).toBe(3);
    expect(argmin(x).arraySync()).toBe(4);
    expect(argmax(x, undefined, true).shape).toEqual([1, 1]);
    expect(argmax(f32([1, NaN, 3])).arraySync()).toBe(1);
    expect(argmax(tensor(3)).arraySync()).toBe(0);
    expect(argmax(f32([1, 2]).requiresGrad_()).requiresGrad).toBe(false);
  });

  it('argmax of no elements is a ValueError', () => {
    expect(() => argmax(zeros([0]))).toThrow(/argmax: cannot take the argmax of an empty tensor \[0\]/);
    expect(() => argmin(zeros([2, 0]), 1)).toThrow(/argmin: cannot reduce over axis 1 of size 0 \(shape \[2, 0\]\)/);
  });
});

describe('variance and std (PyTorch correction semantics)', () => {
  const x = () => f32([1, 2, 3, 4]); // mean 2.5, squared deviations sum to 5

  it('correction 1 (default, sample) and 0 (population), and 2', () => {
    close(variance(x()), [5 / 3]);
    close(variance(x(), undefined, { correction: 0 }), [1.25]);
    close(variance(x(), 0, { correction: 2 }), [2.5]);
    close(std(x()), [Math.sqrt(5 / 3)]);
    close(std(x(), undefined, { correction: 0 }), [Math.sqrt(1.25)]);
  });

  it('over axis sets with keepdim', () => {
    const m = f32([
      [1, 2, 3],
      [2, 4, 9],
    ]);
    close(variance(m, 1), [1, 13]);
    close(variance(m, 0, { correction: 0 }), [0.25, 1, 9]);
    const v = variance(m, [0, 1], { keepdim: true });
    expect(v.shape).toEqual([1, 1]);
    // mean 3.5; squared deviations 6.25 2.25 0.25 2.25 0.25 30.25 = 41.5
    close(v, [41.5 / 5]);
    close(std(m, -1, { keepdim: true }), [1, Math.sqrt(13)]);
  });

  it('N <= correction divides by zero (Inf, or NaN for 0 / 0); no elements give NaN; ints give float32', () => {
    expect(variance(f32([7])).arraySync()).toBeNaN();
    expect(variance(f32([1, 3]), 0, { correction: 3 }).arraySync()).toBe(Infinity);
    expect(variance(zeros([0])).arraySync()).toBeNaN();
    const vi = variance(tensor([1, 2, 3], { dtype: 'int32' }));
    expect(vi.dtype).toBe('float32');
    expect(vi.arraySync()).toBe(1);
    expect(() => variance(x(), 0, { correction: NaN })).toThrow(/variance: correction must be a finite number/);
  });
});

describe('logsumexp, softmax, logSoftmax', () => {
  it('logsumexp is stable and handles infinities as PyTorch', () => {
    close(logsumexp(f32([1, 2, 3])), [Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3))]);
    close(logsumexp(f32([1000, 1000])), [1000 + Math.LN2], 3);
    close(logsumexp(f32([-1000, -1000])), [-1000 + Math.LN2], 3);
    expect(logsumexp(f32([-Infinity, -Infinity])).arraySync()).toBe(-Infinity);
    expect(logsumexp(f32([Infinity, 1])).arraySync()).toBe(Infinity);
    expect(logsumexp(zeros([0])).arraySync()).toBe(-Infinity);
    const m = f32([
      [0, 0],
      [1, 1],
    ]);
    close(logsumexp(m, 1), [Math.LN2, 1 + Math.LN2]);
    expect(logsumexp(m, [0, 1], true).shape).toEqual([1, 1]);
    close(logsumexp(m, 0), [Math.log(1 + Math.E), Math.log(1 + Math.E)]);
  });

  it('softmax along an axis, stable for large inputs', () => {
    const e = [1, 2, 3].map(Math.exp);
    const z = e.reduce((a, b) => a + b);
    close(
      softmax(f32([1, 2, 3])),
      e.map((v) => v / z),
    );
    close(
      softmax(f32([1001, 1002, 1003])),
      e.map((v) => v / z),
    );
    close(
      softmax(
        f32([
          [1, 1],
          [2, 4],
        ]),
        0,
      ),
      [1 / (1 + Math.E), 1 / (1 + Math.E ** 3), Math.E / (1 + Math.E), Math.E ** 3 / (1 + Math.E ** 3)],
    );
    close(
      softmax(
        f32([
          [1, 1],
          [2, 4],
        ]),
      ),
      [0.5, 0.5, 1 / (1 + Math.E ** 2), Math.E ** 2 / (1 + Math.E ** 2)],
    );
    close(softmax(f32([-Infinity, -Infinity])), [NaN, NaN]);
    close(softmax(f32([0, -Infinity])), [1, 0]);
    expect(softmax(tensor(3)).arraySync()).toBe(1);
  });

  it('logSoftmax = x - logsumexp, without overflow or log(0)', () => {
    const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
    close(logSoftmax(f32([1, 2, 3])), [1 - lse, 2 - lse, 3 - lse]);
    close(logSoftmax(f32([0, -1000])), [0, -1000], 3);
    close(
      logSoftmax(
        f32([
          [1000, 1000],
          [0, 0],
        ]),
        0,
      ),
      [0, 0, -1000, -1000],
      3,
    );
    expect(logSoftmax(tensor(3)).arraySync()).toBe(0);
  });
});

describe('Tensor methods', () => {
  it('call the same reductions', () => {
    const x = f32([
      [1, 2, 3],
      [2, 4, 9],
    ]);
    expect(x.sum(1).arraySync()).toEqual([6, 15]);
    expect(x.mean(0).arraySync()).toEqual([1.5, 3, 6]);
    expect(x.max(1, true).arraySync()).toEqual([[3], [9]]);
    expect(x.min().arraySync()).toBe(1);
    expect(x.prod(1).arraySync()).toEqual([6, 72]);
    expect(x.argmax(1).arraySync()).toEqual([2, 2]);
    expect(x.argmin(0).arraySync()).toEqual([0, 0, 0]);
    close(x.var(1), [1, 13]);
    close(x.std(1, { correction: 0 }), [Math.sqrt(2 / 3), Math.sqrt(26 / 3)]);
    close(x.logsumexp(0), [Math.log(Math.E + Math.E ** 2), Math.log(Math.E ** 2 + Math.E ** 4), Math.log(Math.E ** 3 + Math.E ** 9)]);
    close(x.softmax(0).sum(0), [1, 1, 1]);
    close(x.logSoftmax().exp().sum(1), [1, 1]);
  });
});

describe('bad axes', () => {
  const ops: [string, (x: ReturnType<typeof zeros>, a: number) => unknown][] = [
    ['sum', (x, a) => sum(x, a)],
    ['mean', (x, a) => mean(x, a)],
    ['max', (x, a) => max(x, a)],
    ['min', (x, a) => min(x, a)],
    ['prod', (x, a) => prod(x, a)],
    ['argmax', (x, a) => argmax(x, a)],
    ['argmin', (x, a) => argmin(x, a)],
    ['variance', (x, a) => variance(x, a)],
    ['std', (x, a) => std(x, a)],
    ['logsumexp', (x, a) => logsumexp(x, a)],
    ['softmax', (x, a) => softmax(x, a)],
    ['logSoftmax', (x, a) => logSoftmax(x, a)],
  ];
  it.each(ops)('%s: an out-of-range axis is an AxisError naming the op and the rank', (name, f) => {
    const x = zeros([2, 3]);
    expect(() => f(x, 2)).toThrow(AxisError);
    expect(() => f(x, 2)).toThrow(new RegExp(`^${name}: axis 2 is out of range for a tensor of rank 2`));
    expect(() => f(x, -3)).toThrow(new RegExp(`^${name}: axis -3 is out of range`));
    expect(() => f(tensor(1), 1)).toThrow(new RegExp(`^${name}: axis 1 is out of range for a tensor of rank 0`));
  });

  it('repeated axes are an AxisError', () => {
    expect(() => sum(zeros([2, 3]), [1, -1])).toThrow(/sum: repeated axis in \[1, -1\]/);
    expect(() => max(zeros([2, 3]), [0, 0])).toThrow(AxisError);
  });

  it('reductions leave nothing behind', () => {
    const before = memory().tensors;
    tidy(() => {
      const x = cube().cast('float32');
      [mean(x, 1), variance(x, [0, 2]), std(x), logsumexp(x, 2), softmax(x, 0), logSoftmax(x), prod(x, 1), max(x, 2), argmin(x)].forEach((t) => t.dataSync());
    });
    expect(memory().tensors).toBe(before);
  });
});
