import { gradients } from './autodiff.js';
import { tensor } from './creation.js';
import { isFloat } from './dtype.js';
import { withGradMode } from './engine.js';
import { DTypeError, GradcheckError, ValueError, fmtShape } from './errors.js';
import { tidy } from './memory.js';
import { add, mul, sum } from './ops/index.js';
import { Generator } from './random.js';
import { type Shape, sizeOf } from './shape.js';
import { Tensor, assertUsable } from './tensor.js';

/** A function gradcheck can differentiate: tensors in, one tensor or an array of tensors out. */
export type GradcheckFn = (...inputs: Tensor[]) => Tensor | readonly Tensor[];

export interface GradcheckOptions {
  /** finite-difference step (default 1e-6, as PyTorch) */
  eps?: number;
  /** absolute tolerance (default 1e-5, as PyTorch) */
  atol?: number;
  /** relative tolerance, relative to the numeric value (default 1e-3, as PyTorch) */
  rtol?: number;
  /** throw a GradcheckError carrying the report instead of returning ok: false (default false) */
  throwOnFailure?: boolean;
  /** seed of the random cotangents (default 0): the same seed checks the same v^T J */
  seed?: number;
  /** how many mismatching elements the report lists (default 10; all are in `mismatches`) */
  maxReported?: number;
}

/** One element where the analytic and the numeric derivative disagree. */
export interface GradcheckMismatch {
  /** index of the input in the `inputs` array */
  input: number;
  /** the element's multi-index in that input */
  index: number[];
  analytic: number;
  numeric: number;
  absError: number;
  relError: number;
}

export interface GradcheckResult {
  /** every checked element satisfies |analytic - numeric| <= atol + rtol * |numeric| */
  ok: boolean;
  /** max |analytic - numeric| over the checked elements */
  maxAbsError: number;
  /** max |analytic - numeric| / max(|numeric|, atol) over the checked elements */
  maxRelError: number;
  /** a human-readable summary; on failure it names the input, the element, the analytic and numeric values */
  report: string;
  /** every mismatching element */
  mismatches: GradcheckMismatch[];
}

interface Resolved {
  eps: number;
  atol: number;
  rtol: number;
  throwOnFailure: boolean;
  seed: number;
  maxReported: number;
}

function resolve(op: string, o: GradcheckOptions): Resolved {
  const r: Resolved = {
    eps: o.eps ?? 1e-6,
    atol: o.atol ?? 1e-5,
    rtol: o.rtol ?? 1e-3,
    throwOnFailure: o.throwOnFailure ?? false,
    seed: o.seed ?? 0,
    maxReported: o.maxReported ?? 10,
  };
  for (const k of ['eps', 'atol', 'rtol'] as const) {
    if (!(Number.isFinite(r[k]) && r[k] >= 0) || (k === 'eps' && r[k] === 0)) {
      throw new ValueError(`${op}: ${k} must be a finite ${k === 'eps' ? 'positive' : 'non-negative'} number, got ${r[k]}`);
    }
  }
  return r;
}

/** The multi-index of flat position `flat` in a row-major array of `shape`. */
function unravel(flat: number, shape: Shape): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = flat % shape[d]!;
    flat = Math.floor(flat / shape[d]!);
  }
  return idx;
}

const fmtIndex = (flat: number, shape: Shape) => fmtShape(unravel(flat, shape));

function firstNonFinite(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return i;
  return -1;
}

/** The inputs gradcheck differentiates: those with requiresGrad, or every float64 input when none is marked. */
function checkedIndices(op: string, inputs: readonly unknown[]): number[] {
  if (!Array.isArray(inputs)) throw new ValueError(`${op}: inputs must be an array of tensors, got ${typeof inputs}`);
  inputs.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new ValueError(`${op}: input ${i} must be a Tensor, got ${t === null ? 'null' : typeof t}`);
    assertUsable(t, op);
  });
  const ts = inputs as readonly Tensor[];
  let checked = ts.flatMap((t, i) => (t.requiresGrad ? [i] : []));
  if (checked.length === 0) checked = ts.flatMap((t, i) => (t.dtype === 'float64' ? [i] : []));
  if (checked.length === 0) {
    throw new ValueError(
      `${op}: no input to check: mark inputs with requiresGrad, or pass float64 inputs (got ${ts.map((t) => `${fmtShape(t.shape)} ${t.dtype}`).join(', ') || 'no inputs'})`,
    );
  }
  for (const i of checked) {
    const t = ts[i]!;
    if (t.dtype !== 'float64') {
      throw new DTypeError(
        `${op}: input ${i} ${fmtShape(t.shape)} is ${t.dtype}; checked inputs must be float64 so that finite differences are meaningful (cast it with .cast('float64'))`,
      );
    }
    if (t.device !== 'cpu') {
      throw new DTypeError(
        `${op}: input ${i} ${fmtShape(t.shape)} is on ${t.device}; checked inputs must be float64 tensors on the cpu (move it with .to('cpu'))`,
      );
    }
    const bad = firstNonFinite(t.dataSync());
    if (bad >= 0) {
      throw new GradcheckError(
        `${op}: input ${i} ${fmtShape(t.shape)} is not finite at element ${fmtIndex(bad, t.shape)} (${t.dataSync()[bad]}); finite differences need finite inputs`,
      );
    }
  }
  return checked;
}

