/**
 * Every primitive on a device (WebGPU here, wasm in packages/wasm) against the CPU device, through the engine (so through the
 * fusion layer, as users run them), on shapes and values fast-check generates. `DEVICE_CASES` is a
 * `Record<PrimName, ...>`: a new primitive without its row does not compile. The kernel suites
 * beside this file test each family at the Backend level in more depth (special values, int32,
 * every geometry); this table guarantees that none is left out.
 *
 * Tolerances (|gpu - cpu| <= atol + rtol |cpu|): unary ops as elementwise.test.ts; div, pow,
 * atan2 as there; sums, products, matmul and convolutions atol 1e-5, rtol 1e-4 (another summation
 * order); everything else exact.
 */
import fc from 'fast-check';
import { it } from 'vitest';
import {
  PRIM_NAMES,
  type DType,
  type PrimName,
  type Tensor,
  type UnaryOp,
  abs,
  add,
  argmax,
  argmin,
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
  eq,
  exp,
  expand,
  expm1,
  floor,
  gather,
  ge,
  gt,
  le,
  leakyRelu,
  log,
  log1p,
  lt,
  matmul,
  max,
  maxPool2d,
  maximum,
  min,
  minimum,
  mul,
  ne,
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
  tensor,
  tidy,
  where,
} from '@pixgrad/core';
import { broadcastPair } from '@pixgrad/core/testing';
import { EXACT, UNARY_TOL, data, expectClose, type Tol } from './harness.js';

const RUNS = 8;
const SUMS: Tol = { atol: 1e-5, rtol: 1e-4 };

/** One input: a shape, a dtype and a seed for its values in [lo, hi) (ints: integers in it). */
interface Input {
  shape: number[];
  dtype: DType;
  seed: number;
  lo?: number;
  hi?: number;
}
interface DeviceCase<P> {
  arb: fc.Arbitrary<{ inputs: Input[]; params: P }>;
  f: (xs: Tensor[], params: P) => Tensor;
  tol: Tol;
}
const row = <P>(c: DeviceCase<P>): DeviceCase<unknown> => c as DeviceCase<unknown>;

const shapeArb = (maxRank = 4, maxDim = 6) => fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: 1, maxLength: maxRank });
const seed = fc.integer();
const input = (shape: number[], dtype: DType = 'float32', lo?: number, hi?: number) =>
  seed.map((s): Input => ({ shape, dtype, seed: s, ...(lo !== undefined && { lo }), ...(hi !== undefined && { hi }) }));
/** Two broadcastable shapes (either may be the larger). */
const pairs = broadcastPair({ minRank: 1, maxRank: 3, maxDim: 6 });

const UNARY_RANGE: Partial<Record<UnaryOp, [number, number]>> = {
  sin: [-3, 3],
  cos: [-3, 3],
  log: [0.01, 20],
  sqrt: [0.01, 20],
  rsqrt: [0.01, 20],
  log1p: [-0.9, 20],
};
const unary = (op: UnaryOp, f: (x: Tensor) => Tensor): DeviceCase<unknown> =>
  row({
    arb: shapeArb().chain((s) => fc.record({ inputs: fc.tuple(input(s, 'float32', ...(UNARY_RANGE[op] ?? [-20, 20]))), params: fc.constant(null) })),
    f: ([x]) => f(x!),
    tol: UNARY_TOL[op],
  });
const binary = (f: (a: Tensor, b: Tensor) => Tensor, tol: Tol, b: [number, number] = [-3, 3]): DeviceCase<unknown> =>
  row({
    arb: pairs.chain(([sa, sb]) => fc.record({ inputs: fc.tuple(input(sa), input(sb, 'float32', ...b)), params: fc.constant(null) })),
    f: ([x, y]) => f(x!, y!),
    tol,
  });
/** comparisons on a coarse integer grid, so ties are frequent */
const compare = (f: (a: Tensor, b: Tensor) => Tensor): DeviceCase<unknown> =>
  row({
    arb: pairs.chain(([sa, sb]) => fc.record({ inputs: fc.tuple(input(sa, 'int32', -2, 3), input(sb, 'int32', -2, 3)), params: fc.constant(null) })),
    f: ([x, y]) => f(cast(x!, 'float32'), y!),
    tol: EXACT,
  });
