/**
 * Elementwise primitives: hand-computed values, PyTorch's conventions exactly at kinks and ties,
 * dtype rules, bad input. (gradcheck/gradgradcheck properties are in elementwise-grad.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import {
  DTypeError,
  ShapeError,
  type Tensor,
  ValueError,
  abs,
  atan2,
  ceil,
  clamp,
  clone,
  cos,
  eq,
  exp,
  expm1,
  floor,
  ge,
  gradients,
  gt,
  le,
  leakyRelu,
  log,
  log1p,
  lt,
  maximum,
  memory,
  minimum,
  ne,
  pow,
  reciprocal,
  relu,
  round,
  rsqrt,
  sigmoid,
  sign,
  sin,
  softplus,
  sqrt,
  square,
  tanh,
  tensor,
  tidy,
  where,
} from '@pixgrad/core';

const f64 = (data: number | number[] | number[][], requiresGrad = false) => tensor(data, { dtype: 'float64', requiresGrad });
const vals = (t: Tensor) => Array.from(t.dataSync());
/** the gradient of sum(f(x)) with respect to each input */
const gradOf = (f: (...xs: Tensor[]) => Tensor, ...xs: Tensor[]): number[][] =>
  tidy(() => {
    const y = f(...xs);
    return gradients(y.sum(), xs).map(vals);
  });
const close = (actual: number[], expected: number[], digits = 12) => {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((v, i) => {
    if (Number.isFinite(expected[i]!)) expect(v).toBeCloseTo(expected[i]!, digits);
    else expect(v).toBe(expected[i]);
  });
};

