/**
 * The primitive table: for every primitive of the registry (`PRIMITIVES`, keyed by the closed set
 * `PrimName`), its gradient properties: gradcheck and gradgradcheck (float64, central
 * differences) over fast-check generated shapes and values, via `propertyGradcheck`, which also
 * checks that forward + backward leave no tensor behind. `GRADIENTS` is a `Record<PrimName, ...>`,
 * so a new primitive without its rows does not compile, and the first test checks that a row says
 * `nondiff` exactly where the primitive does.
 *
 * Values stay a margin away from kinks and ties here; fixed cases exactly at them are in
 * elementwise.test.ts, and deeper properties of the movement, reduction, matmul, conv and pooling
 * primitives (more geometries, composites) in movement-grad, reduce-grad and nn-*.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  PRIMITIVES,
  PRIM_NAMES,
  type PrimName,
  type Tensor,
  abs,
  add,
  atan2,
  cast,
  ceil,
  clamp,
  clone,
  concat,
  conv2d,
  conv2dInputGrad,
  conv2dWeightGrad,
  cos,
  div,
  exp,
  expand,
  expm1,
  floor,
  gather,
  leakyRelu,
  log,
  log1p,
  matmul,
  max,
  maxPool2d,
  maximum,
  min,
  minimum,
  mul,
  neg,
  pad,
  permute,
  pow,
  prod,
  reciprocal,
  relu,
  reshape,
  round,
  rsqrt,
  scatterAdd,
  sigmoid,
  sign,
  sin,
  slice,
  softplus,
  sqrt,
  sub,
  sum,
  tanh,
  tidy,
  where,
  type SliceSpec,
} from '@pixgrad/core';
import {
  type ShapeOptions,
  type TensorSpec,
  type ValueOptions,
  binaryInputs,
  boolSpec,
  broadcastTriple,
  propertyGradcheck,
  shapes,
  specOf,
  unaryInputs,
} from '@pixgrad/core/testing';
import { distinctSpec, indexAlongAxis, int32, withShape } from './arbitraries.js';

const RUNS = 50;
const opts = { numRuns: RUNS };
/** the heavier primitives (every input perturbed, many outputs): fewer, smaller cases */
const heavy = { numRuns: 30 };
/** binary and ternary cases: smaller tensors, since every input is perturbed */
const small: ShapeOptions = { maxSize: 12 };

const integers = (lo: number, hi: number) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);

/** An axis argument for reductions: omitted, one axis (maybe negative) or a set; and keepdim. */
const reduceParams = (s: number[]) =>
  fc.record({
    axis: fc.oneof(fc.constant(undefined), fc.integer({ min: -s.length, max: s.length - 1 }), fc.subarray([...s.keys()])) as fc.Arbitrary<
      number | number[] | undefined
    >,
    keepdim: fc.boolean(),
  });

/** A small conv geometry: x [n, g*ci, h, w], w [g*co, ci, kh, kw], with stride, padding, dilation, groups. */
const convGeometry = fc
  .record({
    n: fc.integer({ min: 1, max: 2 }),
    groups: fc.constantFrom(1, 2),
    ci: fc.integer({ min: 1, max: 2 }),
    co: fc.integer({ min: 1, max: 2 }),
    k: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    stride: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
    padding: fc.tuple(fc.nat(1), fc.nat(1)),
    dilation: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
    extra: fc.tuple(fc.nat(2), fc.nat(2)),
  })
  .map((g) => {
    const hw = [0, 1].map((d) => Math.max(1, g.dilation[d]! * (g.k[d]! - 1) + 1 - 2 * g.padding[d]!) + g.extra[d]!) as [number, number];
    const out = [0, 1].map((d) => Math.floor((hw[d]! + 2 * g.padding[d]! - g.dilation[d]! * (g.k[d]! - 1) - 1) / g.stride[d]!) + 1) as [number, number];
    return { ...g, hw, out, conv: { stride: g.stride, padding: g.padding, dilation: g.dilation, groups: g.groups } };
  })
  .filter((g) => g.n * g.groups * g.ci * g.hw[0] * g.hw[1] <= 60);

/** Gradient properties per primitive; `nondiff` rows must match the registry (checked below). */
interface GradRow {
  nondiff?: true;
  /** named properties (each calls propertyGradcheck); may be empty for a non-differentiable primitive */
  cases: Record<string, () => void>;
}

const unary = (f: (x: Tensor) => Tensor, values: ValueOptions): GradRow => ({ cases: { '': () => propertyGradcheck(f.name, unaryInputs(values), f, opts) } });

