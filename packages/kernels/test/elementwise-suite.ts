/**
 * Elementwise kernels against the CPU reference backend (the WebGPU shaders unary.wgsl, binary.wgsl,
 * compare.wgsl, fill.wgsl; the wasm device's generated kernels), on shapes and broadcasting patterns fast-check generates.
 *
 * Tolerances (float32 on the GPU vs float64-computed, float32-stored on the CPU):
 * - exact (0): neg, abs, sign, relu, floor, ceil, round, clamp, add, sub, mul, maximum,
 *   minimum, compare, where, cast, fill, int32 arithmetic
 * - leakyRelu: rtol 1e-6 (the slope is rounded to float32 before the product on the GPU)
 * - div, reciprocal, sqrt, rsqrt: atol 1e-6, rtol 1e-6 (WGSL allows 2.5 ulp for division, 1/sqrt)
 * - exp, log, log1p, expm1, tanh, sigmoid, softplus, pow, atan2: atol 1e-6, rtol 2e-5 (WGSL's
 *   exp/log are accurate to 3 + 2|x| ulp; our log1p/expm1 add a few ulp)
 * - sin, cos: atol 2e-6 on inputs in [-pi, pi] (WGSL promises absolute error 2^-11 there; lavapipe
 *   does far better, and the test holds it to that)
 */
import { it } from 'vitest';
import fc from 'fast-check';
import { BINARY_OPS, COMPARE_OPS, UNARY_OPS, broadcastShapes, type DType, type UnaryOp, type UnaryParams } from '@pixgrad/core';
import type { Backend } from '@pixgrad/core';
import { EXACT, UNARY_TOL, both, check, cpu, data, type Tol } from './harness.js';

const RUNS = 12;

/** A shape of rank 0..4 with dims 1..7 (odd sizes and size-1 dims included). */
const shapeArb = fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 0, maxLength: 4 });
/** Two shapes that broadcast together: b drops leading dims and sets some dims to 1. */
const broadcastPair = shapeArb.chain((s) =>
  fc
    .tuple(fc.constant(s), fc.integer({ min: 0, max: s.length }), fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length }), fc.boolean())
    .map(([a, drop, ones, swap]) => {
      const b = a.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d));
      return swap ? [b, a] : [a, b];
    }),
);
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

const SPECIALS = [0, -0, 0.5, -0.5, 1.5, 2.5, -2.5, Infinity, -Infinity, NaN, 1e-30, 88, -88];
/** Input ranges: trig on [-pi, pi]; logs on positive numbers (plus specials); the rest wide. */
function unaryInput(op: UnaryOp, n: number, seed: number) {
  if (op === 'sin' || op === 'cos') return data('float32', n, seed, { lo: -Math.PI, hi: Math.PI });
  if (op === 'log' || op === 'sqrt' || op === 'rsqrt') return data('float32', n, seed, { lo: 1e-3, hi: 50, specials: [0, Infinity, NaN, -1] });
  if (op === 'log1p') return data('float32', n, seed, { lo: -0.99, hi: 20, specials: [0, 1e-7, -1, NaN, Infinity] });
  return data('float32', n, seed, { lo: -30, hi: 30, specials: SPECIALS });
}
const PARAMS: Partial<Record<UnaryOp, UnaryParams>> = { leakyRelu: { slope: 0.2 }, softplus: { beta: 2, threshold: 10 }, clamp: { min: -1.5, max: 2 } };