describe('unary values (hand-computed)', () => {
  const x = [-2, -0.5, 0, 0.25, 3];
  const cases: [string, (t: Tensor) => Tensor, (v: number) => number, number[]?][] = [
    ['abs', abs, (v) => Math.abs(v)],
    ['sign', sign, (v) => (v > 0 ? 1 : v < 0 ? -1 : 0)],
    ['log', log, Math.log, [0.5, 1, Math.E, 10]],
    ['log1p', log1p, Math.log1p, [-0.5, 0, 1e-12, 3]],
    ['expm1', expm1, Math.expm1],
    ['sqrt', sqrt, Math.sqrt, [0, 0.25, 4, 9]],
    ['rsqrt', rsqrt, (v) => 1 / Math.sqrt(v), [0.25, 4, 9]],
    ['reciprocal', reciprocal, (v) => 1 / v, [-2, 0.25, 3]],
    ['sin', sin, Math.sin],
    ['cos', cos, Math.cos],
    ['tanh', tanh, Math.tanh],
    ['sigmoid', sigmoid, (v) => 1 / (1 + Math.exp(-v))],
    ['relu', relu, (v) => Math.max(v, 0)],
    ['square', square, (v) => v * v],
    ['floor', floor, Math.floor],
    ['ceil', ceil, Math.ceil],
    ['clone', clone, (v) => v],
  ];
  for (const [name, f, ref, input] of cases) {
    it(name, () => {
      const t = f64(input ?? x);
      const y = f(t);
      expect(y.dtype).toBe('float64');
      expect(y.shape).toEqual(t.shape);
      close(vals(y), (input ?? x).map(ref), 14);
      t.dispose();
      y.dispose();
    });
  }

  it('special values: log(0) = -Infinity, log(-1) = NaN, sqrt(-1) = NaN, rsqrt(0) = Infinity, reciprocal(-0) = -Infinity', () => {
    expect(vals(log(f64([0, -1])))).toEqual([-Infinity, NaN]);
    expect(vals(sqrt(f64([-1])))).toEqual([NaN]);
    expect(vals(rsqrt(f64([0])))).toEqual([Infinity]);
    expect(vals(reciprocal(f64([-0])))).toEqual([-Infinity]);
    expect(vals(sign(f64([NaN])))).toEqual([NaN]);
    expect(vals(relu(f64([NaN])))).toEqual([NaN]);
  });

  it('sigmoid and tanh do not overflow at large |x|', () => {
    expect(vals(sigmoid(f64([-1000, 1000])))).toEqual([0, 1]);
    expect(vals(tanh(f64([-1000, 1000])))).toEqual([-1, 1]);
  });

  it('round: halves to even (as PyTorch and numpy)', () => {
    const y = round(f64([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999999999999994, 2.4, -2.6, 7]));
    expect(vals(y)).toEqual([0, 2, 2, -0, -2, -2, 0, 2, -3, 7]);
  });

  it('leakyRelu: slope * x below 0, default slope 0.01', () => {
    close(vals(leakyRelu(f64([-2, 0, 3]))), [-0.02, 0, 3]);
    close(vals(leakyRelu(f64([-2, 0, 3]), 0.2)), [-0.4, 0, 3]);
    close(vals(f64([-2, 3]).leakyRelu(0.5)), [-1, 3]);
  });

  it('softplus: log(1 + e^(βx)) / β, linear above the threshold (PyTorch: beta 1, threshold 20)', () => {
    close(vals(softplus(f64([-1, 0, 2]))), [Math.log1p(Math.exp(-1)), Math.log(2), Math.log1p(Math.exp(2))]);
    close(vals(softplus(f64([1, 30]), { beta: 2 })), [Math.log1p(Math.exp(2)) / 2, 30]);
    // βx = 20 is not above the threshold: log1p form; 20.5 is: x itself
    close(vals(softplus(f64([20, 20.5]))), [Math.log1p(Math.exp(20)), 20.5]);
    close(vals(softplus(f64([2]), { beta: 1, threshold: 1 })), [2]);
    close(vals(f64([0]).softplus({ beta: 0.5 })), [Math.log(2) / 0.5]);
  });

  it('clamp: either bound optional; min > max gives max everywhere (as PyTorch)', () => {
    const x = f64([-2, 0.5, 3]);
    close(vals(clamp(x, 0, 1)), [0, 0.5, 1]);
    close(vals(clamp(x, 0)), [0, 0.5, 3]);
    close(vals(clamp(x, null, 1)), [-2, 0.5, 1]);
    close(vals(clamp(x, undefined, 1)), [-2, 0.5, 1]);
    close(vals(clamp(x, 2, 1)), [1, 1, 1]);
    close(vals(x.clamp(-1, 1)), [-1, 0.5, 1]);
  });

  it('Tensor methods reach the same ops', () => {
    const x = f64([0.5, 2]);
    close(vals(x.log()), [Math.log(0.5), Math.log(2)]);
    close(vals(x.sqrt()), [Math.sqrt(0.5), Math.SQRT2]);
    close(vals(x.square()), [0.25, 4]);
    close(vals(x.pow(3)), [0.125, 8]);
    close(vals(x.maximum(1)), [1, 2]);
    close(vals(x.minimum(1)), [0.5, 1]);
    close(vals(x.atan2(1)), [Math.atan2(0.5, 1), Math.atan2(2, 1)]);
    expect(vals(x.gt(1))).toEqual([0, 1]);
    expect(vals(x.clone())).toEqual([0.5, 2]);
  });
});

