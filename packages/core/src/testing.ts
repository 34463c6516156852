/**
 * @pixgrad/core/testing: fast-check arbitraries and helpers for property tests of gradients.
 *
 * Every primitive's gradcheck/gradgradcheck property test is built from these:
 *
 * ```ts
 * import { binaryInputs, propertyGradcheck, unaryInputs } from '@pixgrad/core/testing';
 * it('gradients of log', () => propertyGradcheck('log', unaryInputs({ min: 0.1, max: 4 }), (x) => log(x)));
 * it('gradients of maximum', () =>
 *   propertyGradcheck('maximum', binaryInputs({ grid: { step: 0.5 } }, { grid: { step: 0.5, offset: 0.25 } }), (a, b) => maximum(a, b)));
 * ```
 *
 * Test cases are plain data ({@link TensorSpec}: a shape and row-major values), so fast-check can
 * print and shrink them; {@link toTensor} turns one into a float64 tensor that requires grad.
 * fast-check is an optional peer dependency of @pixgrad/core: only this module needs it.
 */
import fc from 'fast-check';
// through the package entry, so that the cpu backend is registered even when a test imports only this module
import {
  type DType,
  type GradcheckFn,
  type GradcheckOptions,
  type Tensor,
  dispose,
  fmtShape,
  gradcheck,
  gradgradcheck,
  gradients,
  isFloat,
  memory,
  onesLike,
  sizeOf,
  tensor,
} from './index.js';

// ---------------------------------------------------------------------------------------- shapes

export interface ShapeOptions {
  /** smallest rank (default 0: scalars included) */
  minRank?: number;
  /** largest rank (default 4) */
  maxRank?: number;
  /** largest dimension (default 5) */
  maxDim?: number;
  /** largest number of elements (default 24: small enough for 2n forwards in gradcheck) */
  maxSize?: number;
}

const shapeDefaults = (o: ShapeOptions = {}) => ({ minRank: o.minRank ?? 0, maxRank: o.maxRank ?? 4, maxDim: o.maxDim ?? 5, maxSize: o.maxSize ?? 24 });

/** One dimension: size 1 and odd sizes are favoured (they are where indexing and broadcasting break). */
function dimArb(maxDim: number): fc.Arbitrary<number> {
  const table: [dim: number, weight: number][] = [
    [1, 4],
    [3, 3],
    [2, 2],
    [5, 2],
    [4, 1],
  ];
  const parts = table.filter(([d]) => d <= maxDim).map(([d, weight]) => ({ arbitrary: fc.constant(d), weight }));
  if (maxDim > 5) parts.push({ arbitrary: fc.integer({ min: 6, max: maxDim }), weight: 1 });
  return fc.oneof(...parts);
}

/** Sets the largest dimensions to 1 until the shape has at most maxSize elements. */
function capSize(shape: number[], maxSize: number): number[] {
  const s = [...shape];
  while (sizeOf(s) > maxSize) {
    let k = 0;
    for (let i = 1; i < s.length; i++) if (s[i]! > s[k]!) k = i;
    s[k] = 1;
  }
  return s;
}

/**
 * Shapes of rank minRank..maxRank (default 0..4) with dimensions in 1..maxDim, size-1 and odd
 * sizes favoured, at most maxSize elements (default 24, so that gradcheck's 2n forwards stay cheap).
 * @example fc.sample(shapes(), 3) // e.g. [[3, 1], [], [1, 5, 1, 3]]
 */
export function shapes(opts: ShapeOptions = {}): fc.Arbitrary<number[]> {
  const o = shapeDefaults(opts);
  return fc.array(dimArb(o.maxDim), { minLength: o.minRank, maxLength: o.maxRank }).map((s) => capSize(s, o.maxSize));
}

/**
 * `count` shapes that broadcast together (numpy rules): a common result shape, from which each
 * operand drops some leading dimensions (missing leading dims) and sets some dims to 1. Every
 * operand has at most maxSize elements, and so does the result.
 * @example fc.sample(broadcastShapes(2), 2) // e.g. [[[3, 1, 5], [1, 5]], [[2, 3], [2, 1]]]
 */
export function broadcastShapes(count: number, opts: ShapeOptions = {}): fc.Arbitrary<number[][]> {
  const o = shapeDefaults(opts);
  const operand = fc.record({ drop: fc.nat({ max: o.maxRank }), ones: fc.array(fc.boolean(), { minLength: o.maxRank, maxLength: o.maxRank }) });
  return fc.tuple(shapes(o), fc.array(operand, { minLength: count, maxLength: count })).map(([out, ops]) => {
    const res = ops.map(({ drop, ones }) => {
      // size-1 dims are favoured: each dim is 1 with probability 1/2 (drawn as a boolean)
      const kept = out.slice(Math.min(drop % (out.length + 1), out.length));
      return kept.map((d, i) => (ones[i] && kept.length > 0 ? 1 : d));
    });
    // at least one operand keeps every dim, so that the result shape is `out` itself
    res[0] = [...out];
    return res;
  });
}