/** f's result as a list of tensors, validated. */
function outputsOf(op: string, res: unknown): Tensor[] {
  const outs = res instanceof Tensor ? [res] : Array.isArray(res) ? (res as unknown[]) : null;
  if (!outs) throw new ValueError(`${op}: f must return a Tensor or an array of Tensors, got ${res === null ? 'null' : typeof res}`);
  outs.forEach((o, k) => {
    if (!(o instanceof Tensor)) throw new ValueError(`${op}: output ${k} of f is ${o === null ? 'null' : typeof o}, not a Tensor`);
  });
  return outs as Tensor[];
}

/**
 * tidy(fn), but an exception thrown inside still frees what fn created: the error is caught inside
 * the scope, so the scope closes normally, and rethrown outside it.
 */
function scoped<T>(fn: () => T): T {
  let failed = false;
  let error: unknown;
  const r = tidy(() => {
    try {
      return fn();
    } catch (e) {
      failed = true;
      error = e;
      return undefined;
    }
  });
  if (failed) throw error;
  return r as T;
}

interface Labels {
  input: (i: number) => string;
  output: (k: number) => string;
}

const defaultLabels: Labels = { input: (i) => `input ${i}`, output: (k) => `output ${k}` };

/**
 * The shared engine of gradcheck and gradgradcheck: one backward for v^T J, then 2n forwards of
 * sum_k <f_k(x ± eps e_j), v_k> for the central differences, all in float64.
 */