/** The elementwise properties for device backend `g` (call inside a describe). */
export function elementwiseSuite<B>(g: Backend<B>): void {
  it.each(UNARY_OPS)('unary %s (float32)', async (op) => {
    await fc.assert(
      fc.asyncProperty(shapeArb, fc.integer(), async (shape, seed) => {
        const x = both(g, unaryInput(op, size(shape), seed), shape, 'float32');
        const p = PARAMS[op] ?? {};
        await check(
          `${op} ${JSON.stringify(shape)}`,
          g,
          { buf: g.unary(op, x.gpu, p), shape, dtype: 'float32' },
          { buf: cpu.unary(op, x.cpu, p), shape, dtype: 'float32' },
          UNARY_TOL[op],
          [x.gpu.buf],
        );
      }),
      { numRuns: 6 },
    );
  });

  it.each(['neg', 'abs', 'sign', 'relu', 'clamp', 'floor', 'round'] as const)('unary %s (int32, exact)', async (op) => {
    const shape = [5, 7];
    const x = both(g, data('int32', 35, 7, { lo: -20, hi: 20 }), shape, 'int32');
    const p = op === 'clamp' ? { min: -3.5, max: 4.2 } : {};
    await check(`int ${op}`, g, { buf: g.unary(op, x.gpu, p), shape, dtype: 'int32' }, { buf: cpu.unary(op, x.cpu, p), shape, dtype: 'int32' }, EXACT, [
      x.gpu.buf,
    ]);
  });

  it('clamp with min > max gives max; without bounds is the identity', async () => {
    const x = both(g, data('float32', 50, 3, { specials: [NaN] }), [50], 'float32');
    for (const p of [{ min: 2, max: -1 }, {}, { min: 0 }, { max: 0 }]) {
      await check(
        `clamp ${JSON.stringify(p)}`,
        g,
        { buf: g.unary('clamp', x.gpu, p), shape: [50], dtype: 'float32' },
        { buf: cpu.unary('clamp', x.cpu, p), shape: [50], dtype: 'float32' },
        EXACT,
      );
    }
    g.dispose(x.gpu.buf);
  });

  it.each(BINARY_OPS)('binary %s with broadcasting (float32)', async (op) => {
    const tol: Tol = op === 'div' ? { atol: 1e-6, rtol: 1e-6 } : op === 'pow' || op === 'atan2' ? { atol: 1e-6, rtol: 2e-5 } : EXACT;
    await fc.assert(
      fc.asyncProperty(broadcastPair, fc.integer(), async ([sa, sb], seed) => {
        const out = broadcastShapes(op, sa, sb);
        const opts = op === 'pow' ? { lo: -4, hi: 4, specials: [0, -0, 1, -1, 2, 3, 0.5, NaN] } : { lo: -5, hi: 5, specials: [0, NaN, Infinity, -Infinity] };
        let va = data('float32', size(sa), seed, opts);
        const vb = data('float32', size(sb), seed + 1, opts);
        if (op === 'pow') va = va.map((v, i) => (i % 3 === 0 ? Math.round(v) : v)) as Float32Array; // integral exponents on negative bases
        const a = both(g, va, sa, 'float32');
        const b = both(g, op === 'pow' ? vb.map((v, i) => (i % 2 ? Math.round(v) : v)) : vb, sb, 'float32');
        await check(
          `${op} ${JSON.stringify(sa)} ${JSON.stringify(sb)}`,
          g,
          { buf: g.binary(op, a.gpu, b.gpu, out), shape: out, dtype: 'float32' },
          { buf: cpu.binary(op, a.cpu, b.cpu, out), shape: out, dtype: 'float32' },
          tol,
          [a.gpu.buf, b.gpu.buf],
        );
      }),
      { numRuns: RUNS },
    );
  });

  it.each(['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'pow'] as const)('binary %s (int32, exact)', async (op) => {
    const [sa, sb] = [
      [3, 1, 5],
      [4, 1],
    ];
    const out = broadcastShapes(op, sa, sb);
    const a = both(g, data('int32', 15, 11, { lo: -9, hi: 9 }), sa, 'int32');
    const b = both(g, op === 'pow' ? data('int32', 4, 12, { lo: 0, hi: 6 }) : data('int32', 4, 12, { lo: -9, hi: 9 }), sb, 'int32');
    await check(
      `int ${op}`,
      g,
      { buf: g.binary(op, a.gpu, b.gpu, out), shape: out, dtype: 'int32' },
      { buf: cpu.binary(op, a.cpu, b.cpu, out), shape: out, dtype: 'int32' },
      EXACT,
      [a.gpu.buf, b.gpu.buf],
    );
  });

  it('binary over a large tensor spanning a 2-D dispatch grid', async () => {
    const n = 65535 * 256 + 1000; // more workgroups than one dispatch dimension holds
    const a = both(g, data('float32', n, 5), [n], 'float32');
    const b = both(g, data('float32', 1, 6), [1], 'float32');
    await check(
      'add large',
      g,
      { buf: g.binary('add', a.gpu, b.gpu, [n]), shape: [n], dtype: 'float32' },
      { buf: cpu.binary('add', a.cpu, b.cpu, [n]), shape: [n], dtype: 'float32' },
      EXACT,
      [a.gpu.buf, b.gpu.buf],
    );
  });

  it.each(COMPARE_OPS)('compare %s with broadcasting', async (op) => {
    await fc.assert(
      fc.asyncProperty(broadcastPair, fc.integer(), fc.constantFrom<DType>('float32', 'int32'), async ([sa, sb], seed, dtype) => {
        const out = broadcastShapes(op, sa, sb);
        const a = both(g, data(dtype, size(sa), seed, { lo: -2, hi: 2, specials: [NaN] }), sa, dtype);
        const b = both(g, data(dtype, size(sb), seed + 1, { lo: -2, hi: 2, specials: [NaN] }), sb, dtype);
        await check(
          `${op}`,
          g,
          { buf: g.compare(op, a.gpu, b.gpu, out), shape: out, dtype: 'bool' },
          { buf: cpu.compare(op, a.cpu, b.cpu, out), shape: out, dtype: 'bool' },
          EXACT,
          [a.gpu.buf, b.gpu.buf],
        );
      }),
      { numRuns: 6 },
    );
  });

  it('where with three-way broadcasting', async () => {
    await fc.assert(
      fc.asyncProperty(broadcastPair, fc.integer(), fc.constantFrom<DType>('float32', 'int32', 'bool'), async ([sa, sb], seed, dtype) => {
        const sc = sb.map((d, i) => (i % 2 ? 1 : d));
        const out = broadcastShapes('where', sa, sb, sc);
        const c = both(g, data('bool', size(sc), seed), sc, 'bool');
        const a = both(g, data(dtype, size(sa), seed + 1), sa, dtype);
        const b = both(g, data(dtype, size(sb), seed + 2), sb, dtype);
        await check(
          'where',
          g,
          { buf: g.where(c.gpu, a.gpu, b.gpu, out), shape: out, dtype },
          { buf: cpu.where(c.cpu, a.cpu, b.cpu, out), shape: out, dtype },
          EXACT,
          [a.gpu.buf, b.gpu.buf, c.gpu.buf],
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('cast between float32, int32 and bool (float to int truncates)', async () => {
    const dts: DType[] = ['float32', 'int32', 'bool'];
    for (const from of dts) {
      for (const to of dts) {
        const x = both(g, data(from, 101, 9, { lo: -50, hi: 50, specials: [0, -0, 0.5, -0.5, -2.7, 2.7, NaN] }), [101], from);
        await check(
          `cast ${from}->${to}`,
          g,
          { buf: g.cast(x.gpu, to), shape: [101], dtype: to },
          { buf: cpu.cast(x.cpu, to), shape: [101], dtype: to },
          EXACT,
          [x.gpu.buf],
        );
      }
    }
  });

  it('fill and upload/read round trips for every dtype', async () => {
    for (const [dtype, value] of [
      ['float32', -1.25],
      ['float32', NaN],
      ['float32', -Infinity],
      ['int32', -7],
      ['bool', 1],
    ] as const) {
      await check(
        `fill ${dtype} ${value}`,
        g,
        { buf: g.fill(77, value, dtype), shape: [77], dtype },
        { buf: cpu.fill(77, value, dtype), shape: [77], dtype },
        EXACT,
      );
      const v = data(dtype, 33, 4);
      const up = g.upload(v, dtype);
      await check(`upload ${dtype}`, g, { buf: up, shape: [33], dtype }, { buf: cpu.upload(v, dtype), shape: [33], dtype }, EXACT);
    }
  });
}