/** Two broadcast-compatible shapes (see {@link broadcastShapes}); the first has the full result shape or not, at random. */
export function broadcastPair(opts: ShapeOptions = {}): fc.Arbitrary<[number[], number[]]> {
  return fc.tuple(broadcastShapes(2, opts), fc.boolean()).map(([[a, b], swap]) => (swap ? [b!, a!] : [a!, b!]));
}

/** Three broadcast-compatible shapes (for `where`), shuffled so that any of them may be the largest. */
export function broadcastTriple(opts: ShapeOptions = {}): fc.Arbitrary<[number[], number[], number[]]> {
  return fc.tuple(broadcastShapes(3, opts), fc.nat({ max: 5 })).map(([s, p]) => {
    const perms = [
      [0, 1, 2],
      [0, 2, 1],
      [1, 0, 2],
      [1, 2, 0],
      [2, 0, 1],
      [2, 1, 0],
    ];
    const q = perms[p]!;
    return [s[q[0]!]!, s[q[1]!]!, s[q[2]!]!];
  });
}

// ---------------------------------------------------------------------------------------- values

export interface ValueOptions {
  /** smallest value (default -2); choose it so that x - eps stays inside the function's domain */
  min?: number;
  /** largest value (default 2) */
  max?: number;
  /**
   * Points where the function is not differentiable (relu: [0], clamp: [lo, hi], floor: the
   * integers in range). Values are drawn near them often, but never closer than `margin`: a value
   * that lands closer is pushed out to kink ± margin (on its own side).
   */
  kinks?: readonly number[];
  /** distance kept from every kink (default 1e-3: far beyond gradcheck's eps of 1e-6) */
  margin?: number;
  /** include tiny magnitudes ~1e-9..1e-7 (default true; pushed away from kinks and clamped to [min, max] like every value) */
  tiny?: boolean;
  /** include large magnitudes in [large/10, large] of either sign inside [min, max] (default: none; e.g. 1e3) */
  large?: number;
  /**
   * Quantise every value to offset + step * k: two values are then either exactly equal (a tie)
   * or at least `step` apart. Two inputs on grids with offsets 0 and step/2 never tie and stay
   * step/2 apart (maximum, minimum without ties); equal offsets give frequent exact ties.
   */
  grid?: { step: number; offset?: number };
  /** repeat earlier values of the same tensor now and then (ties inside one tensor; default false) */
  ties?: boolean;
}

const U = 0x7fffffff;

/**
 * One float64 value: a mixture of uniform values in [min, max], tiny magnitudes, large magnitudes
 * and values near the kinks, then quantised to the grid and kept `margin` away from every kink.
 */
export function floatValue(opts: ValueOptions = {}): fc.Arbitrary<number> {
  const min = opts.min ?? -2;
  const max = opts.max ?? 2;
  if (!(min <= max)) throw new RangeError(`floatValue: min ${min} > max ${max}`);
  const margin = opts.margin ?? 1e-3;
  const kinks = (opts.kinks ?? []).filter((k) => k >= min - margin && k <= max + margin);
  const unit = fc.integer({ min: 0, max: U }).map((i) => i / U);
  const parts: { arbitrary: fc.Arbitrary<number>; weight: number }[] = [{ arbitrary: unit.map((u) => min + (max - min) * u), weight: 6 }];
  if ((opts.tiny ?? true) && min < 1e-7 && max > -1e-7) {
    const signs = [...(max > 0 ? [1] : []), ...(min < 0 ? [-1] : [])];
    parts.push({ arbitrary: fc.tuple(fc.constantFrom(...signs), unit).map(([s, u]) => s * 10 ** (-9 + 2 * u)), weight: 1 });
  }
  if (opts.large !== undefined && opts.large > 0) {
    const L = opts.large;
    const signs = [...(max >= L / 10 ? [1] : []), ...(min <= -L / 10 ? [-1] : [])];
    if (signs.length > 0) parts.push({ arbitrary: fc.tuple(fc.constantFrom(...signs), unit).map(([s, u]) => s * L * 10 ** -u), weight: 2 });
  }
  if (kinks.length > 0) {
    parts.push({
      arbitrary: fc.tuple(fc.constantFrom(...kinks), fc.boolean(), unit).map(([k, side, u]) => k + (side ? 1 : -1) * margin * (1 + 1e-9 + 20 * u)),
      weight: 3,
    });
  }
  const step = opts.grid?.step;
  const offset = opts.grid?.offset ?? 0;
  return fc.oneof(...parts).map((v) => {
    v = Math.min(max, Math.max(min, v));
    if (step !== undefined) {
      // quantise, staying on the grid and inside [min, max] when the range holds a grid point
      v = offset + step * Math.round((v - offset) / step);
      if (v > max && v - step >= min) v -= step;
      if (v < min && v + step <= max) v += step;
    }
    for (const k of kinks) {
      if (Math.abs(v - k) < margin) {
        // a hair beyond the margin, so that rounding cannot bring it back inside
        const up = k + margin * (1 + 1e-9);
        const down = k - margin * (1 + 1e-9);
        // push to the side it is on, unless that leaves [min, max]
        v = (v >= k && up <= max) || down < min ? up : down;
      }
    }
    return v;
  });
}

