/**
 * CPU backend maxPool2d called directly, against a naive window loop written from PyTorch's
 * definition (padding is -inf and never wins, the first maximum wins ties, a NaN wins and the last
 * NaN's index is kept, as PyTorch's CPU kernel), on fast-check generated geometries in floor and
 * ceil mode, plus hand-computed cases.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Pool2dParams } from '../src/backend.js';
import type { DType } from '../src/dtype.js';
import { cpu, ints, rng, view } from './cpu-helpers.js';

/** PyTorch's pooling_output_shape, including its ceil-mode rule that the last window starts inside the input or the left padding */
function outSize(n: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const span = n + 2 * p - d * (k - 1) - 1;
  let out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (out - 1) * s >= n + p) out--;
  return out;
}

/** every tap of every window, padded taps skipped (they are -inf, and -inf never replaces anything) */
function refPool(x: number[], N: number, C: number, H: number, W: number, p: Pool2dParams, Ho: number, Wo: number) {
  const values: number[] = [],
    indices: number[] = [];
  for (let pl = 0; pl < N * C; pl++)
    for (let oy = 0; oy < Ho; oy++)
      for (let ox = 0; ox < Wo; ox++) {
        let best = -Infinity,
          at = -1;
        for (let i = 0; i < p.kernel[0]; i++)
          for (let j = 0; j < p.kernel[1]; j++) {
            const iy = oy * p.stride[0] - p.padding[0] + i * p.dilation[0];
            const ix = ox * p.stride[1] - p.padding[1] + j * p.dilation[1];
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
            const v = x[pl * H * W + iy * W + ix]!;
            // the first in-plane tap starts the window (as PyTorch's maxindex = ih0 * W + iw0)
            if (at < 0 || v > best || Number.isNaN(v)) {
              best = v;
              at = iy * W + ix;
            }
          }
        if (at < 0) {
          // no tap inside the plane (possible with dilation): -inf, and the index of the window's
          // first tap at or after 0 on each axis, clamped into the plane (the backend's documented choice)
          const first = (start: number, d: number) => (start < 0 ? start + Math.ceil(-start / d) * d : start);
          const fy = Math.min(first(oy * p.stride[0] - p.padding[0], p.dilation[0]), H - 1);
          const fx = Math.min(first(ox * p.stride[1] - p.padding[1], p.dilation[1]), W - 1);
          at = fy * W + fx;
        }
        values.push(best);
        indices.push(at);
      }
  return { values, indices };
}

const poolCase = fc
  .record({
    N: fc.integer({ min: 1, max: 2 }),
    C: fc.integer({ min: 1, max: 3 }),
    H: fc.integer({ min: 1, max: 9 }),
    W: fc.integer({ min: 1, max: 9 }),
    kh: fc.integer({ min: 1, max: 4 }),
    kw: fc.integer({ min: 1, max: 4 }),
    sh: fc.integer({ min: 1, max: 4 }),
    sw: fc.integer({ min: 1, max: 4 }),
    ph: fc.nat(2),
    pw: fc.nat(2),
    dh: fc.integer({ min: 1, max: 3 }),
    dw: fc.integer({ min: 1, max: 3 }),
    ceilMode: fc.boolean(),
    nanRate: fc.constantFrom(0, 0, 0.1),
    seed: fc.nat(),
    dtype: fc.constantFrom<DType>('float32', 'float64'),
  })
  .map((r) => {
    // PyTorch allows padding up to half the kernel
    const p: Pool2dParams = {
      kernel: [r.kh, r.kw],
      stride: [r.sh, r.sw],
      dilation: [r.dh, r.dw],
      ceilMode: r.ceilMode,
      padding: [Math.min(r.ph, Math.floor(r.kh / 2)), Math.min(r.pw, Math.floor(r.kw / 2))],
    };
    const Ho = outSize(r.H, r.kh, r.sh, p.padding[0], r.dh, r.ceilMode);
    const Wo = outSize(r.W, r.kw, r.sw, p.padding[1], r.dw, r.ceilMode);
    return { ...r, p, Ho, Wo };
  })
  .filter((c) => c.Ho >= 1 && c.Wo >= 1);