/** x * f(x) for a piecewise-constant f: the gradient is f(x) (f contributes nothing), its derivative 0. */
const steps = (f: (x: Tensor) => Tensor, kinks: number[]): GradRow => ({
  nondiff: true,
  cases: {
    'zero gradient away from the jumps': () => {
      propertyGradcheck(f.name, unaryInputs({ min: -3, max: 3, kinks }), (x) => tidy(() => mul(x, f(x))), { numRuns: RUNS / 2 });
      propertyGradcheck(f.name, unaryInputs({ min: -3, max: 3, kinks }), f, { numRuns: RUNS / 2 });
    },
  },
});

// on two grids offset by 0.25 the operands never tie and stay 0.25 apart
const noTies: [ValueOptions, ValueOptions] = [{ grid: { step: 0.5 } }, { grid: { step: 0.5, offset: 0.25 } }];
// on one coarse grid exact ties are frequent; the 0.5/0.5 split equals the central difference
// there (the second derivative jumps at a tie, so gradgradcheck is meaningless exactly there)
const ties: ValueOptions = { min: -1, max: 1, grid: { step: 0.5 } };

const GRADIENTS: Record<PrimName, GradRow> = {
  // ---- elementwise unary
  neg: unary(neg, {}),
  abs: unary(abs, { min: -3, max: 3, kinks: [0] }),
  sign: steps(sign, [0]),
  exp: unary(exp, { min: -4, max: 4 }),
  log: unary(log, { min: 0.1, max: 5 }),
  log1p: unary(log1p, { min: -0.9, max: 5 }),
  expm1: unary(expm1, { min: -3, max: 3 }),
  sqrt: unary(sqrt, { min: 0.1, max: 5 }),
  rsqrt: unary(rsqrt, { min: 0.1, max: 5 }),
  reciprocal: unary(reciprocal, { min: -4, max: 4, kinks: [0], margin: 0.05 }),
  sin: unary(sin, { min: -6, max: 6 }),
  cos: unary(cos, { min: -6, max: 6 }),
  tanh: unary(tanh, { min: -5, max: 5 }),
  sigmoid: unary(sigmoid, { min: -8, max: 8 }),
  relu: unary(relu, { min: -3, max: 3, kinks: [0] }),
  leakyRelu: {
    cases: {
      'random slopes': () =>
        propertyGradcheck(
          'leakyRelu',
          fc.record({ inputs: unaryInputs({ min: -3, max: 3, kinks: [0] }), params: fc.constantFrom(0.01, 0.2, -0.5, 1.5, 0) }),
          ([x], slope) => leakyRelu(x!, slope),
          opts,
        ),
    },
  },
  softplus: {
    cases: {
      'random beta and threshold, away from the threshold jump': () =>
        propertyGradcheck(
          'softplus',
          fc
            .record({ beta: fc.constantFrom(1, 0.5, 2, -1), threshold: fc.constantFrom(20, 1, 3) })
            .chain((p) => fc.record({ inputs: unaryInputs({ min: -6, max: 6, kinks: [p.threshold / p.beta] }), params: fc.constant(p) })),
          ([x], p) => softplus(x!, p),
          opts,
        ),
    },
  },
  floor: steps(floor, integers(-3, 3)),
  ceil: steps(ceil, integers(-3, 3)),
  round: steps(
    round,
    integers(-3, 2).map((k) => k + 0.5),
  ),
  clamp: {
    cases: {
      'random bounds, one of them possibly absent, min > max included': () => {
        const bound = fc.option(
          fc.integer({ min: -8, max: 8 }).map((k) => k / 4),
          { nil: undefined, freq: 4 },
        );
        const params = fc.tuple(bound, bound).filter(([lo, hi]) => lo !== undefined || hi !== undefined);
        propertyGradcheck(
          'clamp',
          params.chain(([lo, hi]) =>
            fc.record({
              inputs: unaryInputs({ min: -3, max: 3, kinks: [lo, hi].filter((b): b is number => b !== undefined) }),
              params: fc.constant({ lo, hi }),
            }),
          ),
          ([x], { lo, hi }) => clamp(x!, lo, hi),
          opts,
        );
      },
    },
  },

  // ---- elementwise binary (broadcast shapes)
  add: { cases: { '': () => propertyGradcheck('add', binaryInputs({}, {}, small), (a, b) => add(a, b), opts) } },
  sub: { cases: { '': () => propertyGradcheck('sub', binaryInputs({}, {}, small), (a, b) => sub(a, b), opts) } },
  mul: { cases: { '': () => propertyGradcheck('mul', binaryInputs({}, {}, small), (a, b) => mul(a, b), opts) } },
  div: {
    cases: {
      'divisor away from 0': () => propertyGradcheck('div', binaryInputs({}, { min: -3, max: 3, kinks: [0], margin: 0.2 }, small), (a, b) => div(a, b), opts),
    },
  },
  pow: {
    cases: {
      'positive base, any exponent': () =>
        propertyGradcheck('pow', binaryInputs({ min: 0.2, max: 3 }, { min: -2.5, max: 2.5 }, small), (a, b) => pow(a, b), opts),
      'any base, a fixed exponent (integer, negative, zero)': () =>
        propertyGradcheck(
          'pow',
          fc.record({ inputs: unaryInputs({ min: -2, max: 2, kinks: [0], margin: 0.05 }), params: fc.constantFrom(0, 1, 2, 3, -1, -2) }),
          ([a], k) => pow(a!, k),
          opts,
        ),
      'a number base, a tensor exponent': () => propertyGradcheck('pow', unaryInputs({ min: -2, max: 2 }), (b) => pow(1.7, b), opts),
    },
  },
  maximum: {
    cases: {
      'no ties': () => propertyGradcheck('maximum', binaryInputs(...noTies, small), (a, b) => maximum(a, b), opts),
      'exact ties (gradcheck)': () => propertyGradcheck('maximum', binaryInputs(ties, ties, small), (a, b) => maximum(a, b), { ...opts, gradgrad: false }),
    },
  },
  minimum: {
    cases: {
      'no ties': () => propertyGradcheck('minimum', binaryInputs(...noTies, small), (a, b) => minimum(a, b), opts),
      'exact ties (gradcheck)': () => propertyGradcheck('minimum', binaryInputs(ties, ties, small), (a, b) => minimum(a, b), { ...opts, gradgrad: false }),
    },
  },
  // a away from 0 keeps (a, b) away from the origin and from the branch cut (a = 0, b < 0)
  atan2: {
    cases: {
      'away from the origin and the branch cut': () =>
        propertyGradcheck('atan2', binaryInputs({ min: -2, max: 2, kinks: [0], margin: 0.05 }, { min: -2, max: 2 }, small), (a, b) => atan2(a, b), opts),
    },
  },
  eq: { nondiff: true, cases: {} },
  ne: { nondiff: true, cases: {} },
  lt: { nondiff: true, cases: {} },
  le: { nondiff: true, cases: {} },
  gt: { nondiff: true, cases: {} },
  ge: { nondiff: true, cases: {} },
  where: {
    cases: {
      'three broadcast shapes': () =>
        propertyGradcheck(
          'where',
          broadcastTriple(small).chain(([sc, sa, sb]) => fc.tuple(boolSpec(sc), specOf(sa), specOf(sb))),
          (c, a, b) => where(c, a, b),
          opts,
        ),
      'a number on either side': () => {
        const two = broadcastTriple(small).chain(([sc, sa]) => fc.tuple(boolSpec(sc), specOf(sa))) as fc.Arbitrary<TensorSpec[]>;
        propertyGradcheck('where', two, (c, a) => where(c, a, 0.5), { numRuns: RUNS / 2 });
        propertyGradcheck('where', two, (c, b) => where(c, -2, b), { numRuns: RUNS / 2 });
      },
      'a function of the same input on both sides (gradients accumulate)': () =>
        propertyGradcheck('where', unaryInputs({ min: -2, max: 2, kinks: [0] }), (x) => tidy(() => where(x.gt(0), sin(x), x.mul(x))), opts),
    },
  },
  cast: {
    cases: {
      'float64 -> float64 and a float32 round trip on exactly representable values': () => {
        propertyGradcheck('cast', unaryInputs(), (x) => cast(x, 'float64'), opts);
        propertyGradcheck('cast', unaryInputs({ grid: { step: 0.25 } }), (x) => tidy(() => cast(cast(x, 'float32'), 'float64')), { ...opts, eps: 1e-2 });
      },
    },
  },
  clone: unary(clone, {}),

  // ---- reductions (random axis sets, keepdim)
  sum: { cases: { '': () => propertyGradcheck('sum', withShape(reduceParams), ([x], p) => sum(x!, p.axis, p.keepdim), opts) } },
  prod: { cases: { '': () => propertyGradcheck('prod', withShape(reduceParams, { maxRank: 3 }), ([x], p) => prod(x!, p.axis, p.keepdim), opts) } },
  max: {
    cases: {
      'distinct values': () =>
        propertyGradcheck('max', withShape(reduceParams, { spec: (sh) => distinctSpec(sh, 100) }), ([x], p) => max(x!, p.axis, p.keepdim), opts),
    },
  },
  min: {
    cases: {
      'distinct values': () =>
        propertyGradcheck('min', withShape(reduceParams, { spec: (sh) => distinctSpec(sh, 100) }), ([x], p) => min(x!, p.axis, p.keepdim), opts),
    },
  },
  argmax: { nondiff: true, cases: {} },
  argmin: { nondiff: true, cases: {} },

  // ---- movement
  reshape: {
    cases: {
      '': () =>
        propertyGradcheck(
          'reshape',
          withShape((s) => fc.constant(s)),
          ([x]) => reshape(x!, [...x!.shape].reverse()),
          opts,
        ),
    },
  },
  expand: {
    cases: {
      'size-1 dims stretched, new leading dims': () =>
        propertyGradcheck(
          'expand',
          withShape((s) => fc.tuple(fc.integer({ min: 1, max: 2 }), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: s.length, maxLength: s.length })), {
            maxRank: 3,
          }),
          ([x], [lead, grow]) => expand(x!, [lead, ...x!.shape.map((d, i) => (d === 1 ? grow[i]! : d))]),
          opts,
        ),
    },
  },
  permute: {
    cases: {
      '': () =>
        propertyGradcheck(
          'permute',
          withShape((s) => fc.shuffledSubarray([...s.keys()], { minLength: s.length, maxLength: s.length })),
          ([x], axes) => permute(x!, axes),
          opts,
        ),
    },
  },
  slice: {
    cases: {
      'steps of either sign, clamped bounds': () =>
        propertyGradcheck(
          'slice',
          withShape(
            (s) =>
              fc.tuple(
                ...s.map((n) =>
                  fc.option(
                    fc.tuple(
                      fc.option(fc.integer({ min: -n - 1, max: n + 1 })),
                      fc.option(fc.integer({ min: -n - 1, max: n + 1 })),
                      fc.constantFrom(1, 2, -1, -2),
                    ),
                  ),
                ),
              ) as fc.Arbitrary<SliceSpec>,
          ),
          ([x], spec) => slice(x!, spec),
          opts,
        ),
    },
  },
  pad: {
    cases: {
      'constant, crops by negative pads': () =>
        propertyGradcheck(
          'pad',
          withShape(
            (s) =>
              fc
                .array(fc.tuple(fc.integer({ min: -1, max: 2 }), fc.integer({ min: -1, max: 2 })), { maxLength: s.length })
                .map((pairs) =>
                  pairs.flatMap(([b, a], j) => (s[s.length - 1 - j]! + Math.min(0, b) + Math.min(0, a) >= 0 ? [b, a] : [Math.max(b, 0), Math.max(a, 0)])),
                ),
            { maxRank: 3 },
          ),
          ([x], pads) => pad(x!, pads, { value: 0.5 }),
          opts,
        ),
    },
  },
  concat: {
    cases: {
      '1-3 tensors along any axis': () =>
        propertyGradcheck(
          'concat',
          shapes({ minRank: 1, maxRank: 3, maxSize: 12 }).chain((s) =>
            fc.record({ axis: fc.nat(s.length - 1), sizes: fc.array(fc.nat(3), { minLength: 1, maxLength: 3 }) }).chain(({ axis, sizes }) =>
              fc.record({
                inputs: fc.tuple(...sizes.map((k) => specOf(s.map((d, i) => (i === axis ? k : d))))) as fc.Arbitrary<TensorSpec[]>,
                params: fc.constant(axis),
              }),
            ),
          ),
          (xs, axis) => concat(xs, axis),
          opts,
        ),
    },
  },
  gather: {
    cases: {
      'repeated indices': () =>
        propertyGradcheck(
          'gather',
          withShape((s) => indexAlongAxis(s, () => ({}))),
          ([x], p) => tidy(() => gather(x!, p.axis, int32(p.index, p.shape))),
          opts,
        ),
    },
  },
  scatterAdd: {
    cases: {
      'with respect to x and src': () =>
        propertyGradcheck(
          'scatterAdd',
          withShape((s) => indexAlongAxis(s, () => ({}))).chain((c) => specOf(c.params.shape).map((src) => ({ inputs: [...c.inputs, src], params: c.params }))),
          ([x, src], p) => tidy(() => scatterAdd(x!, p.axis, int32(p.index, p.shape), src!)),
          opts,
        ),
    },
  },

  // ---- linear algebra, convolution, pooling
  matmul: {
    cases: {
      'batch broadcast': () =>
        propertyGradcheck(
          'matmul',
          fc
            .record({
              m: fc.integer({ min: 1, max: 3 }),
              k: fc.integer({ min: 1, max: 3 }),
              n: fc.integer({ min: 1, max: 3 }),
              b: fc.constantFrom([], [2], [1]),
            })
            .chain(({ m, k, n, b }) => fc.tuple(specOf([...b, m, k]), specOf([k, n]))),
          (a, b) => matmul(a, b),
          heavy,
        ),
    },
  },
  conv2d: {
    cases: {
      'stride, padding, dilation, groups': () =>
        propertyGradcheck(
          'conv2d',
          convGeometry.chain((g) =>
            fc.record({ inputs: fc.tuple(specOf([g.n, g.groups * g.ci, ...g.hw]), specOf([g.groups * g.co, g.ci, ...g.k])), params: fc.constant(g) }),
          ),
          ([x, w], g) => conv2d(x!, w!, g.conv),
          heavy,
        ),
    },
  },
  conv2dInputGrad: {
    cases: {
      'the conv2d input gradient, at the input size': () =>
        propertyGradcheck(
          'conv2dInputGrad',
          convGeometry.chain((g) =>
            fc.record({ inputs: fc.tuple(specOf([g.n, g.groups * g.co, ...g.out]), specOf([g.groups * g.co, g.ci, ...g.k])), params: fc.constant(g) }),
          ),
          ([dy, w], g) => conv2dInputGrad(dy!, w!, g.conv, g.hw),
          heavy,
        ),
    },
  },
  conv2dWeightGrad: {
    cases: {
      'with respect to x and dy': () =>
        propertyGradcheck(
          'conv2dWeightGrad',
          convGeometry.chain((g) =>
            fc.record({ inputs: fc.tuple(specOf([g.n, g.groups * g.ci, ...g.hw]), specOf([g.n, g.groups * g.co, ...g.out])), params: fc.constant(g) }),
          ),
          ([x, dy], g) => conv2dWeightGrad(x!, dy!, g.conv, g.k),
          heavy,
        ),
    },
  },
  maxPool2d: {
    cases: {
      'distinct values, stride and padding': () =>
        propertyGradcheck(
          'maxPool2d',
          fc
            .record({
              k: fc.integer({ min: 1, max: 3 }),
              s: fc.integer({ min: 1, max: 2 }),
              h: fc.integer({ min: 3, max: 5 }),
              w: fc.integer({ min: 3, max: 5 }),
            })
            .chain((g) => fc.record({ inputs: fc.tuple(distinctSpec([1, 2, g.h, g.w], 100)), params: fc.constant({ ...g, p: Math.floor(g.k / 2) }) })),
          ([x], g) => maxPool2d(x!, { kernelSize: g.k, stride: g.s, padding: g.p }),
          heavy,
        ),
    },
  },
};