const reduce = (f: (x: Tensor, axis: number | undefined, keepdim: boolean) => Tensor, tol: Tol, lo = -3, hi = 3): DeviceCase<unknown> =>
  row({
    arb: shapeArb().chain((s) =>
      fc.record({
        inputs: fc.tuple(input(s, 'float32', lo, hi)),
        params: fc.record({ axis: fc.option(fc.integer({ min: -s.length, max: s.length - 1 }), { nil: undefined }), keepdim: fc.boolean() }),
      }),
    ),
    f: ([x], p: { axis: number | undefined; keepdim: boolean }) => f(x!, p.axis, p.keepdim),
    tol,
  });
const movement = <P>(params: (s: number[]) => fc.Arbitrary<P>, f: (x: Tensor, p: P) => Tensor): DeviceCase<unknown> =>
  row({ arb: shapeArb().chain((s) => fc.record({ inputs: fc.tuple(input(s)), params: params(s) })), f: ([x], p: P) => f(x!, p), tol: EXACT });
/** An axis of s and an index along it, shape no larger than s off the axis. */
const indexAlong = (s: number[]) =>
  fc
    .nat(s.length - 1)
    .chain((axis) => fc.record({ axis: fc.constant(axis), shape: fc.tuple(...s.map((d, i) => fc.integer({ min: 1, max: i === axis ? 4 : d }))), seed }));
const indexTensor = (s: number[], p: { axis: number; shape: number[]; seed: number }, device: Tensor['device']) =>
  tensor(
    data(
      'int32',
      p.shape.reduce((a, b) => a * b, 1),
      p.seed,
      { lo: 0, hi: s[p.axis]! },
    ),
    { shape: p.shape, dtype: 'int32', device },
  );
const conv = fc
  .record({
    n: fc.integer({ min: 1, max: 2 }),
    groups: fc.constantFrom(1, 2),
    ci: fc.integer({ min: 1, max: 3 }),
    co: fc.integer({ min: 1, max: 3 }),
    k: fc.integer({ min: 1, max: 3 }),
    stride: fc.integer({ min: 1, max: 2 }),
    padding: fc.nat(1),
    dilation: fc.integer({ min: 1, max: 2 }),
    h: fc.integer({ min: 5, max: 9 }),
    w: fc.integer({ min: 5, max: 9 }),
  })
  .map((g) => ({
    ...g,
    ho: Math.floor((g.h + 2 * g.padding - g.dilation * (g.k - 1) - 1) / g.stride) + 1,
    wo: Math.floor((g.w + 2 * g.padding - g.dilation * (g.k - 1) - 1) / g.stride) + 1,
  }))
  .map((g) => ({
    ...g,
    p: {
      stride: [g.stride, g.stride] as [number, number],
      padding: [g.padding, g.padding] as [number, number],
      dilation: [g.dilation, g.dilation] as [number, number],
      groups: g.groups,
    },
  }));