function check(op: string, f: GradcheckFn, inputs: readonly Tensor[], checked: readonly number[], o: Resolved, labels: Labels): GradcheckResult {
  const host = checked.map((i) => Float64Array.from(inputs[i]!.dataSync()));
  const leaves = checked.map((i, c) => tensor(host[c]!, { shape: inputs[i]!.shape, dtype: 'float64', requiresGrad: true }));
  const consts = checked.map((i, c) => tensor(host[c]!, { shape: inputs[i]!.shape, dtype: 'float64' }));
  const rng = new Generator(o.seed);
  let cot: (Float64Array | null)[] = [];
  let outShapes: Shape[] = [];
  try {
    // ---- analytic: one backward with cotangents v
    const analytic = scoped(() => {
      const args = inputs.map((t, i) => (checked.includes(i) ? leaves[checked.indexOf(i)]! : t));
      const outs = outputsOf(op, f(...args));
      outShapes = outs.map((t) => t.shape);
      outs.forEach((t, k) => {
        if (!isFloat(t.dtype)) return;
        const bad = firstNonFinite(t.dataSync());
        if (bad >= 0) {
          throw new GradcheckError(
            `${op}: ${labels.output(k)} of f ${fmtShape(t.shape)} is not finite at element ${fmtIndex(bad, t.shape)} (${t.dataSync()[bad]}) for the given inputs`,
          );
        }
      });
      // random cotangents for non-scalar outputs; 1 for one-element outputs, so their report shows the plain gradient
      cot = outs.map((t) => {
        if (!isFloat(t.dtype)) return null;
        const v = new Float64Array(t.size);
        for (let j = 0; j < v.length; j++) v[j] = t.size === 1 ? 1 : rng.normal();
        return v;
      });
      const floatOuts = outs.filter((_, k) => cot[k] !== null);
      const gradOutputs = outs.flatMap((t, k) => (cot[k] ? [tensor(cot[k]!, { shape: t.shape, dtype: t.dtype })] : []));
      const gs = gradients(floatOuts, leaves, { gradOutputs });
      return gs.map((g, c) => {
        const data = Float64Array.from(g.dataSync());
        const bad = firstNonFinite(data);
        if (bad >= 0) {
          const i = checked[c]!;
          throw new GradcheckError(
            `${op}: the analytic gradient of ${labels.input(i)} ${fmtShape(g.shape)} is not finite at element ${fmtIndex(bad, g.shape)} (${data[bad]})`,
          );
        }
        return data;
      });
    });

    // ---- numeric: central differences of s(x) = sum_k <f_k(x), v_k>
    const evalAt = (c: number, j: number, sign: number): number =>
      scoped(() => {
        const i = checked[c]!;
        const perturbed = tensor(host[c]!, { shape: inputs[i]!.shape, dtype: 'float64' });
        const args = inputs.map((t, q) => (q === i ? perturbed : checked.includes(q) ? consts[checked.indexOf(q)]! : t));
        const outs = outputsOf(op, f(...args));
        if (
          outs.length !== outShapes.length ||
          outs.some((t, k) => t.shape.length !== outShapes[k]!.length || t.shape.some((d, a) => d !== outShapes[k]![a]))
        ) {
          throw new GradcheckError(
            `${op}: f returned outputs of shapes ${outs.map((t) => fmtShape(t.shape)).join(', ')} when ${labels.input(i)} was perturbed, but ${outShapes.map(fmtShape).join(', ')} at the given inputs`,
          );
        }
        let s = 0;
        outs.forEach((t, k) => {
          const v = cot[k];
          if (!v) return;
          const data = t.dataSync();
          for (let e = 0; e < data.length; e++) {
            if (!Number.isFinite(data[e]!)) {
              throw new GradcheckError(
                `${op}: ${labels.output(k)} of f is not finite at element ${fmtIndex(e, t.shape)} (${data[e]}) when ${labels.input(i)} element ${fmtIndex(j, inputs[i]!.shape)} is perturbed by ${sign > 0 ? '+' : '-'}eps (to ${host[c]![j]}); keep inputs at least eps inside the function's domain`,
              );
            }
            s += data[e]! * v[e]!;
          }
        });
        return s;
      });

    const mismatches: GradcheckMismatch[] = [];
    let maxAbsError = 0;
    let maxRelError = 0;
    let count = 0;
    checked.forEach((i, c) => {
      const x = host[c]!;
      for (let j = 0; j < x.length; j++) {
        const orig = x[j]!;
        x[j] = orig + o.eps;
        const plus = evalAt(c, j, 1);
        x[j] = orig - o.eps;
        const minus = evalAt(c, j, -1);
        x[j] = orig;
        const numeric = (plus - minus) / (2 * o.eps);
        const a = analytic[c]![j]!;
        const absError = Math.abs(a - numeric);
        const relError = absError / Math.max(Math.abs(numeric), o.atol, Number.MIN_VALUE);
        maxAbsError = Math.max(maxAbsError, absError);
        maxRelError = Math.max(maxRelError, relError);
        count++;
        if (!(absError <= o.atol + o.rtol * Math.abs(numeric))) {
          mismatches.push({ input: i, index: unravel(j, inputs[i]!.shape), analytic: a, numeric, absError, relError });
        }
      }
    });

    const ok = mismatches.length === 0;
    const vNote = outShapes.some((s, k) => cot[k] && sizeOf(s) !== 1) ? `, cotangent seed ${o.seed}` : '';
    const header = `${op} ${ok ? 'passed' : 'FAILED'}: ${count} element(s) of ${checked.map(labels.input).join(', ')} checked (eps ${o.eps}, atol ${o.atol}, rtol ${o.rtol}${vNote}); max abs error ${maxAbsError.toExponential(3)}, max rel error ${maxRelError.toExponential(3)}`;
    const lines = [header];
    if (!ok) {
      lines.push(`${mismatches.length} element(s) differ (|analytic - numeric| > atol + rtol * |numeric|):`);
      for (const m of mismatches.slice(0, o.maxReported)) {
        lines.push(
          `  ${labels.input(m.input)} element ${fmtShape(m.index)}: analytic ${m.analytic}, numeric ${m.numeric} (abs error ${m.absError.toExponential(3)}, rel error ${m.relError.toExponential(3)})`,
        );
      }
      if (mismatches.length > o.maxReported) lines.push(`  ... and ${mismatches.length - o.maxReported} more`);
    }
    const result: GradcheckResult = { ok, maxAbsError, maxRelError, report: lines.join('\n'), mismatches };
    if (!ok && o.throwOnFailure) throw new GradcheckError(result.report);
    return result;
  } finally {
    for (const t of [...leaves, ...consts]) t.dispose();
  }
}

