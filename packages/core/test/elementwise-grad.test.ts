/**
 * gradcheck and gradgradcheck property tests for every differentiable elementwise primitive
 * (fast-check, 50 cases each, float64, broadcast shapes for binary ops, values near kinks and
 * ties but at least a margin away). Fixed cases exactly at kinks and ties are in elementwise.test.ts.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import {
  type Tensor, abs, atan2, ceil, clamp, clone, cos, exp, expm1, floor, leakyRelu, log, log1p, maximum, minimum, mul, pow, reciprocal, relu, round,
  rsqrt, sigmoid, sign, sin, softplus, sqrt, square, tanh, tidy, where,
} from '@pixgrad/core';
import {
  type ShapeOptions, type TensorSpec, type ValueOptions, binaryInputs, boolSpec, broadcastTriple, propertyGradcheck, specOf, unaryInputs,
} from '@pixgrad/core/testing';

const RUNS = 50;
const opts = { numRuns: RUNS };
/** binary and ternary cases: smaller tensors, since every input is perturbed */
const small: ShapeOptions = { maxSize: 12 };

const integers = (lo: number, hi: number) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);

describe('unary primitives: gradcheck and gradgradcheck', () => {
  const cases: [string, (x: Tensor) => Tensor, ValueOptions][] = [
    ['abs', abs, { min: -3, max: 3, kinks: [0] }],
    ['log', log, { min: 0.1, max: 5 }],
    ['log1p', log1p, { min: -0.9, max: 5 }],
    ['expm1', expm1, { min: -3, max: 3 }],
    ['sqrt', sqrt, { min: 0.1, max: 5 }],
    ['rsqrt', rsqrt, { min: 0.1, max: 5 }],
    ['reciprocal', reciprocal, { min: -4, max: 4, kinks: [0], margin: 0.05 }],
    ['sin', sin, { min: -6, max: 6 }],
    ['cos', cos, { min: -6, max: 6 }],
    ['tanh', tanh, { min: -5, max: 5 }],
    ['sigmoid', sigmoid, { min: -8, max: 8 }],
    ['relu', relu, { min: -3, max: 3, kinks: [0] }],
    ['square', square, { min: -3, max: 3 }],
    ['clone', clone, {}],
  ];
  for (const [name, f, values] of cases) {
    it(name, () => propertyGradcheck(name, unaryInputs(values), f, opts));
  }

  it('leakyRelu (random slopes)', () =>
    propertyGradcheck(
      'leakyRelu',
      fc.record({ inputs: unaryInputs({ min: -3, max: 3, kinks: [0] }), params: fc.constantFrom(0.01, 0.2, -0.5, 1.5, 0) }),
      ([x], slope) => leakyRelu(x!, slope),
      opts,
    ));

  it('softplus (random beta and threshold, away from the threshold jump)', () =>
    propertyGradcheck(
      'softplus',
      fc
        .record({ beta: fc.constantFrom(1, 0.5, 2, -1), threshold: fc.constantFrom(20, 1, 3) })
        .chain((p) => fc.record({ inputs: unaryInputs({ min: -6, max: 6, kinks: [p.threshold / p.beta] }), params: fc.constant(p) })),
      ([x], p) => softplus(x!, p),
      opts,
    ));

  it('clamp (random bounds, one of them possibly absent, min > max included)', () => {
    const bound = fc.option(fc.integer({ min: -8, max: 8 }).map((k) => k / 4), { nil: undefined, freq: 4 });
    const params = fc.tuple(bound, bound).filter(([lo, hi]) => lo !== undefined || hi !== undefined);
    propertyGradcheck(
      'clamp',
      params.chain(([lo, hi]) =>
        fc.record({ inputs: unaryInputs({ min: -3, max: 3, kinks: [lo, hi].filter((b): b is number => b !== undefined) }), params: fc.constant({ lo, hi }) }),
      ),
      ([x], { lo, hi }) => clamp(x!, lo, hi),
      opts,
    );
  });

  it('floor, ceil, round, sign: zero gradient away from the jumps (the result is a constant for autodiff)', () => {
    const steps: [string, (x: Tensor) => Tensor, number[]][] = [
      ['floor', floor, integers(-3, 3)],
      ['ceil', ceil, integers(-3, 3)],
      ['round', round, integers(-3, 2).map((k) => k + 0.5)],
      ['sign', sign, [0]],
    ];
    for (const [name, f, kinks] of steps) {
      // x * f(x): the gradient is f(x) (f contributes nothing), and d/dx of that is 0
      propertyGradcheck(name, unaryInputs({ min: -3, max: 3, kinks }), (x) => tidy(() => mul(x, f(x))), { numRuns: Math.ceil(RUNS / 2) });
      propertyGradcheck(name, unaryInputs({ min: -3, max: 3, kinks }), f, { numRuns: Math.ceil(RUNS / 2) });
    }
  });

  it('chains of unary ops (second derivatives through several VJPs)', () =>
    propertyGradcheck('chain', unaryInputs({ min: 0.2, max: 2 }), (x) => tidy(() => sqrt(sigmoid(log(x)).mul(exp(tanh(x))))), opts));
});