const DEVICE_CASES: Record<PrimName, DeviceCase<unknown>> = {
  neg: unary('neg', neg),
  abs: unary('abs', abs),
  sign: unary('sign', sign),
  exp: unary('exp', exp),
  log: unary('log', log),
  log1p: unary('log1p', log1p),
  expm1: unary('expm1', expm1),
  sqrt: unary('sqrt', sqrt),
  rsqrt: unary('rsqrt', rsqrt),
  reciprocal: unary('reciprocal', reciprocal),
  sin: unary('sin', sin),
  cos: unary('cos', cos),
  tanh: unary('tanh', tanh),
  sigmoid: unary('sigmoid', sigmoid),
  relu: unary('relu', relu),
  leakyRelu: unary('leakyRelu', (x) => leakyRelu(x, 0.2)),
  softplus: unary('softplus', (x) => softplus(x, { beta: 2, threshold: 10 })),
  floor: unary('floor', floor),
  ceil: unary('ceil', ceil),
  round: unary('round', round),
  clamp: unary('clamp', (x) => clamp(x, -1.5, 2)),
  add: binary(add, EXACT),
  sub: binary(sub, EXACT),
  mul: binary(mul, EXACT),
  div: binary(div, { atol: 1e-6, rtol: 1e-6 }, [0.5, 3]),
  pow: binary((a, b) => pow(abs(a), b), { atol: 1e-6, rtol: 2e-5 }),
  maximum: binary(maximum, EXACT),
  minimum: binary(minimum, EXACT),
  atan2: binary(atan2, { atol: 1e-6, rtol: 2e-5 }),
  eq: compare(eq),
  ne: compare(ne),
  lt: compare(lt),
  le: compare(le),
  gt: compare(gt),
  ge: compare(ge),
  where: row({
    arb: pairs.chain(([sa, sb]) => fc.record({ inputs: fc.tuple(input(sb, 'bool'), input(sa), input(sb)), params: fc.constant(null) })),
    f: ([c, a, b]) => where(c!, a!, b!),
    tol: EXACT,
  }),
  cast: row({
    arb: shapeArb().chain((s) => fc.record({ inputs: fc.tuple(input(s, 'float32', -20, 20)), params: fc.constantFrom<DType>('int32', 'bool', 'float32') })),
    f: ([x], to: DType) => cast(x!, to),
    tol: EXACT,
  }),
  clone: unary('neg', clone),
  sum: reduce(sum, SUMS),
  prod: reduce(prod, SUMS, 0.5, 1.5),
  max: reduce(max, EXACT),
  min: reduce(min, EXACT),
  argmax: reduce((x, axis, keepdim) => argmax(x, axis, keepdim), EXACT),
  argmin: reduce((x, axis, keepdim) => argmin(x, axis, keepdim), EXACT),
  reshape: movement(
    (s) => fc.constant(s),
    (x, s) => reshape(x, [...s].reverse()),
  ),
  expand: movement(
    () => fc.integer({ min: 1, max: 3 }),
    (x, k) => expand(x, [k, ...x.shape]),
  ),
  permute: movement(
    (s) => fc.shuffledSubarray([...s.keys()], { minLength: s.length, maxLength: s.length }),
    (x, axes) => permute(x, axes),
  ),
  slice: movement(
    (s) => fc.tuple(...s.map((n) => fc.tuple(fc.integer({ min: -n, max: n }), fc.integer({ min: -n, max: n }), fc.constantFrom(1, 2, -1)))),
    (x, spec) => slice(x, spec),
  ),
  pad: movement(
    (s) => fc.array(fc.nat(2), { minLength: 2, maxLength: 2 * s.length }).map((p) => (p.length % 2 ? p.slice(1) : p)),
    (x, pads) => pad(x, pads, { value: 0.25 }),
  ),
  concat: row({
    arb: shapeArb(3).chain((s) =>
      fc
        .nat(s.length - 1)
        .chain((axis) => fc.record({ inputs: fc.tuple(input(s), input(s.map((d, i) => (i === axis ? d + 1 : d)))), params: fc.constant(axis) })),
    ),
    f: ([a, b], axis: number) => concat([a!, b!], axis),
    tol: EXACT,
  }),
  gather: row({
    arb: shapeArb(3).chain((s) => fc.record({ inputs: fc.tuple(input(s)), params: indexAlong(s) })),
    f: ([x], p: { axis: number; shape: number[]; seed: number }) => tidy(() => gather(x!, p.axis, indexTensor(x!.shape as number[], p, x!.device))),
    tol: EXACT,
  }),
  scatterAdd: row({
    arb: shapeArb(3).chain((s) => indexAlong(s).chain((p) => fc.record({ inputs: fc.tuple(input(s), input(p.shape)), params: fc.constant(p) }))),
    f: ([x, src], p: { axis: number; shape: number[]; seed: number }) =>
      tidy(() => scatterAdd(x!, p.axis, indexTensor(x!.shape as number[], p, x!.device), src!)),
    tol: SUMS,
  }),
  matmul: row({
    arb: fc
      .record({
        b: fc.constantFrom([], [2], [1, 3]),
        m: fc.integer({ min: 1, max: 40 }),
        k: fc.integer({ min: 1, max: 40 }),
        n: fc.integer({ min: 1, max: 40 }),
      })
      .chain(({ b, m, k, n }) => fc.record({ inputs: fc.tuple(input([...b, m, k]), input([k, n])), params: fc.constant(null) })),
    f: ([a, b]) => matmul(a!, b!),
    tol: SUMS,
  }),
  conv2d: row({
    arb: conv.chain((g) =>
      fc.record({ inputs: fc.tuple(input([g.n, g.groups * g.ci, g.h, g.w]), input([g.groups * g.co, g.ci, g.k, g.k])), params: fc.constant(g) }),
    ),
    f: ([x, w], g: { p: Parameters<typeof conv2d>[2] }) => conv2d(x!, w!, g.p),
    tol: SUMS,
  }),
  conv2dInputGrad: row({
    arb: conv.chain((g) =>
      fc.record({ inputs: fc.tuple(input([g.n, g.groups * g.co, g.ho, g.wo]), input([g.groups * g.co, g.ci, g.k, g.k])), params: fc.constant(g) }),
    ),
    f: ([dy, w], g: { p: Parameters<typeof conv2dInputGrad>[2]; h: number; w: number }) => conv2dInputGrad(dy!, w!, g.p, [g.h, g.w]),
    tol: SUMS,
  }),
  conv2dWeightGrad: row({
    arb: conv.chain((g) =>
      fc.record({ inputs: fc.tuple(input([g.n, g.groups * g.ci, g.h, g.w]), input([g.n, g.groups * g.co, g.ho, g.wo])), params: fc.constant(g) }),
    ),
    f: ([x, dy], g: { p: Parameters<typeof conv2dWeightGrad>[2]; k: number }) => conv2dWeightGrad(x!, dy!, g.p, [g.k, g.k]),
    tol: SUMS,
  }),
  maxPool2d: row({
    arb: fc
      .record({ k: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 3, max: 9 }), w: fc.integer({ min: 3, max: 9 }) })
      .chain((g) => fc.record({ inputs: fc.tuple(input([2, 3, g.h, g.w])), params: fc.constant(g) })),
    f: ([x], g: { k: number; s: number }) => maxPool2d(x!, { kernelSize: g.k, stride: g.s, padding: Math.floor(g.k / 2) }),
    tol: EXACT,
  }),
};