describe('binary values with broadcasting (hand-computed)', () => {
  it('pow', () => {
    const y = pow(f64([[2], [3]]), f64([0, 1, 2, -1, 0.5]));
    expect(y.shape).toEqual([2, 5]);
    close(vals(y), [1, 2, 4, 0.5, Math.SQRT2, 1, 3, 9, 1 / 3, Math.sqrt(3)]);
    close(vals(pow(2, f64([3, -1]))), [8, 0.5]);
    close(
      vals(pow(f64([0, -8]), f64([0, 1 / 3]))),
      [1, NaN].map((v) => v),
    );
  });

  it('maximum and minimum (NaN propagates)', () => {
    const a = f64([[1, 5, NaN]]);
    const b = f64([[3], [5]]);
    expect(vals(maximum(a, b))).toEqual([3, 5, NaN, 5, 5, NaN]);
    expect(vals(minimum(a, b))).toEqual([1, 3, NaN, 1, 5, NaN]);
    expect(maximum(a, b).shape).toEqual([2, 3]);
  });

  it('atan2(a, b) is the angle of (x = b, y = a) in (-π, π]', () => {
    const y = atan2(f64([1, 1, -1, 0, 0]), f64([1, -1, -1, -1, 1]));
    close(vals(y), [Math.PI / 4, (3 * Math.PI) / 4, (-3 * Math.PI) / 4, Math.PI, 0]);
  });

  it('compare ops give bool with broadcasting; NaN compares false except ne', () => {
    const a = f64([1, 2, 3, NaN]);
    const b = f64([[2], [3]]);
    const cases: [string, (a: Tensor, b: Tensor) => Tensor, number[]][] = [
      ['eq', eq, [0, 1, 0, 0, 0, 0, 1, 0]],
      ['ne', ne, [1, 0, 1, 1, 1, 1, 0, 1]],
      ['lt', lt, [1, 0, 0, 0, 1, 1, 0, 0]],
      ['le', le, [1, 1, 0, 0, 1, 1, 1, 0]],
      ['gt', gt, [0, 0, 1, 0, 0, 0, 0, 0]],
      ['ge', ge, [0, 1, 1, 0, 0, 0, 1, 0]],
    ];
    for (const [name, f, expected] of cases) {
      const y = f(a, b);
      expect(y.dtype, name).toBe('bool');
      expect(y.shape, name).toEqual([2, 4]);
      expect(vals(y), name).toEqual(expected);
      expect(y.requiresGrad, name).toBe(false);
    }
    expect(vals(gt(a, 2))).toEqual([0, 0, 1, 0]);
    expect(vals(lt(2, a))).toEqual([0, 0, 1, 0]);
    expect(gt(a, 2).arraySync()).toEqual([false, false, true, false]);
  });

  it('compare ops promote mixed dtypes first', () => {
    const i = tensor([1, 2, 3], { dtype: 'int32' });
    expect(vals(eq(i, f64([1, 2.5, 3])))).toEqual([1, 0, 1]);
    expect(vals(lt(i, 2.5))).toEqual([1, 1, 0]);
    expect(vals(eq(tensor([true, false]), tensor([true, true])))).toEqual([1, 0]);
  });

  it('where: broadcasting all three, numbers allowed for a and b', () => {
    const c = tensor([[true], [false]]);
    const a = f64([1, 2, 3]);
    const b = f64(-1);
    const y = where(c, a, b);
    expect(y.shape).toEqual([2, 3]);
    expect(vals(y)).toEqual([1, 2, 3, -1, -1, -1]);
    expect(vals(where(c, a, 0))).toEqual([1, 2, 3, 0, 0, 0]);
    expect(vals(where(c, 7, a))).toEqual([7, 7, 7, 1, 2, 3]);
    const n = where(tensor([true, false]), 1, 0);
    expect(n.dtype).toBe('int32');
    expect(vals(n)).toEqual([1, 0]);
    expect(where(tensor([true, false]), 1.5, 0).dtype).toBe('float32');
  });

  it('square is x * x; clone is a copy in a new buffer', () => {
    const x = f64([-3, 2]);
    expect(vals(square(x))).toEqual([9, 4]);
    const before = memory().bytes;
    const y = clone(x);
    expect(memory().bytes - before).toBe(16);
    x.dispose();
    expect(vals(y)).toEqual([-3, 2]);
    expect(clone(tensor([true, false])).dtype).toBe('bool');
    expect(clone(tensor([1, 2], { dtype: 'int32' })).dtype).toBe('int32');
    expect(clone(f64(5)).shape).toEqual([]);
  });
});

