import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DTypeError,
  GradcheckError,
  type Prim,
  type Tensor,
  ValueError,
  apply,
  broadcastShapes as broadcastShapesOf,
  exp,
  gradcheck,
  gradgradcheck,
  memory,
  mul,
  neg,
  tensor,
} from '@pixgrad/core';
import {
  binaryInputs,
  boolSpec,
  broadcastPair,
  broadcastShapes,
  broadcastTriple,
  floatValue,
  floatValues,
  propertyGradcheck,
  shapes,
  tensorSpec,
  toTensor,
  unaryInputs,
} from '@pixgrad/core/testing';

const f64 = (data: number[] | number[][], requiresGrad = false) => tensor(data, { dtype: 'float64', requiresGrad });

/** y = x * x with a deliberately wrong VJP (g * x instead of 2 g x). */
const badSquare: Prim<void> = {
  name: 'badSquare',
  forward: (b, [x]) => ({ buf: b.binary('mul', x!, x!, x!.shape), shape: x!.shape, dtype: x!.dtype }),
  vjp: (g, { inputs }) => [mul(g, inputs[0]!)],
};

/**
 * y = -x whose VJP is right everywhere except at one flat position, where it is doubled: the
 * report must name exactly that element.
 */
function negWrongAt(flat: number): Prim<void> {
  return {
    name: 'negWrongAt',
    forward: (b, [x]) => ({ buf: b.unary('neg', x!, {}), shape: x!.shape, dtype: x!.dtype }),
    vjp: (g, { inputs }) => {
      const w = new Float64Array(inputs[0]!.size).fill(1);
      w[flat] = 2;
      const wt = tensor(w, { shape: inputs[0]!.shape, dtype: 'float64' });
      const n = neg(g);
      const r = mul(n, wt);
      n.dispose();
      wt.dispose();
      return [r];
    },
  };
}

/**
 * y = x * x whose first derivative is right (2 g x) but computed from a detached x, so its own
 * derivative misses the d/dx term: gradcheck passes, gradgradcheck must fail.
 */
const squareDetachedVjp: Prim<void> = {
  name: 'squareDetachedVjp',
  forward: (b, [x]) => ({ buf: b.binary('mul', x!, x!, x!.shape), shape: x!.shape, dtype: x!.dtype }),
  vjp: (g, { inputs }) => {
    const xd = inputs[0]!.detach();
    const t = mul(g, xd);
    const r = mul(t, 2);
    xd.dispose();
    t.dispose();
    return [r];
  },
};

/** y = x with an infinite gradient. */
const infGrad: Prim<void> = {
  name: 'infGrad',
  forward: (b, [x]) => ({ buf: b.unary('neg', x!, {}), shape: x!.shape, dtype: x!.dtype }),
  vjp: (g) => [mul(g, Infinity)],
};