/** `size` float64 values from {@link floatValue}; with `ties`, some repeat an earlier one. */
export function floatValues(size: number, opts: ValueOptions = {}): fc.Arbitrary<number[]> {
  const value = floatValue(opts);
  if (!opts.ties) return fc.array(value, { minLength: size, maxLength: size });
  // about one value in four repeats an earlier one
  const tie = fc.oneof({ arbitrary: fc.constant(null), weight: 3 }, { arbitrary: fc.nat(), weight: 1 });
  const cell = fc.record({ v: value, tie });
  return fc.array(cell, { minLength: size, maxLength: size }).map((cells) => {
    const out: number[] = [];
    cells.forEach(({ v, tie }, i) => out.push(tie !== null && i > 0 ? out[tie % i]! : v));
    return out;
  });
}

// ---------------------------------------------------------------------------------------- tensors

/**
 * A test tensor as plain data (printable and shrinkable by fast-check). dtype defaults to float64;
 * requiresGrad defaults to true for float dtypes.
 */
export interface TensorSpec {
  shape: number[];
  values: number[];
  dtype?: DType;
  requiresGrad?: boolean;
}

/** A TensorSpec of the given shape with values from {@link floatValues}. */
export function specOf(shape: readonly number[], opts: ValueOptions = {}): fc.Arbitrary<TensorSpec> {
  const size = sizeOf(shape);
  return floatValues(size, opts).map((values) => ({ shape: [...shape], values }));
}

/** A float64 TensorSpec of a random shape (see {@link shapes}) with values from {@link floatValues}. */
export function tensorSpec(values: ValueOptions = {}, shape: ShapeOptions = {}): fc.Arbitrary<TensorSpec> {
  return shapes(shape).chain((s) => specOf(s, values));
}

/** A bool TensorSpec (a condition for `where`): random true/false, never requiring grad. */
export function boolSpec(shape: readonly number[]): fc.Arbitrary<TensorSpec> {
  const size = sizeOf(shape);
  return fc
    .array(fc.boolean(), { minLength: size, maxLength: size })
    .map((bs) => ({ shape: [...shape], values: bs.map(Number), dtype: 'bool' as DType, requiresGrad: false }));
}

/**
 * Turns a spec into a tensor on the cpu: float64 and requiresGrad by default (what gradcheck
 * wants). The caller owns the tensor.
 */
export function toTensor(spec: TensorSpec): Tensor {
  const dtype = spec.dtype ?? 'float64';
  return tensor(spec.values, { shape: spec.shape, dtype, requiresGrad: spec.requiresGrad ?? isFloat(dtype) });
}

/** Inputs for a unary op: one tensor of a random shape. */
export function unaryInputs(values: ValueOptions = {}, shape: ShapeOptions = {}): fc.Arbitrary<[TensorSpec]> {
  return tensorSpec(values, shape).map((s) => [s]);
}

/** Inputs for a binary op: two tensors of broadcast-compatible shapes (see {@link broadcastPair}), values drawn per input. */
export function binaryInputs(a: ValueOptions = {}, b: ValueOptions = a, shape: ShapeOptions = {}): fc.Arbitrary<[TensorSpec, TensorSpec]> {
  return broadcastPair(shape).chain(([sa, sb]) => fc.tuple(specOf(sa, a), specOf(sb, b)));
}

/** Inputs for n tensors of broadcast-compatible shapes, values drawn with values[i] for input i. */
export function broadcastInputs(values: readonly ValueOptions[], shape: ShapeOptions = {}): fc.Arbitrary<TensorSpec[]> {
  return broadcastShapes(values.length, shape).chain((ss) => fc.tuple(...ss.map((s, i) => specOf(s, values[i]!))));
}

// ---------------------------------------------------------------------------------------- properties

