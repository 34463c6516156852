/**
 * matmul, conv2d (+ input and weight gradients) and maxPool2d (shaders/matmul.wgsl, conv2d*.wgsl,
 * maxpool.wgsl) against the CPU reference backend: the
 * suite is shared by every device (the WebGPU kernels here, the wasm device in packages/wasm).
 *
 * Tolerances: the CPU accumulates in float64, the GPU in float32 with register tiles, so
 * |gpu - cpu| <= 1e-5 * sqrt(K) * max|term| scaled: we use atol 2e-5 * sqrt(K) + rtol 1e-5 with
 * inputs in [-1, 1] (K = length of each dot product). maxPool2d values and indices are exact.
 */
import { it } from 'vitest';
import fc from 'fast-check';
import type { Backend, Conv2dParams, Pool2dParams } from '@pixgrad/core';
import { EXACT, both, check, cpu, data, type Tol } from './harness.js';

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const tolK = (k: number): Tol => ({ atol: 2e-5 * Math.sqrt(Math.max(k, 1)), rtol: 1e-5 });
const U = { lo: -1, hi: 1 };

/** The matmul, conv2d (and gradients) and maxPool2d properties, for device `g` (call inside a describe). */
export function linalgSuite<B>(g: Backend<B>): void {
  const mmArb = fc.record({
    m: fc.integer({ min: 1, max: 13 }),
    n: fc.integer({ min: 1, max: 13 }),
    k: fc.integer({ min: 1, max: 13 }),
    batchA: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
    ones: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
    dropB: fc.boolean(),
    transA: fc.boolean(),
    transB: fc.boolean(),
    align: fc.boolean(),
    seed: fc.integer(),
  });

  it('matmul: batched with broadcasting, transposed operands, odd and vec4-aligned sizes', async () => {
    await fc.assert(
      fc.asyncProperty(mmArb, async (c) => {
        let { m, n, k } = c;
        if (c.align) [m, n, k] = [m * 4, n * 4, k * 4]; // exercise the vec4 load paths
        const batchB = c.dropB ? c.batchA.slice(1) : c.batchA.map((d, i) => (c.ones[i] ? 1 : d));
        const batchA = c.batchA;
        const aShape = [...batchA, ...(c.transA ? [k, m] : [m, k])];
        const bShape = [...batchB, ...(c.transB ? [n, k] : [k, n])];
        const outBatch = batchA.length >= batchB.length ? batchA.map((d, i) => Math.max(d, batchB[i - (batchA.length - batchB.length)] ?? 1)) : batchB;
        const outShape = [...outBatch, m, n];
        const a = both(g, data('float32', size(aShape), c.seed, U), aShape, 'float32');
        const b = both(g, data('float32', size(bShape), c.seed + 1, U), bShape, 'float32');
        await check(
          `matmul ${aShape}${c.transA ? 'T' : ''} @ ${bShape}${c.transB ? 'T' : ''}`,
          g,
          { buf: g.matmul(a.gpu, b.gpu, c.transA, c.transB, outShape), shape: outShape, dtype: 'float32' },
          { buf: cpu.matmul(a.cpu, b.cpu, c.transA, c.transB, outShape), shape: outShape, dtype: 'float32' },
          tolK(k),
          [a.gpu.buf, b.gpu.buf],
        );
      }),
      { numRuns: 40 },
    );
  });

  it('matmul 256x192x320 (multi-workgroup, all four transpose combinations)', async () => {
    const [m, k, n] = [256, 192, 320];
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      const aShape = ta ? [k, m] : [m, k];
      const bShape = tb ? [n, k] : [k, n];
      const a = both(g, data('float32', m * k, 3, U), aShape, 'float32');
      const b = both(g, data('float32', k * n, 4, U), bShape, 'float32');
      await check(
        `matmul big ${ta} ${tb}`,
        g,
        { buf: g.matmul(a.gpu, b.gpu, ta, tb, [m, n]), shape: [m, n], dtype: 'float32' },
        { buf: cpu.matmul(a.cpu, b.cpu, ta, tb, [m, n]), shape: [m, n], dtype: 'float32' },
        tolK(k),
        [a.gpu.buf, b.gpu.buf],
      );
    }
  });

  const convArb = fc.record({
    n: fc.integer({ min: 1, max: 2 }),
    groups: fc.constantFrom(1, 1, 2, 3),
    cgMul: fc.integer({ min: 1, max: 5 }),
    ogMul: fc.constantFrom(1, 2, 4, 5, 8),
    depthwise: fc.boolean(),
    h: fc.integer({ min: 1, max: 9 }),
    w: fc.integer({ min: 1, max: 9 }),
    kh: fc.integer({ min: 1, max: 4 }),
    kw: fc.integer({ min: 1, max: 4 }),
    sh: fc.integer({ min: 1, max: 3 }),
    sw: fc.integer({ min: 1, max: 3 }),
    ph: fc.integer({ min: 0, max: 5 }),
    pw: fc.integer({ min: 0, max: 5 }),
    dh: fc.integer({ min: 1, max: 2 }),
    dw: fc.integer({ min: 1, max: 2 }),
    seed: fc.integer(),
  });

  type ConvCase = typeof convArb extends fc.Arbitrary<infer T> ? T : never;
  /** A valid conv geometry (output at least 1x1), or undefined. */
  function geometry(c: ConvCase) {
    const groups = c.depthwise ? 3 : c.groups;
    const cg = c.depthwise ? 1 : c.cgMul;
    const og = c.depthwise ? 1 : c.ogMul;
    const C = cg * groups;
    const O = og * groups;
    const ho = Math.floor((c.h + 2 * c.ph - c.dh * (c.kh - 1) - 1) / c.sh) + 1;
    const wo = Math.floor((c.w + 2 * c.pw - c.dw * (c.kw - 1) - 1) / c.sw) + 1;
    if (ho < 1 || wo < 1) return undefined;
    const p: Conv2dParams = { stride: [c.sh, c.sw], padding: [c.ph, c.pw], dilation: [c.dh, c.dw], groups };
    return { p, xShape: [c.n, C, c.h, c.w], wShape: [O, cg, c.kh, c.kw], yShape: [c.n, O, ho, wo], K: cg * c.kh * c.kw };
  }

  it('conv2d forward: stride, padding (also larger than the kernel), dilation, groups, depthwise', async () => {
    await fc.assert(
      fc.asyncProperty(convArb, async (c) => {
        const geo = geometry(c);
        fc.pre(geo !== undefined);
        const { p, xShape, wShape, yShape, K } = geo!;
        const x = both(g, data('float32', size(xShape), c.seed, U), xShape, 'float32');
        const w = both(g, data('float32', size(wShape), c.seed + 1, U), wShape, 'float32');
        await check(
          `conv2d x${xShape} w${wShape} ${JSON.stringify(p)}`,
          g,
          { buf: g.conv2d(x.gpu, w.gpu, p), shape: yShape, dtype: 'float32' },
          { buf: cpu.conv2d(x.cpu, w.cpu, p), shape: yShape, dtype: 'float32' },
          tolK(K),
          [x.gpu.buf, w.gpu.buf],
        );
      }),
      { numRuns: 40 },
    );
  });

  it('conv2d input gradient', async () => {
    await fc.assert(
      fc.asyncProperty(convArb, async (c) => {
        const geo = geometry(c);
        fc.pre(geo !== undefined);
        const { p, xShape, wShape, yShape } = geo!;
        const dy = both(g, data('float32', size(yShape), c.seed, U), yShape, 'float32');
        const w = both(g, data('float32', size(wShape), c.seed + 1, U), wShape, 'float32');
        const hw: [number, number] = [xShape[2]!, xShape[3]!];
        const K = (wShape[0]! / p.groups) * wShape[2]! * wShape[3]!;
        await check(
          `conv2dInputGrad x${xShape} w${wShape} ${JSON.stringify(p)}`,
          g,
          { buf: g.conv2dInputGrad(dy.gpu, w.gpu, p, hw), shape: xShape, dtype: 'float32' },
          { buf: cpu.conv2dInputGrad(dy.cpu, w.cpu, p, hw), shape: xShape, dtype: 'float32' },
          tolK(K),
          [dy.gpu.buf, w.gpu.buf],
        );
      }),
      { numRuns: 40 },
    );
  });

  it('conv2d weight gradient (incl. the split-K path)', async () => {
    await fc.assert(
      fc.asyncProperty(convArb, async (c) => {
        const geo = geometry(c);
        fc.pre(geo !== undefined);
        const { p, xShape, wShape, yShape } = geo!;
        const x = both(g, data('float32', size(xShape), c.seed, U), xShape, 'float32');
        const dy = both(g, data('float32', size(yShape), c.seed + 1, U), yShape, 'float32');
        const khw: [number, number] = [wShape[2]!, wShape[3]!];
        const K = yShape[0]! * yShape[2]! * yShape[3]!;
        await check(
          `conv2dWeightGrad x${xShape} w${wShape} ${JSON.stringify(p)}`,
          g,
          { buf: g.conv2dWeightGrad(x.gpu, dy.gpu, p, khw), shape: wShape, dtype: 'float32' },
          { buf: cpu.conv2dWeightGrad(x.cpu, dy.cpu, p, khw), shape: wShape, dtype: 'float32' },
          tolK(K),
          [x.gpu.buf, dy.gpu.buf],
        );
      }),
      { numRuns: 40 },
    );
  });

  it('conv2d on a 1x8x32x32 image with 16 output channels, all three kernels', async () => {
    const p: Conv2dParams = { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 };
    const x = both(g, data('float32', 8 * 32 * 32, 1, U), [1, 8, 32, 32], 'float32');
    const w = both(g, data('float32', 16 * 8 * 9, 2, U), [16, 8, 3, 3], 'float32');
    const dy = both(g, data('float32', 16 * 32 * 32, 3, U), [1, 16, 32, 32], 'float32');
    await check(
      'conv big',
      g,
      { buf: g.conv2d(x.gpu, w.gpu, p), shape: [1, 16, 32, 32], dtype: 'float32' },
      { buf: cpu.conv2d(x.cpu, w.cpu, p), shape: [1, 16, 32, 32], dtype: 'float32' },
      tolK(72),
    );
    await check(
      'conv big dx',
      g,
      { buf: g.conv2dInputGrad(dy.gpu, w.gpu, p, [32, 32]), shape: [1, 8, 32, 32], dtype: 'float32' },
      { buf: cpu.conv2dInputGrad(dy.cpu, w.cpu, p, [32, 32]), shape: [1, 8, 32, 32], dtype: 'float32' },
      tolK(144),
    );
    await check(
      'conv big dw',
      g,
      { buf: g.conv2dWeightGrad(x.gpu, dy.gpu, p, [3, 3]), shape: [16, 8, 3, 3], dtype: 'float32' },
      { buf: cpu.conv2dWeightGrad(x.cpu, dy.cpu, p, [3, 3]), shape: [16, 8, 3, 3], dtype: 'float32' },
      tolK(1024),
      [x.gpu.buf, w.gpu.buf, dy.gpu.buf],
    );
  });

  it('deep reductions: a 1x1 conv over 300 channels, a 1x7 over 40 and a stride-2 3x3 over 70 (K past one GEMM block), with their gradients', async () => {
    const cases: [number[], number[], Conv2dParams][] = [
      [[1, 300, 9, 11], [20, 300, 1, 1], { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 }],
      [[2, 40, 9, 12], [12, 40, 1, 7], { stride: [1, 1], padding: [0, 3], dilation: [1, 1], groups: 1 }],
      [[1, 70, 15, 13], [9, 70, 3, 3], { stride: [2, 2], padding: [0, 0], dilation: [1, 1], groups: 1 }],
    ];
    for (const [xShape, wShape, p] of cases) {
      const [N, , H, W] = xShape as [number, number, number, number];
      const [O, C, kh, kw] = wShape as [number, number, number, number];
      const yShape = [N, O, Math.floor((H + 2 * p.padding[0] - kh) / p.stride[0]) + 1, Math.floor((W + 2 * p.padding[1] - kw) / p.stride[1]) + 1];
      const x = both(g, data('float32', size(xShape), 5, U), xShape, 'float32');
      const w = both(g, data('float32', size(wShape), 6, U), wShape, 'float32');
      const dy = both(g, data('float32', size(yShape), 7, U), yShape, 'float32');
      const what = `x${xShape} w${wShape}`;
      await check(
        `${what} y`,
        g,
        { buf: g.conv2d(x.gpu, w.gpu, p), shape: yShape, dtype: 'float32' },
        { buf: cpu.conv2d(x.cpu, w.cpu, p), shape: yShape, dtype: 'float32' },
        tolK(C * kh * kw),
      );
      const dxG = g.conv2dInputGrad(dy.gpu, w.gpu, p, [H, W]);
      await check(
        `${what} dx`,
        g,
        { buf: dxG, shape: xShape, dtype: 'float32' },
        { buf: cpu.conv2dInputGrad(dy.cpu, w.cpu, p, [H, W]), shape: xShape, dtype: 'float32' },
        tolK(O * kh * kw),
      );
      const dwG = g.conv2dWeightGrad(x.gpu, dy.gpu, p, [kh, kw]);
      await check(
        `${what} dw`,
        g,
        { buf: dwG, shape: wShape, dtype: 'float32' },
        { buf: cpu.conv2dWeightGrad(x.cpu, dy.cpu, p, [kh, kw]), shape: wShape, dtype: 'float32' },
        tolK(size(yShape) / O),
        [x.gpu.buf, w.gpu.buf, dy.gpu.buf],
      );
    }
  });

  const poolArb = fc.record({
    planes: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 })),
    h: fc.integer({ min: 1, max: 9 }),
    w: fc.integer({ min: 1, max: 9 }),
    kh: fc.integer({ min: 1, max: 4 }),
    kw: fc.integer({ min: 1, max: 4 }),
    sh: fc.integer({ min: 1, max: 3 }),
    sw: fc.integer({ min: 1, max: 3 }),
    dh: fc.integer({ min: 1, max: 2 }),
    dw: fc.integer({ min: 1, max: 2 }),
    pfrac: fc.tuple(fc.nat(), fc.nat()),
    ceilMode: fc.boolean(),
    ties: fc.boolean(),
    seed: fc.integer(),
  });

  it('maxPool2d values and argmax indices (padding never wins, ties to the first, NaN wins)', async () => {
    await fc.assert(
      fc.asyncProperty(poolArb, async (c) => {
        // PyTorch's rules: pad <= kernel / 2; output size from floor/ceil mode, last window starting inside
        const ph = c.pfrac[0] % (Math.floor(c.kh / 2) + 1);
        const pw = c.pfrac[1] % (Math.floor(c.kw / 2) + 1);
        const out = (len: number, k: number, s: number, pd: number, d: number) => {
          const eff = d * (k - 1) + 1;
          let o = Math.floor((len + 2 * pd - eff + (c.ceilMode ? s - 1 : 0)) / s) + 1;
          if (c.ceilMode && (o - 1) * s >= len + pd) o--;
          return o;
        };
        const ho = out(c.h, c.kh, c.sh, ph, c.dh);
        const wo = out(c.w, c.kw, c.sw, pw, c.dw);
        fc.pre(ho >= 1 && wo >= 1);
        const p: Pool2dParams = { kernel: [c.kh, c.kw], stride: [c.sh, c.sw], padding: [ph, pw], dilation: [c.dh, c.dw], ceilMode: c.ceilMode };
        const shape = [c.planes[0], c.planes[1], c.h, c.w];
        const v = c.ties
          ? Float32Array.from(data('int32', size(shape), c.seed, { lo: -2, hi: 2 }))
          : (data('float32', size(shape), c.seed, { specials: [NaN, -Infinity] }) as Float32Array);
        const x = both(g, v, shape, 'float32');
        const r = g.maxPool2d(x.gpu, p, [ho, wo]);
        const rc = cpu.maxPool2d(x.cpu, p, [ho, wo]);
        const oshape = [c.planes[0], c.planes[1], ho, wo];
        await check(
          `maxPool2d ${shape} ${JSON.stringify(p)} values`,
          g,
          { buf: r.values, shape: oshape, dtype: 'float32' },
          { buf: rc.values, shape: oshape, dtype: 'float32' },
          EXACT,
        );
        await check(
          `maxPool2d ${shape} ${JSON.stringify(p)} indices`,
          g,
          { buf: r.indices, shape: oshape, dtype: 'int32' },
          { buf: rc.indices, shape: oshape, dtype: 'int32' },
          EXACT,
          [x.gpu.buf],
        );
      }),
      { numRuns: 40 },
    );
  });
}