describe('gradcheck', () => {
  it('passes on correct ops, scalar and non-scalar outputs, and leaves memory and the inputs untouched', () => {
    const before = memory().tensors;
    const x = f64(
      [
        [0.5, -1.25, 2],
        [0.1, 0.3, -0.7],
      ],
      true,
    );
    const b = f64([[2], [-3]], true);
    const r = gradcheck((x, b) => exp(x).mul(b), [x, b]);
    expect(r.ok).toBe(true);
    expect(r.maxAbsError).toBeLessThan(1e-8);
    expect(r.maxRelError).toBeLessThan(1e-6);
    expect(r.mismatches).toEqual([]);
    expect(r.report).toMatch(/^gradcheck passed: 8 element\(s\) of input 0, input 1 checked/);
    const s = gradcheck((x) => exp(x).sum(), [x]);
    expect(s.ok).toBe(true);
    expect(x.grad).toBeNull();
    expect(Array.from(x.dataSync())).toEqual([0.5, -1.25, 2, 0.1, 0.3, -0.7]);
    x.dispose();
    b.dispose();
    expect(memory().tensors).toBe(before);
  });

  it('checks functions with several outputs', () => {
    const x = f64([0.2, 0.4, -0.9], true);
    const y = f64([1.5, -0.5, 0.25], true);
    const r = gradcheck((x, y) => [x.mul(y), exp(y).sum(), x.mul(x)], [x, y]);
    expect(r.ok).toBe(true);
    x.dispose();
    y.dispose();
  });

  it('FAILS on a wrong VJP and reports input, element, analytic and numeric values', () => {
    const before = memory().tensors;
    const x = f64([0.5], true);
    const r = gradcheck((x) => apply(badSquare, [x], undefined).sum(), [x]);
    expect(r.ok).toBe(false);
    // d(x^2)/dx at 0.5 is 1; the wrong VJP gives 0.5
    expect(r.mismatches).toHaveLength(1);
    expect(r.mismatches[0]!.input).toBe(0);
    expect(r.mismatches[0]!.index).toEqual([0]);
    expect(r.mismatches[0]!.analytic).toBeCloseTo(0.5, 12);
    expect(r.mismatches[0]!.numeric).toBeCloseTo(1, 8);
    expect(r.maxAbsError).toBeCloseTo(0.5, 8);
    expect(r.report).toMatch(/^gradcheck FAILED/);
    expect(r.report).toMatch(/input 0 element \[0\]: analytic 0\.5, numeric 0\.99999/);
    x.dispose();
    expect(memory().tensors).toBe(before);
  });

  it('names exactly the wrong element by its multi-index, in the right input', () => {
    const a = f64([1, 2], true);
    const x = f64(
      [
        [0.1, 0.2, 0.3],
        [0.4, 0.5, 0.6],
      ],
      true,
    );
    const prim = negWrongAt(5); // flat 5 of [2, 3] is [1, 2]
    const r = gradcheck((a, x) => apply(prim, [x], undefined).mul(a.sum()), [a, x]);
    expect(r.ok).toBe(false);
    expect(r.mismatches.map((m) => [m.input, m.index])).toEqual([[1, [1, 2]]]);
    const m = r.mismatches[0]!;
    expect(m.analytic).toBeCloseTo(2 * m.numeric, 8);
    expect(r.report).toContain('input 1 element [1, 2]: analytic ');
    expect(r.report).toContain(`numeric ${m.numeric}`);
    a.dispose();
    x.dispose();
  });

  it('throwOnFailure throws a GradcheckError carrying the report', () => {
    const before = memory().tensors;
    const x = f64([0.5, 1.5], true);
    expect(() => gradcheck((x) => apply(badSquare, [x], undefined), [x], { throwOnFailure: true })).toThrow(GradcheckError);
    expect(() => gradcheck((x) => apply(badSquare, [x], undefined), [x], { throwOnFailure: true })).toThrow(/input 0 element \[1\]: analytic/);
    expect(gradcheck((x) => exp(x), [x], { throwOnFailure: true }).ok).toBe(true);
    x.dispose();
    expect(memory().tensors).toBe(before);
  });

  it('tolerances decide: a loose rtol accepts what the default rejects', () => {
    const x = f64([0.5], true);
    const f = (x: Tensor) => apply(badSquare, [x], undefined);
    expect(gradcheck(f, [x]).ok).toBe(false);
    expect(gradcheck(f, [x], { rtol: 0.6 }).ok).toBe(true);
    expect(gradcheck(f, [x], { atol: 0.6, rtol: 0 }).ok).toBe(true);
    x.dispose();
  });

  it('uses seeded random cotangents for non-scalar outputs: same seed, same result', () => {
    const x = f64([0.5, 1.5, -2], true);
    const f = (x: Tensor) => apply(badSquare, [x], undefined);
    const r1 = gradcheck(f, [x], { seed: 7 });
    const r2 = gradcheck(f, [x], { seed: 7 });
    const r3 = gradcheck(f, [x], { seed: 8 });
    expect(r1.mismatches).toEqual(r2.mismatches);
    expect(r1.mismatches[0]!.analytic).not.toBe(r3.mismatches[0]!.analytic);
    // v^T J: the analytic value of element j is v_j x_j (wrong VJP), the numeric one 2 v_j x_j
    for (const m of r1.mismatches) expect(m.numeric).toBeCloseTo(2 * m.analytic, 6);
    x.dispose();
  });

  it('checks the requiresGrad inputs, or every float64 input when none is marked', () => {
    const x = f64([0.5, 1.5]);
    const w = f64([2, 3]);
    const c = tensor([1, 2], { dtype: 'float32' });
    const r = gradcheck((x, w, c) => x.mul(w).mul(c.cast('float64')), [x, w, c]);
    expect(r.ok).toBe(true);
    expect(r.report).toContain('4 element(s) of input 0, input 1 checked');
    w.requiresGrad = true;
    const r2 = gradcheck((x, w, c) => x.mul(w).mul(c.cast('float64')), [x, w, c]);
    expect(r2.report).toContain('2 element(s) of input 1 checked');
    // a wrong gradient in an unchecked input goes unnoticed; in a checked one it is caught
    const g = (x: Tensor, w: Tensor) => apply(badSquare, [x], undefined).mul(w);
    expect(gradcheck(g, [x, w]).ok).toBe(true);
    x.requiresGrad = true;
    expect(gradcheck(g, [x, w]).ok).toBe(false);
    for (const t of [x, w, c]) t.dispose();
  });

  it('rejects float32 and non-cpu-float64 checked inputs with a DTypeError', () => {
    const x = tensor([0.5, 1.5], { dtype: 'float32', requiresGrad: true });
    expect(() => gradcheck((x) => exp(x), [x])).toThrow(DTypeError);
    expect(() => gradcheck((x) => exp(x), [x])).toThrow(/input 0 \[2\] is float32; checked inputs must be float64/);
    expect(() => gradgradcheck((x) => exp(x), [x])).toThrow(DTypeError);
    const i = tensor([1, 2], { dtype: 'int32' });
    expect(() => gradcheck((i) => i.cast('float64'), [i])).toThrow(ValueError);
    expect(() => gradcheck((i) => i.cast('float64'), [i])).toThrow(/no input to check/);
    x.dispose();
    i.dispose();
  });

  it('NaN or Inf in an input, in the output, or in a gradient is a GradcheckError naming where', () => {
    const before = memory().tensors;
    const x = f64(
      [
        [0.5, 1],
        [NaN, 2],
      ],
      true,
    );
    expect(() => gradcheck((x) => exp(x), [x])).toThrow(GradcheckError);
    expect(() => gradcheck((x) => exp(x), [x])).toThrow(/input 0 \[2, 2\] is not finite at element \[1, 0\] \(NaN\)/);
    const y = f64([0.5, Infinity], true);
    expect(() => gradgradcheck((y) => exp(y), [y])).toThrow(/input 0 \[2\] is not finite at element \[1\] \(Infinity\)/);
    const z = f64([1, 800], true);
    expect(() => gradcheck((z) => exp(z), [z])).toThrow(/output 0 of f \[2\] is not finite at element \[1\] \(Infinity\)/);
    expect(() => gradcheck((z) => [z.mul(2), exp(z)], [z])).toThrow(/output 1 of f/);
    const w = f64([1, 2], true);
    expect(() => gradcheck((w) => apply(infGrad, [w], undefined), [w])).toThrow(/analytic gradient of input 0 \[2\] is not finite at element \[0\]/);
    for (const t of [x, y, z, w]) t.dispose();
    expect(memory().tensors).toBe(before);
  });

  it('a non-finite output at a perturbed point is a GradcheckError naming the input element', () => {
    // exp(x) overflows float64 just above 709.78; x + eps crosses it
    const x = f64([0.5, 709.7827128933835], true);
    expect(() => gradcheck((x) => exp(x), [x])).toThrow(
      /output 0 of f is not finite at element \[1\] \(Infinity\) when input 0 element \[1\] is perturbed by \+eps/,
    );
    x.dispose();
  });

  it('rejects bad arguments', () => {
    const x = f64([1], true);
    expect(() => gradcheck((x) => exp(x), [x, 3 as unknown as Tensor])).toThrow(/gradcheck: input 1 must be a Tensor, got number/);
    expect(() => gradcheck(((_x: Tensor) => 3) as unknown as (x: Tensor) => Tensor, [x])).toThrow(/f must return a Tensor or an array of Tensors, got number/);
    expect(() => gradcheck((x) => exp(x), [x], { eps: 0 })).toThrow(/eps must be a finite positive number/);
    expect(() => gradcheck((x) => exp(x), [x], { atol: -1 })).toThrow(ValueError);
    x.dispose();
    expect(() => gradcheck((x) => exp(x), [x])).toThrow(/disposed/);
  });

  it('handles empty and zero-dimensional inputs', () => {
    const e = tensor([], { dtype: 'float64', requiresGrad: true });
    const s = tensor(0.3, { dtype: 'float64', requiresGrad: true });
    const r = gradcheck((e, s) => [e.mul(2), exp(s)], [e, s]);
    expect(r.ok).toBe(true);
    expect(r.report).toContain('1 element(s) of input 0, input 1 checked');
    e.dispose();
    s.dispose();
  });

  it('outputs that do not depend on an input give zero gradients (checked against zero differences)', () => {
    const x = f64([1, 2], true);
    const y = f64([3], true);
    expect(gradcheck((x, _y) => exp(x), [x, y]).ok).toBe(true);
    expect(gradgradcheck((x, _y) => exp(x), [x, y]).ok).toBe(true);
    expect(gradgradcheck((x, y) => x.mul(2).mul(y), [x, y]).ok).toBe(true);
    x.dispose();
    y.dispose();
  });
});