/**
 * Checks the gradients of `f` at `inputs` against central finite differences in float64, as
 * `torch.autograd.gradcheck`.
 *
 * For outputs y_k = f(x)_k and cotangents v_k (random normal from `seed` for non-scalar outputs,
 * 1 for one-element outputs), the analytic vector-Jacobian product v^T J (one backward) is
 * compared, element by element, with the numeric (s(x + eps e_j) - s(x - eps e_j)) / (2 eps) of
 * s(x) = sum_k sum(y_k * v_k) (2n forwards). An element passes when
 * |analytic - numeric| <= atol + rtol * |numeric| (PyTorch's defaults: eps 1e-6, atol 1e-5, rtol 1e-3).
 *
 * Checked inputs: those with requiresGrad; when none is marked, every float64 input. Checked
 * inputs must be float64 on the cpu (DTypeError otherwise); the others are passed to f as they
 * are. Non-float outputs are ignored. The user's tensors are not modified and their `.grad` is
 * not touched. NaN or Inf in a checked input, in f's output (at the inputs or at a perturbed point)
 * or in an analytic gradient is a GradcheckError naming where.
 *
 * @returns `{ ok, maxAbsError, maxRelError, report, mismatches }`; on failure the report names the
 *   input, the element's multi-index, the analytic and the numeric value. With `throwOnFailure`
 *   a failure throws a GradcheckError carrying the report instead.
 * @example
 * const x = tensor([0.5, 1.5], { dtype: 'float64', requiresGrad: true });
 * const { ok, report } = gradcheck((x) => x.exp().mul(x), [x]);
 */
export function gradcheck(f: GradcheckFn, inputs: readonly Tensor[], opts: GradcheckOptions = {}): GradcheckResult {
  const o = resolve('gradcheck', opts);
  if (typeof f !== 'function') throw new ValueError(`gradcheck: f must be a function, got ${typeof f}`);
  const checked = checkedIndices('gradcheck', inputs);
  return withGradMode(true, () => check('gradcheck', f, inputs, checked, o, defaultLabels));
}

/**
 * Checks second derivatives, as `torch.autograd.gradgradcheck`: runs gradcheck on
 * (x..., v...) ↦ gradients(sum_k sum(f(x)_k * v_k), x, { createGraph: true }), with random
 * normal cotangents v_k (one per float output of f, from `seed`) as extra checked inputs. So the
 * VJP of every primitive on the way is itself differentiated (by its own VJP) and compared with
 * finite differences of the first-order gradient. Gradients of inputs that f does not depend on
 * are zeros. Options, checked inputs and the result are as in `gradcheck`; the report calls the
 * extra inputs "cotangent of output k" and the outputs "gradient of input i".
 * @example
 * const x = tensor([0.5, 1.5], { dtype: 'float64', requiresGrad: true });
 * gradgradcheck((x) => x.mul(x).sin(), [x], { throwOnFailure: true });
 */
export function gradgradcheck(f: GradcheckFn, inputs: readonly Tensor[], opts: GradcheckOptions = {}): GradcheckResult {
  const o = resolve('gradgradcheck', opts);
  if (typeof f !== 'function') throw new ValueError(`gradgradcheck: f must be a function, got ${typeof f}`);
  const checked = checkedIndices('gradgradcheck', inputs);
  const n = inputs.length;
  return withGradMode(true, () => {
    // the outputs' shapes and dtypes decide the cotangents
    const outs = scoped(() => outputsOf('gradgradcheck', f(...inputs.map((t) => t.detach()))).map((t) => ({ shape: t.shape, dtype: t.dtype })));
    const rng = new Generator((o.seed ^ 0x5bd1e995) >>> 0);
    const floatOuts = outs.flatMap((t, k) => (isFloat(t.dtype) ? [k] : []));
    const vs = floatOuts.map((k) => {
      const v = new Float64Array(sizeOf(outs[k]!.shape));
      for (let j = 0; j < v.length; j++) v[j] = rng.normal();
      return tensor(v, { shape: outs[k]!.shape, dtype: 'float64' });
    });
    const f2: GradcheckFn = (...args) => {
      const xs = args.slice(0, n).map((x, i) => (checked.includes(i) && !x.requiresGrad ? x.detach().requiresGrad_() : x));
      const ys = outputsOf('gradgradcheck', f(...xs));
      let s: Tensor | null = null;
      floatOuts.forEach((k, q) => {
        const term = sum(mul(ys[k]!, args[n + q]!));
        s = s === null ? term : add(s, term);
      });
      if (s === null) return checked.map((i) => xs[i]!.mul(0));
      return gradients(
        s,
        checked.map((i) => xs[i]!),
        { createGraph: true },
      );
    };
    const labels: Labels = {
      input: (i) => (i < n ? `input ${i}` : `cotangent of output ${floatOuts[i - n]}`),
      output: (k) => `gradient of input ${checked[k]}`,
    };
    try {
      return check('gradgradcheck', f2, [...inputs, ...vs], [...checked, ...vs.map((_, q) => n + q)], o, labels);
    } finally {
      for (const v of vs) v.dispose();
    }
  });
}