describe("gradients exactly at kinks and ties (PyTorch's conventions)", () => {
  it("relu'(0) = 0", () => {
    expect(gradOf(relu, f64([-1, 0, 2], true))).toEqual([[0, 0, 1]]);
  });

  it("abs'(0) = 0", () => {
    expect(gradOf(abs, f64([-1, 0, 2], true))).toEqual([[-1, 0, 1]]);
  });

  it("leakyRelu'(0) = slope", () => {
    close(gradOf((x) => leakyRelu(x, 0.2), f64([-1, 0, 2], true))[0]!, [0.2, 0.2, 1]);
    close(gradOf((x) => leakyRelu(x), f64([0], true))[0]!, [0.01]);
  });

  it('sign, floor, ceil, round: zero gradient (the result is a constant, also at the jumps)', () => {
    for (const f of [sign, floor, ceil, round]) {
      const x = f64([-1, -0.5, 0, 0.5, 1, 2.5], true);
      const y = f(x);
      expect(y.requiresGrad).toBe(false);
      // x + f(x): the gradient is exactly 1 everywhere
      expect(gradOf((x) => x.add(f(x)), x)).toEqual([[1, 1, 1, 1, 1, 1]]);
      x.dispose();
      y.dispose();
    }
  });

  it('clamp: the gradient passes where min <= x <= max, bounds included', () => {
    expect(gradOf((x) => clamp(x, -1, 1), f64([-2, -1, 0, 1, 2], true))).toEqual([[0, 1, 1, 1, 0]]);
    expect(gradOf((x) => clamp(x, 0), f64([-1, 0, 1], true))).toEqual([[0, 1, 1]]);
    expect(gradOf((x) => clamp(x, null, 0), f64([-1, 0, 1], true))).toEqual([[1, 1, 0]]);
    // min > max: no x satisfies min <= x <= max
    expect(gradOf((x) => clamp(x, 1, -1), f64([-2, 0, 2], true))).toEqual([[0, 0, 0]]);
  });

  it('maximum and minimum: ties split the gradient 0.5 / 0.5, summed over broadcast dims', () => {
    const a = f64([1, 2, 3], true);
    const b = f64(2, true);
    expect(gradOf(maximum, a, b)).toEqual([[0, 0.5, 1], [1.5]]);
    expect(gradOf(minimum, a, b)).toEqual([[1, 0.5, 0], [1.5]]);
    const c = f64([4, 4], true);
    expect(gradOf(maximum, c, c)).toEqual([
      [1, 1],
      [1, 1],
    ]);
    expect(gradOf((x) => maximum(x, x), c)).toEqual([[1, 1]]);
  });

  it('maximum and minimum with NaN: both operands get the full gradient (as PyTorch)', () => {
    expect(gradOf(maximum, f64([NaN], true), f64([1], true))).toEqual([[1], [1]]);
    expect(gradOf(minimum, f64([1], true), f64([NaN], true))).toEqual([[1], [1]]);
  });

  it("sqrt'(0) = Infinity (as PyTorch)", () => {
    expect(gradOf(sqrt, f64([0, 4], true))).toEqual([[Infinity, 0.25]]);
  });

  it('pow at the edges: d/da is 0 where b == 0; d/db is 0 where a == 0 and b >= 0', () => {
    const a = f64([0, 0, 0, 2, -2, 0], true);
    const b = f64([0, 2, 0.5, 0, 3, -1], true);
    const [ga, gb] = gradOf(pow, a, b);
    // d/da = b a^(b-1): 0 (b == 0), 2*0 = 0, 0.5 * 0^-0.5 = Infinity, 0 (b == 0), 3 * 4 = 12, -1 * 0^-2 = -Infinity
    expect(ga).toEqual([0, 0, Infinity, 0, 12, -Infinity]);
    // d/db = a^b ln a: masked to 0 where a == 0 and b >= 0; 1 * ln 2; (-8) ln(-2) = NaN; 0^-1 ln 0 = Infinity * -Infinity
    expect(gb!.slice(0, 3)).toEqual([0, 0, 0]);
    expect(gb![3]).toBeCloseTo(Math.log(2), 14);
    expect(gb![4]).toBeNaN();
    expect(gb![5]).toBe(-Infinity);
  });

  it('pow with a number exponent: d/da = k a^(k-1), and 0 for k = 0', () => {
    close(gradOf((a) => pow(a, 3), f64([-2, 0, 1.5], true))[0]!, [12, 0, 6.75]);
    expect(gradOf((a) => pow(a, 0), f64([-2, 0, 1.5], true))).toEqual([[0, 0, 0]]);
  });

  it('atan2: d/da = b / (a² + b²), d/db = -a / (a² + b²); NaN at the origin (as PyTorch)', () => {
    const [ga, gb] = gradOf(atan2, f64([1, 3, 0], true), f64([1, -4, 0], true));
    close(ga!.slice(0, 2), [0.5, -4 / 25]);
    close(gb!.slice(0, 2), [-0.5, -3 / 25]);
    expect(ga![2]).toBeNaN();
    expect(gb![2]).toBeNaN();
  });

  it('softplus: gradient σ(βx) up to the threshold, exactly 1 above it', () => {
    const [g] = gradOf((x) => softplus(x, { beta: 2, threshold: 4 }), f64([0, 1, 2, 2.5], true));
    close(g!, [0.5, 1 / (1 + Math.exp(-2)), 1 / (1 + Math.exp(-4)), 1]);
  });

  it('where: the gradient goes to a where cond, to b elsewhere, summed over broadcast dims; cond gets none', () => {
    const c = tensor([
      [true, false, true],
      [false, false, true],
    ]);
    const a = f64([1, 2, 3], true);
    const b = f64([[5], [6]], true);
    expect(gradOf((a, b) => where(c, a, b), a, b)).toEqual([
      [1, 0, 2],
      [1, 2],
    ]);
    // the unselected branch gets an exact 0, whatever its values (NaN, Infinity)
    expect(gradOf((a, b) => where(tensor([false, true]), a, b), f64([NaN, 1], true), f64([2, Infinity], true))).toEqual([
      [0, 1],
      [1, 0],
    ]);
  });

  it('hand-computed derivatives of the smooth unary ops', () => {
    const v = [0.3, 1.7];
    const cases: [(x: Tensor) => Tensor, (x: number) => number][] = [
      [log, (x) => 1 / x],
      [log1p, (x) => 1 / (1 + x)],
      [expm1, (x) => Math.exp(x)],
      [sqrt, (x) => 0.5 / Math.sqrt(x)],
      [rsqrt, (x) => -0.5 * x ** -1.5],
      [reciprocal, (x) => -1 / (x * x)],
      [sin, (x) => Math.cos(x)],
      [cos, (x) => -Math.sin(x)],
      [tanh, (x) => 1 - Math.tanh(x) ** 2],
      [sigmoid, (x) => Math.exp(-x) / (1 + Math.exp(-x)) ** 2],
      [square, (x) => 2 * x],
      [clone, () => 1],
      [exp, (x) => Math.exp(x)],
    ];
    for (const [f, d] of cases) close(gradOf(f, f64(v, true))[0]!, v.map(d), 12);
  });
});