describe('gradcheck edge cases', () => {
  it('identity functions, non-float outputs (ignored), the same tensor passed twice', () => {
    const x = f64([1, 2], true);
    expect(gradcheck((x) => x, [x]).ok).toBe(true);
    expect(gradgradcheck((x) => x, [x]).ok).toBe(true);
    expect(gradcheck((x) => [x.gt(1), x.mul(3)], [x]).ok).toBe(true);
    expect(gradgradcheck((x) => [x.gt(1), x.mul(x)], [x]).ok).toBe(true);
    expect(gradcheck((x, y) => x.mul(y), [x, x]).ok).toBe(true);
    x.dispose();
  });

  it('an exception thrown by f propagates and leaves no tensor behind', () => {
    const before = memory().tensors;
    const x = f64([1, 2], true);
    expect(() =>
      gradcheck(
        (x) => {
          x.mul(2);
          throw new Error('boom');
        },
        [x],
      ),
    ).toThrow('boom');
    x.dispose();
    expect(memory().tensors).toBe(before);
  });
});

describe('gradgradcheck', () => {
  it('passes on correct ops and leaves memory untouched', () => {
    const before = memory().tensors;
    const x = f64(
      [
        [0.5, -1.25, 2],
        [0.1, 0.3, -0.7],
      ],
      true,
    );
    const b = f64([[2], [-3]], true);
    const r = gradgradcheck((x, b) => exp(x.mul(b)).mul(x), [x, b]);
    expect(r.ok).toBe(true);
    expect(r.report).toMatch(/^gradgradcheck passed: 14 element\(s\) of input 0, input 1, cotangent of output 0 checked/);
    expect(gradgradcheck((x) => [x.mul(x).sum(), exp(x)], [x]).ok).toBe(true);
    x.dispose();
    b.dispose();
    expect(memory().tensors).toBe(before);
  });

  it('FAILS when a VJP is right in value but not differentiable correctly', () => {
    const before = memory().tensors;
    const x = f64([0.5, -1.5], true);
    const f = (x: Tensor) => apply(squareDetachedVjp, [x], undefined);
    expect(gradcheck(f, [x]).ok).toBe(true);
    const r = gradgradcheck(f, [x]);
    expect(r.ok).toBe(false);
    // d/dx of v * 2x is 2v; the detached VJP gives 0
    const bad = r.mismatches.filter((m) => m.input === 0);
    expect(bad).toHaveLength(2);
    for (const m of bad) expect(m.analytic).toBe(0);
    expect(r.report).toMatch(/input 0 element \[0\]: analytic 0, numeric/);
    expect(() => gradgradcheck(f, [x], { throwOnFailure: true })).toThrow(GradcheckError);
    x.dispose();
    expect(memory().tensors).toBe(before);
  });

  it('does not replace gradcheck: a wrong first derivative is differentiated consistently', () => {
    // as in PyTorch, gradgradcheck checks the VJP's own derivative; a wrong VJP (g x for x^2) is a
    // consistent function of (x, v), so only gradcheck catches it
    const x = f64([0.5, -1.5], true);
    expect(gradgradcheck((x) => apply(badSquare, [x], undefined), [x]).ok).toBe(true);
    expect(gradcheck((x) => apply(badSquare, [x], undefined), [x]).ok).toBe(false);
    x.dispose();
  });
});