export interface PropertyGradcheckOptions extends GradcheckOptions {
  /** fast-check runs (default 50) */
  numRuns?: number;
  /** fast-check seed (default: fast-check's, printed on failure for replay) */
  fcSeed?: number;
  /** also run gradgradcheck on each case (default true) */
  gradgrad?: boolean;
  /** check that f's forward + backward, run outside any scope, leaves memory().tensors where it found it (default true) */
  checkMemory?: boolean;
}

/** A generated case with non-tensor parameters (clamp bounds, a slope...) next to its tensor inputs. */
export interface ParamCase<P> {
  inputs: TensorSpec[];
  params: P;
}

function describeCase(specs: readonly TensorSpec[]): string {
  return specs
    .map((s, i) => `input ${i}: ${fmtShape(s.shape)} ${s.dtype ?? 'float64'} [${s.values.slice(0, 8).join(', ')}${s.values.length > 8 ? ', ...' : ''}]`)
    .join('; ');
}

/**
 * The property test every differentiable primitive gets: for numRuns (default 50) cases drawn
 * from `arb`, `gradcheck` and (unless gradgrad: false) `gradgradcheck` of f pass, and each case
 * leaves no tensor behind. Throws (with the op's name, the case and the gradcheck report, plus
 * fast-check's seed and counterexample) on the first failure, so a test body is one line:
 *
 * ```ts
 * it('exp: gradcheck and gradgradcheck', () => propertyGradcheck('exp', unaryInputs(), (x) => exp(x)));
 * it('clamp', () => propertyGradcheck('clamp', fc.record({ inputs: unaryInputs(), params: ... }), ([x], p) => clamp(x, p.lo, p.hi)));
 * ```
 *
 * `arb` yields either the list of input specs (f gets the tensors as arguments), or a
 * {@link ParamCase} `{ inputs, params }` (f gets the tensor list and the params).
 */
export function propertyGradcheck(name: string, arb: fc.Arbitrary<readonly TensorSpec[]>, f: GradcheckFn, opts?: PropertyGradcheckOptions): void;
export function propertyGradcheck<P>(
  name: string,
  arb: fc.Arbitrary<ParamCase<P>>,
  f: (inputs: Tensor[], params: P) => Tensor | readonly Tensor[],
  opts?: PropertyGradcheckOptions,
): void;
export function propertyGradcheck(
  name: string,
  arb: fc.Arbitrary<readonly TensorSpec[] | ParamCase<unknown>>,
  f: (...args: any[]) => Tensor | readonly Tensor[],
  opts: PropertyGradcheckOptions = {},
): void {
  const { numRuns = 50, fcSeed, gradgrad = true, checkMemory = true, ...gc } = opts;
  const property = fc.property(arb, (c) => {
    const specs = Array.isArray(c) ? (c as TensorSpec[]) : (c as ParamCase<unknown>).inputs;
    const fn: GradcheckFn = Array.isArray(c) ? (f as GradcheckFn) : (...xs) => f(xs, (c as ParamCase<unknown>).params);
    if (checkMemory) checkNoLeak(name, specs, fn, gradgrad);
    const xs = specs.map(toTensor);
    try {
      const r = gradcheck(fn, xs, gc);
      if (!r.ok) throw new Error(`${name}: gradcheck failed on ${describeCase(specs)}\n${r.report}`);
      if (gradgrad) {
        const r2 = gradgradcheck(fn, xs, gc);
        if (!r2.ok) throw new Error(`${name}: gradgradcheck failed on ${describeCase(specs)}\n${r2.report}`);
      }
    } finally {
      for (const x of xs) x.dispose();
    }
  });
  fc.assert(property, { numRuns, includeErrorInReport: true, ...(fcSeed !== undefined && { seed: fcSeed }) });
}

/**
 * Runs f and a backward (recording the backward too when `createGraph`) outside any scope, then
 * disposes what the test owns: every tensor the op made must be gone. (gradcheck itself runs f
 * inside scopes, which would hide a leak.)
 */
function checkNoLeak(name: string, specs: readonly TensorSpec[], fn: GradcheckFn, createGraph: boolean): void {
  const before = memory().tensors;
  const xs = specs.map(toTensor);
  const res = fn(...xs);
  const outs = Array.isArray(res) ? [...res] : [res as Tensor];
  const diff = outs.filter((o) => isFloat(o.dtype) && o.requiresGrad);
  const wrt = xs.filter((x) => x.requiresGrad);
  if (diff.length > 0 && wrt.length > 0) {
    const ones = diff.map((o) => onesLike(o));
    const gs = gradients(diff, wrt, { gradOutputs: ones, createGraph });
    dispose([ones, gs]);
  }
  dispose([outs, xs]);
  const after = memory().tensors;
  if (after !== before) throw new Error(`${name}: ${after - before} tensor(s) left alive by forward + backward on ${describeCase(specs)}`);
}