describe('cpu maxPool2d', () => {
  it('matches the window loop on generated geometries (floor and ceil mode, ties, NaN, negative values)', () => {
    fc.assert(
      fc.property(poolCase, (c) => {
        const next = rng(c.seed + 3);
        // values in [-3, -1] (so a padded 0 would be visible if it ever won) and many ties
        const x = ints(c.N * c.C * c.H * c.W, c.seed, 1).map((v) => (next() < c.nanRate ? NaN : v - 2));
        const ref = refPool(x, c.N, c.C, c.H, c.W, c.p, c.Ho, c.Wo);
        const { values, indices } = cpu.maxPool2d(view(x, [c.N, c.C, c.H, c.W], c.dtype), c.p, [c.Ho, c.Wo]);
        expect(Array.from(values)).toEqual(ref.values);
        expect(Array.from(indices as Int32Array)).toEqual(ref.indices);
      }),
      { numRuns: 100 },
    );
  });

  it('hand-computed: 2x2 windows, stride 2, ties go to the first maximum', () => {
    const x = view([1, 5, 5, 2, 3, 4, 0, 5, 7, 7, 1, 1, 7, 7, 1, 1], [1, 1, 4, 4]);
    const p: Pool2dParams = { kernel: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], ceilMode: false };
    const { values, indices } = cpu.maxPool2d(x, p, [2, 2]);
    expect(Array.from(values)).toEqual([5, 5, 7, 1]);
    expect(Array.from(indices as Int32Array)).toEqual([1, 2, 8, 10]);
  });

  it('hand-computed: padding never wins, even over all-negative and -inf inputs', () => {
    const p: Pool2dParams = { kernel: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1], ceilMode: false };
    const { values, indices } = cpu.maxPool2d(view([-5, -6, -7, -8], [1, 1, 2, 2]), p, [2, 2]);
    expect(Array.from(values)).toEqual([-5, -5, -5, -5]);
    expect(Array.from(indices as Int32Array)).toEqual([0, 0, 0, 0]);
    // every tap -inf: the value is -inf and the index the window's first tap inside the plane
    const inf = cpu.maxPool2d(view([-Infinity, -Infinity, -Infinity, -Infinity], [1, 1, 2, 2]), p, [2, 2]);
    expect(Array.from(inf.values)).toEqual([-Infinity, -Infinity, -Infinity, -Infinity]);
    expect(Array.from(inf.indices as Int32Array)).toEqual([0, 0, 0, 0]);
  });

  it('hand-computed: NaN propagates to the value and its index', () => {
    const p: Pool2dParams = { kernel: [1, 3], stride: [1, 3], padding: [0, 0], dilation: [1, 1], ceilMode: false };
    const { values, indices } = cpu.maxPool2d(view([1, NaN, 9, 4, 5, 6], [1, 1, 1, 6]), p, [1, 2]);
    expect(Array.from(values)).toEqual([NaN, 6]);
    expect(Array.from(indices as Int32Array)).toEqual([1, 5]);
  });

  it('hand-computed: ceil mode, a window that hangs over the edge keeps its in-plane taps', () => {
    // H = W = 5, k = 2, s = 2: floor gives 2, ceil gives 3 and the last window covers column 4 only
    expect(outSize(5, 2, 2, 0, 1, true)).toBe(3);
    // PyTorch's rule: with k = 2, s = 3, p = 1 on 5 a third window would start at 5 = n + p: dropped
    expect(outSize(5, 2, 3, 1, 1, true)).toBe(2);
    const x = view(
      Array.from({ length: 25 }, (_, i) => i),
      [1, 1, 5, 5],
    );
    const p: Pool2dParams = { kernel: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], ceilMode: true };
    const { values, indices } = cpu.maxPool2d(x, p, [3, 3]);
    expect(Array.from(values)).toEqual([6, 8, 9, 16, 18, 19, 21, 23, 24]);
    expect(Array.from(indices as Int32Array)).toEqual([6, 8, 9, 16, 18, 19, 21, 23, 24]);
  });

  it('hand-computed: dilation 2 reads every other pixel', () => {
    const x = view([9, 0, 1, 0, 0, 0, 2, 0, 3], [1, 1, 3, 3]);
    const p: Pool2dParams = { kernel: [2, 2], stride: [1, 1], padding: [0, 0], dilation: [2, 2], ceilMode: false };
    const { values, indices } = cpu.maxPool2d(x, p, [1, 1]);
    expect(Array.from(values)).toEqual([9]);
    expect(Array.from(indices as Int32Array)).toEqual([0]);
  });
});

describe('cpu backend memory accounting', () => {
  it('counts both maxPool2d buffers and every kernel result until disposed', () => {
    const before = cpu.memory().buffers,
      bytesBefore = cpu.memory().bytes;
    const x = view([1, 2, 3, 4], [1, 1, 2, 2]);
    const p: Pool2dParams = { kernel: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], ceilMode: false };
    const { values, indices } = cpu.maxPool2d(x, p, [1, 1]);
    const w = view([1], [1, 1, 1, 1]);
    const y = cpu.conv2d(x, w, { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 });
    expect(cpu.memory().buffers).toBe(before + 5);
    for (const b of [x.buf, values, indices, w.buf, y]) cpu.dispose(b);
    expect(cpu.memory().buffers).toBe(before);
    expect(cpu.memory().bytes).toBe(bytesBefore);
  });
});
