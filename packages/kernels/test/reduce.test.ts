/**
 * Reductions (shaders/reduce.wgsl, argreduce.wgsl) against the CPU reference backend.
 *
 * Tolerances: max, min, argmax, argmin, int32 sums are exact. float32 sum: atol 1e-5 + rtol 1e-5
 * (the CPU sums in float64 and rounds once; the GPU sums in float32 with Kahan compensation and a
 * pairwise tree, so the two agree to a few ulp of the magnitudes involved). prod: rtol 1e-5.
 */
import { describe, it } from 'vitest';
import fc from 'fast-check';
import { REDUCE_OPS, type DType } from '@pixgrad/core';
import { EXACT, both, check, cpu, data, expectClose, openGpu, type Tol } from './harness.js';

const gpu = await openGpu();
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

const shapeArb = fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 5 });
const caseArb = shapeArb.chain((s) =>
  fc.tuple(
    fc.constant(s),
    fc.subarray(
      s.map((_, i) => i),
      { minLength: 1 },
    ),
    fc.integer(),
  ),
);

describe.skipIf(!gpu)('webgpu reductions vs cpu', () => {
  const g = gpu!;

  it.each(REDUCE_OPS)('reduce %s over random axis sets (float32)', async (op) => {
    const tol: Tol = op === 'sum' ? { atol: 1e-5, rtol: 1e-5 } : op === 'prod' ? { atol: 1e-6, rtol: 1e-5 } : EXACT;
    await fc.assert(
      fc.asyncProperty(caseArb, async ([shape, axes, seed]) => {
        const lohi = op === 'prod' ? { lo: 0.5, hi: 1.5 } : { lo: -3, hi: 3 };
        const x = both(g, data('float32', size(shape), seed, lohi), shape, 'float32');
        const out = shape.map((d, i) => (axes.includes(i) ? 1 : d));
        await check(
          `${op} ${JSON.stringify(shape)} axes ${axes}`,
          g,
          { buf: g.reduce(op, x.gpu, axes), shape: out, dtype: 'float32' },
          { buf: cpu.reduce(op, x.cpu, axes), shape: out, dtype: 'float32' },
          tol,
          [x.gpu.buf],
        );
      }),
      { numRuns: 10 },
    );
  });

  it('reduce int32 and bool tensors exactly', async () => {
    for (const dtype of ['int32', 'bool'] as DType[]) {
      for (const op of dtype === 'bool' ? (['max', 'min'] as const) : REDUCE_OPS) {
        const shape = [4, 5, 3];
        const x = both(g, data(dtype, 60, 3, { lo: -3, hi: 4 }), shape, dtype);
        await check(
          `${op} ${dtype}`,
          g,
          { buf: g.reduce(op, x.gpu, [0, 2]), shape: [1, 5, 1], dtype },
          { buf: cpu.reduce(op, x.cpu, [0, 2]), shape: [1, 5, 1], dtype },
          EXACT,
          [x.gpu.buf],
        );
      }
    }
  });

  it('max/min propagate NaN; sums of infinities stay infinite', async () => {
    const v = Float32Array.from({ length: 40 }, (_, i) => i);
    v[13] = NaN;
    v[27] = Infinity;
    const x = both(g, v, [4, 10], 'float32');
    for (const op of REDUCE_OPS) {
      for (const axes of [[0], [1], [0, 1]]) {
        const out = axes.length === 2 ? [1, 1] : axes[0] === 0 ? [1, 10] : [4, 1];
        await check(
          `${op} NaN ${axes}`,
          g,
          { buf: g.reduce(op, x.gpu, axes), shape: out, dtype: 'float32' },
          { buf: cpu.reduce(op, x.cpu, axes), shape: out, dtype: 'float32' },
          { atol: 1e-5, rtol: 1e-6 },
        );
      }
    }
    g.dispose(x.gpu.buf);
  });

  it('large sums use the tree/two-pass path and stay accurate', async () => {
    // 2^20 values around 1: a naive float32 running sum would drift by ~1e-3 relative
    const n = 1 << 20;
    const vals = data('float32', n, 77, { lo: 0.9, hi: 1.1 });
    for (const shape of [[n], [4, n / 4], [n / 8, 8]]) {
      const x = both(g, vals, shape, 'float32');
      for (const axes of shape.length === 1 ? [[0]] : [[0], [1], [0, 1]]) {
        const out = shape.map((d, i) => (axes.includes(i) ? 1 : d));
        await check(
          `sum ${shape} ${axes}`,
          g,
          { buf: g.reduce('sum', x.gpu, axes), shape: out, dtype: 'float32' },
          { buf: cpu.reduce('sum', x.cpu, axes), shape: out, dtype: 'float32' },
          { atol: 0, rtol: 2e-6 },
        );
        await check(
          `max ${shape} ${axes}`,
          g,
          { buf: g.reduce('max', x.gpu, axes), shape: out, dtype: 'float32' },
          { buf: cpu.reduce('max', x.cpu, axes), shape: out, dtype: 'float32' },
          EXACT,
        );
      }
      g.dispose(x.gpu.buf);
    }
  });

  it.each(['argmax', 'argmin'] as const)('%s along each axis, ties to the first index, NaN wins', async (op) => {
    await fc.assert(
      fc.asyncProperty(shapeArb, fc.nat(), fc.integer(), async (shape, ax, seed) => {
        const axis = ax % shape.length;
        // few distinct values so ties are common
        const v = Float32Array.from(data('int32', size(shape), seed, { lo: -2, hi: 3 }));
        if (seed % 3 === 0 && v.length > 2) v[seed % v.length] = NaN;
        const x = both(g, v, shape, 'float32');
        const out = shape.map((d, i) => (i === axis ? 1 : d));
        await check(
          `${op} ${shape} axis ${axis}`,
          g,
          { buf: g.argReduce(op, x.gpu, axis), shape: out, dtype: 'int32' },
          { buf: cpu.argReduce(op, x.cpu, axis), shape: out, dtype: 'int32' },
          EXACT,
          [x.gpu.buf],
        );
      }),
      { numRuns: 12 },
    );
  });

  it('argmax over int32', async () => {
    const x = both(g, data('int32', 60, 5, { lo: -3, hi: 3 }), [6, 10], 'int32');
    const got = await g.read({ buf: g.argReduce('argmax', x.gpu, 1), shape: [6, 1], dtype: 'int32' });
    expectClose('argmax int32', got, await cpu.read({ buf: cpu.argReduce('argmax', x.cpu, 1), shape: [6, 1], dtype: 'int32' }), EXACT);
  });
});