/** The inputs of a case on one device. */
function make(inputs: Input[], device: 'cpu' | 'webgpu' | 'wasm'): Tensor[] {
  return inputs.map((i) =>
    tensor(
      data(
        i.dtype,
        i.shape.reduce((a, b) => a * b, 1),
        i.seed,
        { ...(i.lo !== undefined && { lo: i.lo }), ...(i.hi !== undefined && { hi: i.hi }) },
      ),
      { shape: i.shape, dtype: i.dtype, device },
    ),
  );
}

/** One test per primitive: `device` against the CPU device (call inside a describe). */
export function primitiveSuite(device: 'webgpu' | 'wasm'): void {
  it.each([...PRIM_NAMES])('%s', async (name) => {
    const c = DEVICE_CASES[name];
    await fc.assert(
      fc.asyncProperty(c.arb, async ({ inputs, params }) => {
        const [onCpu, onGpu] = [make(inputs, 'cpu'), make(inputs, device)];
        const [want, got] = [c.f(onCpu, params), c.f(onGpu, params)];
        try {
          const [w, g] = [await want.data(), await got.data()];
          expectClose(`${name} on ${JSON.stringify(inputs.map((i) => i.shape))} ${JSON.stringify(params)}`, g, w, c.tol);
        } finally {
          for (const t of [...onCpu, ...onGpu, want, got]) t.dispose();
        }
      }),
      { numRuns: RUNS },
    );
  });
}