describe('the primitive registry', () => {
  it('holds every name once, each entry named as its key, with a VJP or the reason it has none', () => {
    expect(new Set(PRIM_NAMES).size).toBe(PRIM_NAMES.length);
    expect(Object.keys(PRIMITIVES).sort()).toEqual([...PRIM_NAMES].sort());
    for (const name of PRIM_NAMES) {
      const p = PRIMITIVES[name];
      expect(p.name, name).toBe(name);
      expect(typeof p.vjp === 'function' || (typeof p.nondiff === 'string' && p.nondiff.length > 10), name).toBe(true);
      expect(p.vjp !== undefined && p.nondiff !== undefined, name).toBe(false);
    }
    expect(new Set(Object.values(PRIMITIVES)).size).toBe(PRIM_NAMES.length);
  });

  it('the gradient table marks nondiff exactly the primitives that have no VJP, and has a property for every other one', () => {
    for (const name of PRIM_NAMES) {
      expect(!!GRADIENTS[name].nondiff, name).toBe(PRIMITIVES[name].nondiff !== undefined);
      if (!GRADIENTS[name].nondiff) expect(Object.keys(GRADIENTS[name].cases).length, name).toBeGreaterThan(0);
    }
  });
});

describe('every primitive: gradcheck and gradgradcheck properties', () => {
  for (const name of PRIM_NAMES) {
    for (const [what, run] of Object.entries(GRADIENTS[name].cases)) it(what ? `${name}: ${what}` : name, run);
  }

  it('chains of unary ops (second derivatives through several VJPs)', () =>
    propertyGradcheck('chain', unaryInputs({ min: 0.2, max: 2 }), (x) => tidy(() => sqrt(sigmoid(log(x)).mul(exp(tanh(x))))), opts));
});