describe('dtype rules', () => {
  const i32 = () => tensor([-2, 0, 3], { dtype: 'int32' });

  it('float-only ops cast int32 and bool to float32', () => {
    for (const f of [log, log1p, expm1, sqrt, rsqrt, reciprocal, sin, cos, tanh, sigmoid, (x: Tensor) => leakyRelu(x), (x: Tensor) => softplus(x), exp]) {
      expect(f(i32()).dtype).toBe('float32');
      expect(f(tensor([true, false])).dtype).toBe('float32');
    }
    close(vals(reciprocal(i32())), [-0.5, Infinity, 1 / 3], 6);
    close(vals(leakyRelu(i32())), [-0.02, 0, 3], 6);
  });

  it('abs, sign, relu, floor, ceil, round, clamp, maximum, minimum, square, clone keep int32', () => {
    const x = i32();
    expect(abs(x).dtype).toBe('int32');
    expect(vals(abs(x))).toEqual([2, 0, 3]);
    expect(vals(sign(x))).toEqual([-1, 0, 1]);
    expect(vals(relu(x))).toEqual([0, 0, 3]);
    for (const f of [sign, relu, floor, ceil, round, square, clone]) expect(f(x).dtype).toBe('int32');
    expect(vals(floor(x))).toEqual([-2, 0, 3]);
    const c = clamp(x, -1, 2);
    expect(c.dtype).toBe('int32');
    expect(vals(c)).toEqual([-1, 0, 2]);
    expect(maximum(x, 1).dtype).toBe('int32');
    expect(vals(minimum(x, tensor([1], { dtype: 'int32' })))).toEqual([-2, 0, 1]);
    expect(vals(square(x))).toEqual([4, 0, 9]);
  });

  it('a fractional clamp bound makes an int32 result float32; bool cannot be clamped', () => {
    const c = clamp(i32(), -1.5, 2.5);
    expect(c.dtype).toBe('float32');
    expect(vals(c)).toEqual([-1.5, 0, 2.5]);
    expect(clamp(i32(), -Infinity, 1).dtype).toBe('int32');
    expect(() => clamp(tensor([true]), 0, 1)).toThrow(DTypeError);
    expect(() => clamp(tensor([true]), 0, 1)).toThrow(/clamp: bool/);
  });

  it('binary ops promote: int32 ^ int32 stays int32, int32 with a fraction or float becomes float', () => {
    expect(pow(i32(), 2).dtype).toBe('int32');
    expect(vals(pow(i32(), 2))).toEqual([4, 0, 9]);
    expect(pow(i32(), 0.5).dtype).toBe('float32');
    expect(pow(i32(), f64([2])).dtype).toBe('float64');
    expect(maximum(i32(), tensor([0.5])).dtype).toBe('float32');
    expect(atan2(i32(), 1).dtype).toBe('float32');
    expect(atan2(f64([1]), tensor([1])).dtype).toBe('float64');
  });

  it('float32 in, float32 out', () => {
    const x = tensor([0.5, 2]);
    for (const f of [
      abs,
      log,
      sqrt,
      sigmoid,
      relu,
      floor,
      round,
      (t: Tensor) => clamp(t, 0, 1),
      (t: Tensor) => pow(t, 2),
      (t: Tensor) => maximum(t, 1),
      square,
      clone,
    ]) {
      expect(f(x).dtype).toBe('float32');
    }
  });

  it('where promotes a and b to one dtype; the result requires grad only through float inputs', () => {
    const c = tensor([true, false]);
    expect(where(c, tensor([1, 2], { dtype: 'int32' }), f64([3, 4])).dtype).toBe('float64');
    expect(where(c, tensor([1, 2], { dtype: 'int32' }), 0).dtype).toBe('int32');
    expect(where(c, tensor([1, 2], { dtype: 'int32' }), 0.5).dtype).toBe('float32');
    const a = f64([1, 2], true);
    expect(where(c, a, 0).requiresGrad).toBe(true);
    // gradients reach a float32 operand through the promotion cast, in its own dtype
    const b = tensor([3, 4], { requiresGrad: true });
    const [ga, gb] = gradients(where(c, a, b).sum(), [a, b]);
    expect(ga!.dtype).toBe('float64');
    expect(gb!.dtype).toBe('float32');
    expect(vals(gb!)).toEqual([0, 1]);
  });
});