describe('binary primitives: gradcheck and gradgradcheck with broadcasting', () => {
  it('pow: positive base, any exponent', () =>
    propertyGradcheck('pow', binaryInputs({ min: 0.2, max: 3 }, { min: -2.5, max: 2.5 }, small), (a, b) => pow(a, b), opts));

  it('pow: any base, a fixed exponent (integer, negative, zero)', () =>
    propertyGradcheck(
      'pow',
      fc.record({ inputs: unaryInputs({ min: -2, max: 2, kinks: [0], margin: 0.05 }), params: fc.constantFrom(0, 1, 2, 3, -1, -2) }),
      ([a], k) => pow(a!, k),
      opts,
    ));

  it('pow: a number base, a tensor exponent', () => propertyGradcheck('pow', unaryInputs({ min: -2, max: 2 }), (b) => pow(1.7, b), opts));

  // on two grids offset by 0.25 the operands never tie and stay 0.25 apart
  const noTies: [ValueOptions, ValueOptions] = [{ grid: { step: 0.5 } }, { grid: { step: 0.5, offset: 0.25 } }];
  it('maximum: no ties (gradcheck and gradgradcheck)', () => propertyGradcheck('maximum', binaryInputs(...noTies, small), (a, b) => maximum(a, b), opts));
  it('minimum: no ties (gradcheck and gradgradcheck)', () => propertyGradcheck('minimum', binaryInputs(...noTies, small), (a, b) => minimum(a, b), opts));

  // on one coarse grid exact ties are frequent; the 0.5/0.5 split equals the central difference
  // there. (The second derivative jumps at a tie, so gradgradcheck is meaningless exactly there.)
  const ties: ValueOptions = { min: -1, max: 1, grid: { step: 0.5 } };
  it('maximum: exact ties (gradcheck)', () => propertyGradcheck('maximum', binaryInputs(ties, ties, small), (a, b) => maximum(a, b), { ...opts, gradgrad: false }));
  it('minimum: exact ties (gradcheck)', () => propertyGradcheck('minimum', binaryInputs(ties, ties, small), (a, b) => minimum(a, b), { ...opts, gradgrad: false }));

  // a away from 0 keeps (a, b) away from the origin and from the branch cut (a = 0, b < 0)
  it('atan2: away from the origin and the branch cut', () =>
    propertyGradcheck('atan2', binaryInputs({ min: -2, max: 2, kinks: [0], margin: 0.05 }, { min: -2, max: 2 }, small), (a, b) => atan2(a, b), opts));
});

describe('where: gradcheck and gradgradcheck with three broadcast shapes', () => {
  const inputs = broadcastTriple(small).chain(([sc, sa, sb]) => fc.tuple(boolSpec(sc), specOf(sa), specOf(sb)));
  it('where(cond, a, b)', () => propertyGradcheck('where', inputs, (c, a, b) => where(c, a, b), opts));
  it('where(cond, a, number) and where(cond, number, b)', () => {
    const two = broadcastTriple(small).chain(([sc, sa]) => fc.tuple(boolSpec(sc), specOf(sa)));
    propertyGradcheck('where', two as fc.Arbitrary<TensorSpec[]>, (c, a) => where(c, a, 0.5), { numRuns: Math.ceil(RUNS / 2) });
    propertyGradcheck('where', two as fc.Arbitrary<TensorSpec[]>, (c, b) => where(c, -2, b), { numRuns: Math.ceil(RUNS / 2) });
  });
  it('where of a function of the same input on both sides (gradients accumulate)', () =>
    propertyGradcheck('where', unaryInputs({ min: -2, max: 2, kinks: [0] }), (x) => tidy(() => where(x.gt(0), sin(x), x.mul(x))), opts));
});