describe('testing arbitraries', () => {
  it('shapes: rank and size bounds, size-1 dims appear', () => {
    const seen = { one: false, scalar: false, rank4: false };
    fc.assert(
      fc.property(shapes({ maxSize: 24 }), (s) => {
        expect(s.length).toBeLessThanOrEqual(4);
        expect(s.reduce((p, d) => p * d, 1)).toBeLessThanOrEqual(24);
        for (const d of s) expect(d >= 1 && d <= 5).toBe(true);
        if (s.includes(1)) seen.one = true;
        if (s.length === 0) seen.scalar = true;
        if (s.length === 4) seen.rank4 = true;
      }),
      { numRuns: 300 },
    );
    expect(seen).toEqual({ one: true, scalar: true, rank4: true });
    fc.assert(fc.property(shapes({ minRank: 2, maxRank: 2, maxDim: 8, maxSize: 1000 }), (s) => s.length === 2 && s.every((d) => d <= 8)));
  });

  it('broadcast pairs and triples broadcast, with missing leading dims and size-1 dims', () => {
    let missing = false;
    let stretched = false;
    fc.assert(
      fc.property(broadcastPair(), ([a, b]) => {
        const out = broadcastShapesOf('t', a, b);
        expect(out.reduce((p, d) => p * d, 1)).toBeLessThanOrEqual(24);
        if (a.length !== b.length) missing = true;
        if (a.some((d, i) => d === 1 && out[out.length - a.length + i] !== 1)) stretched = true;
      }),
      { numRuns: 300 },
    );
    expect(missing && stretched).toBe(true);
    fc.assert(fc.property(broadcastTriple(), ([a, b, c]) => Array.isArray(broadcastShapesOf('t', a, b, c))));
    fc.assert(fc.property(broadcastShapes(4), (ss) => ss.length === 4 && Array.isArray(broadcastShapesOf('t', ...ss))));
  });

  it('values: inside [min, max], a margin away from kinks, with tiny and large magnitudes', () => {
    const kinds = { tiny: false, large: false, nearKink: false };
    fc.assert(
      fc.property(floatValue({ min: -1000, max: 1000, kinks: [0, 2], large: 1e3 }), (v) => {
        expect(v >= -1000 && v <= 1000).toBe(true);
        expect(Math.abs(v)).toBeGreaterThanOrEqual(1e-3);
        expect(Math.abs(v - 2)).toBeGreaterThanOrEqual(1e-3);
        if (Math.abs(v) >= 100) kinds.large = true;
        if (Math.abs(v - 2) < 0.03 || Math.abs(v) < 0.03) kinds.nearKink = true;
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(floatValue(), (v) => {
        expect(v >= -2 && v <= 2).toBe(true);
        if (v !== 0 && Math.abs(v) < 1e-6) kinds.tiny = true;
      }),
      { numRuns: 500 },
    );
    expect(kinds).toEqual({ tiny: true, large: true, nearKink: true });
    // positive domains stay positive
    fc.assert(fc.property(floatValue({ min: 0.1, max: 4 }), (v) => v >= 0.1 && v <= 4));
  });

  it('grids give exact ties or a gap; offset grids never tie; ties repeat values', () => {
    fc.assert(
      fc.property(floatValues(6, { grid: { step: 0.5 } }), floatValues(6, { grid: { step: 0.5, offset: 0.25 } }), (a, b) => {
        for (const x of a) for (const y of b) expect(Math.abs(x - y)).toBeGreaterThanOrEqual(0.25 - 1e-12);
        for (const x of a) for (const y of a) expect(x === y || Math.abs(x - y) >= 0.5 - 1e-12).toBe(true);
      }),
    );
    let tied = false;
    fc.assert(
      fc.property(floatValues(6, { ties: true }), (a) => void (new Set(a).size < a.length && (tied = true))),
      { numRuns: 100 },
    );
    expect(tied).toBe(true);
  });

  it('specs become float64 tensors that require grad; bool specs do not', () => {
    const [s] = fc.sample(tensorSpec({}, { minRank: 2 }), { numRuns: 1, seed: 3 });
    const t = toTensor(s!);
    expect(t.dtype).toBe('float64');
    expect(t.requiresGrad).toBe(true);
    expect(t.shape).toEqual(s!.shape);
    expect(Array.from(t.dataSync())).toEqual(s!.values);
    const [b] = fc.sample(boolSpec([2, 3]), { numRuns: 1 });
    const tb = toTensor(b!);
    expect(tb.dtype).toBe('bool');
    expect(tb.requiresGrad).toBe(false);
    t.dispose();
    tb.dispose();
  });

  it('propertyGradcheck passes on correct ops and throws naming the op on a wrong VJP', () => {
    propertyGradcheck('exp', unaryInputs(), (x) => exp(x), { numRuns: 20 });
    propertyGradcheck('mul', binaryInputs(), (a, b) => mul(a, b), { numRuns: 20 });
    propertyGradcheck('scaled', fc.record({ inputs: unaryInputs(), params: fc.integer({ min: -3, max: 3 }) }), ([x], k) => x!.mul(k), { numRuns: 10 });
    expect(() =>
      propertyGradcheck('badSquare', unaryInputs({ min: 0.5, max: 2 }, { minRank: 1 }), (x) => apply(badSquare, [x], undefined), { numRuns: 5 }),
    ).toThrow(/badSquare: gradcheck failed on input 0: \[.*\] float64[\s\S]*gradcheck FAILED[\s\S]*analytic/);
    expect(() =>
      propertyGradcheck('detached', unaryInputs({ min: 0.5, max: 2 }, { minRank: 1 }), (x) => apply(squareDetachedVjp, [x], undefined), { numRuns: 5 }),
    ).toThrow(/detached: gradgradcheck failed/);
  });

  it('propertyGradcheck reports an op that leaks tensors', () => {
    const leaked: Tensor[] = [];
    expect(() =>
      propertyGradcheck(
        'leaky',
        unaryInputs(),
        (x) => {
          leaked.push(tensor([1]));
          return exp(x);
        },
        { numRuns: 2, gradgrad: false },
      ),
    ).toThrow(/leaky: \d+ tensor\(s\) left alive/);
    for (const t of leaked) t.dispose();
  });
});