describe('bad input', () => {
  it('shape mismatches name the op and every shape', () => {
    const a = f64([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const b = f64([1, 2, 3, 4]);
    for (const [name, f] of [
      ['pow', pow],
      ['maximum', maximum],
      ['minimum', minimum],
      ['atan2', atan2],
      ['eq', eq],
      ['ne', ne],
      ['lt', lt],
      ['le', le],
      ['gt', gt],
      ['ge', ge],
    ] as const) {
      expect(() => f(a, b), name).toThrow(ShapeError);
      expect(() => f(a, b), name).toThrow(`${name}: shapes [2, 3], [4] cannot be broadcast together`);
    }
    const c = tensor([[true], [false], [true]]);
    expect(() => where(c, a, f64([1, 2, 3]))).toThrow(ShapeError);
    expect(() => where(c, a, f64([1, 2, 3]))).toThrow('where: shapes [3, 1], [2, 3], [3] cannot be broadcast together');
  });

  it('non-tensor arguments are a ValueError naming the op', () => {
    const x = f64([1]);
    const bad = 'x' as unknown as Tensor;
    for (const [name, f] of [
      ['abs', abs],
      ['log', log],
      ['sqrt', sqrt],
      ['relu', relu],
      ['floor', floor],
      ['sign', sign],
      ['clone', clone],
      ['square', square],
    ] as const) {
      expect(() => f(bad), name).toThrow(ValueError);
      expect(() => f(bad), name).toThrow(`${name}: expected a Tensor, got string`);
    }
    expect(() => leakyRelu(null as unknown as Tensor)).toThrow('leakyRelu: expected a Tensor, got null');
    expect(() => clamp(3 as unknown as Tensor, 0, 1)).toThrow('clamp: expected a Tensor, got number');
    expect(() => pow(x, '2' as unknown as number)).toThrow('pow: b must be a Tensor or a number, got string');
    expect(() => maximum([1] as unknown as Tensor, x)).toThrow('maximum: a must be a Tensor or a number, got an array');
    // add/sub/mul/div check their operands like every other binary op (a string used to become NaN)
    expect(() => x.add('a' as unknown as number)).toThrow('add: b must be a Tensor or a number, got string');
    expect(() => x.sub([1] as unknown as number)).toThrow('sub: b must be a Tensor or a number, got an array');
    expect(() => x.mul(null as unknown as number)).toThrow('mul: b must be a Tensor or a number, got null');
    expect(() => x.div({} as unknown as number)).toThrow('div: b must be a Tensor or a number, got object');
    expect(() => atan2(1, 2)).toThrow('atan2: at least one operand must be a Tensor');
    expect(() => eq(x, undefined as unknown as number)).toThrow('eq: b must be a Tensor or a number, got undefined');
    expect(() => where(1 as unknown as Tensor, x, x)).toThrow('where: expected a Tensor, got number');
    expect(() => where(tensor([true]), x, {} as unknown as number)).toThrow('where: b must be a Tensor or a number, got object');
  });

  it('bad scalar parameters are a ValueError naming the op and the parameter', () => {
    const x = f64([1]);
    expect(() => clamp(x)).toThrow('clamp: at least one of min and max must be given');
    expect(() => clamp(x, null, null)).toThrow(ValueError);
    expect(() => clamp(x, NaN, 1)).toThrow('clamp: min must be a number, got NaN');
    expect(() => clamp(x, 0, '1' as unknown as number)).toThrow('clamp: max must be a number, got string');
    expect(() => leakyRelu(x, NaN)).toThrow('leakyRelu: slope must be a finite number, got NaN');
    expect(() => softplus(x, { beta: 0 })).toThrow('softplus: beta must be non-zero');
    expect(() => softplus(x, { threshold: Infinity })).toThrow('softplus: threshold must be a finite number, got Infinity');
  });

  it('where needs a bool condition', () => {
    const x = f64([1, 2]);
    expect(() => where(f64([1, 0]), x, x)).toThrow(DTypeError);
    expect(() => where(f64([1, 0]), x, x)).toThrow('where: the condition must be a bool tensor, got float64');
  });

  it('disposed tensors are rejected by name', () => {
    const x = f64([1]);
    x.dispose();
    expect(() => log(x)).toThrow(/log: tensor #\d+ \[1\] float64 was disposed/);
    expect(() => pow(x, 2)).toThrow(/pow: tensor #\d+ \[1\] float64 was disposed/);
  });
});

describe('memory', () => {
  it('forward and backward of every elementwise op leave nothing behind (including int casts and number operands)', () => {
    const before = memory().tensors;
    const x = f64([0.5, 1.5], true);
    const i = tensor([1, 2], { dtype: 'int32' });
    const c = tensor([true, false]);
    const ops: (() => Tensor)[] = [
      () => log(i),
      () => sqrt(i),
      () => clamp(i, 0.5, 1),
      () => pow(i, 0.5),
      () => atan2(i, 1),
      () => where(c, i, 0.5),
      () => eq(i, 1.5),
      () => where(c, 1, 2),
      () => maximum(x, 1),
      () => minimum(1, x),
      () => softplus(x),
      () => leakyRelu(x),
      () => clamp(x, 0.7, 1),
      () => pow(x, x),
      () => where(c, x, 0),
      () => atan2(x, 2),
      () => abs(x),
      () => relu(x),
      () => rsqrt(x),
      () => log1p(x),
      () => tanh(x),
      () => floor(x),
      () => square(x),
      () => clone(x),
    ];
    // no tidy here: a scope would dispose what an op leaks and hide it
    for (const op of ops) {
      const y = op();
      if (y.requiresGrad) {
        const s = y.sum();
        const [g] = gradients(s, [x], { createGraph: true });
        const s2 = g!.sum();
        const [gg] = gradients(s2, [x]);
        for (const t of [s, g!, s2, gg!]) t.dispose();
      }
      y.dispose();
    }
    x.dispose();
    i.dispose();
    c.dispose();
    expect(memory().tensors).toBe(before);
  });
});
