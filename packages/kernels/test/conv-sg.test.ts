/**
 * The subgroup conv kernels (8-wide subgroups, lavapipe) against the CPU reference:
 * - shaders/conv2d_sg.wgsl: forward and input gradient as an implicit GEMM (16 or 8 rows x 32
 *   pixels per subgroup) when a group has >= 8 rows or >= 8 reduction channels;
 * - shaders/conv2d_weight_grad_sg.wgsl: the weight gradient as a GEMM of dy with the on-the-fly
 *   im2col of x (split over the reduction);
 * - shaders/conv2d_dw.wgsl: depthwise forward (and stride-1 input gradient as a conv with the
 *   flipped kernel), a register window sliding along an axis with stride 1 and dilation 1;
 * - shaders/conv2d_dw_weight_grad.wgsl: depthwise weight gradient, a window of 16 taps sliding
 *   along the same kind of axis (split over the rows).
 * Geometries: odd sizes, stride, dilation, padding larger than the kernel, groups, 1x1, channel
 * counts on both sides of the 8/16-row tiles, depthwise with channel multipliers, SSIM's 11x1 and
 * 1x11 windows. Which kernel a geometry gets is decided by the spec builders from the device's
 * subgroup size; each property asserts that the kernel under test is the one dispatched, so on
 * lavapipe these tests cannot pass through the fallback.
 *
 * Tolerance (as linalg.test.ts): atol 2e-5 * sqrt(K) + rtol 1e-5 with inputs in [-1, 1], K the
 * length of each dot product.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Conv2dParams } from '@pixgrad/core';
import {
  CONV2D,
  CONV2D_DW,
  CONV2D_DW_WEIGHT_GRAD,
  CONV2D_INPUT_GRAD,
  CONV2D_SG,
  CONV2D_WEIGHT_GRAD,
  CONV2D_WEIGHT_GRAD_SG,
  channelsLastWeight,
  conv2dInputGradSpec,
  conv2dSpec,
  conv2dWeightGradSpec,
  convGeometry,
} from '../src/kernels/conv2d.js';
import { adapterInfo } from '../src/index.js';
import { both, check, cpu, data, openGpu, type Tol } from './harness.js';

const gpu = await openGpu();
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const tolK = (k: number): Tol => ({ atol: 2e-5 * Math.sqrt(Math.max(k, 1)), rtol: 1e-5 });
const U = { lo: -1, hi: 1 };
const fake = {} as GPUBuffer;
/** Whether conv2d_dw takes a depthwise geometry (an axis with stride 1 and dilation 1; the gradient needs stride 1). */
const dwTakes = (p: Conv2dParams, grad: boolean) =>
  (p.stride[1] === 1 && p.dilation[1] === 1) || (p.stride[0] === 1 && p.dilation[0] === 1) ? !grad || (p.stride[0] === 1 && p.stride[1] === 1) : false;
/** Whether the subgroup GEMMs take a geometry: >= 8 rows or >= 8 reduction channels per group. */
const sgTakes = (rows: number, kcn: number) => rows >= 8 || kcn >= 8;
const P = (o: Partial<Conv2dParams> = {}): Conv2dParams => ({ stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1, ...o });

describe('conv kernel selection', () => {
  it('8-wide subgroups pick conv2d_sg (16 or 8 rows per tile) for >= 8 rows or reduction channels; otherwise the register-tile kernels', () => {
    const g = convGeometry([1, 64, 20, 20], [64, 64, 3, 3], P({ padding: [1, 1] }), 'conv2d');
    const f = conv2dSpec(fake, fake, fake, g, 8);
    expect(f.kernel).toBe(CONV2D_SG);
    expect(f.defines['AT']).toBe('at_fwd');
    expect(f.defines['R']).toBe(16);
    expect(f.workgroups).toEqual([Math.ceil(400 / 32), 4, 1]);
    const b = conv2dInputGradSpec(fake, fake, fake, g, 8);
    expect(b.kernel).toBe(CONV2D_SG);
    expect(b.defines['AT']).toBe('at_bwd');
    expect(conv2dSpec(fake, fake, fake, g, 0).kernel).toBe(CONV2D);
    expect(conv2dInputGradSpec(fake, fake, fake, g, 0).kernel).toBe(CONV2D_INPUT_GRAD);
    // 4 rows and 4 reduction channels per group: the register-tile kernel
    const small = convGeometry([1, 8, 20, 20], [8, 4, 3, 3], P({ groups: 2 }), 'conv2d');
    expect(conv2dSpec(fake, fake, fake, small, 8).kernel).toBe(CONV2D);
    // 3 rows (VGG's conv1_1 input grad) but 64 reduction channels: an 8-row tile with 5 rows idle
    const rgb = conv2dInputGradSpec(fake, fake, fake, convGeometry([1, 3, 20, 20], [64, 3, 3, 3], P({ padding: [1, 1] }), 'conv2d'), 8);
    expect(rgb.kernel).toBe(CONV2D_SG);
    expect(rgb.defines['R']).toBe(8);
    // 12 rows per group: 8-row tiles, 2 tiles per group
    const mid = convGeometry([2, 6, 9, 9], [24, 3, 3, 3], P({ groups: 2 }), 'conv2d');
    const m = conv2dSpec(fake, fake, fake, mid, 8);
    expect(m.defines['R']).toBe(8);
    expect(m.workgroups).toEqual([Math.ceil(49 / 32), 4, 2]);
  });

  it('depthwise: conv2d_dw slides along an axis with stride 1 and dilation 1 (the one with more taps); input grad only for stride 1', () => {
    const h = conv2dSpec(fake, fake, fake, convGeometry([1, 3, 512, 502], [3, 1, 1, 11], P({ groups: 3 }), 'conv2d'), 8);
    expect(h.kernel).toBe(CONV2D_DW);
    expect(h.defines).toMatchObject({ T: 16, LANES: 'lanes_line' });
    expect(h.uniforms).toMatchObject({ lk: 11, xk: 1 });
    expect(h.workgroups).toEqual([Math.ceil(492 / 128), 512, 3]);
    const v = conv2dSpec(fake, fake, fake, convGeometry([2, 3, 512, 512], [6, 1, 11, 1], P({ groups: 3 }), 'conv2d'), 8);
    expect(v.kernel).toBe(CONV2D_DW);
    expect(v.defines).toMatchObject({ LANES: 'lanes_cross' });
    expect(v.uniforms).toMatchObject({ lk: 11, xk: 1 });
    expect(v.workgroups).toEqual([Math.ceil(502 / 16), 64, 12]);
    // stride 2 along x only: slide along y
    const sx = conv2dSpec(fake, fake, fake, convGeometry([1, 4, 30, 30], [4, 1, 3, 5], P({ groups: 4, stride: [1, 2] }), 'conv2d'), 8);
    expect(sx.kernel).toBe(CONV2D_DW);
    expect(sx.uniforms).toMatchObject({ lk: 3, xk: 5, xs: 2 });
    // strided or dilated on both axes: the register-tile kernel
    const strided = convGeometry([1, 4, 30, 30], [4, 1, 3, 3], P({ groups: 4, stride: [2, 2] }), 'conv2d');
    expect(conv2dSpec(fake, fake, fake, strided, 8).kernel).toBe(CONV2D);
    expect(conv2dSpec(fake, fake, fake, convGeometry([1, 4, 30, 30], [4, 1, 3, 3], P({ groups: 4, dilation: [2, 2] }), 'conv2d'), 8).kernel).toBe(CONV2D);
    expect(conv2dInputGradSpec(fake, fake, fake, strided, 8).kernel).toBe(CONV2D_INPUT_GRAD);
    expect(conv2dInputGradSpec(fake, fake, fake, convGeometry([1, 4, 30, 30], [4, 1, 3, 3], P({ groups: 4, dilation: [1, 2] }), 'conv2d'), 8).kernel).toBe(
      CONV2D_DW,
    );
    expect(conv2dSpec(fake, fake, fake, convGeometry([1, 4, 30, 30], [4, 1, 3, 3], P({ groups: 4 }), 'conv2d'), 0).kernel).toBe(CONV2D);
  });

  it('depthwise weight gradient: conv2d_dw_weight_grad with the rows split', () => {
    const plan = conv2dWeightGradSpec(fake, fake, fake, convGeometry([1, 3, 512, 512], [3, 1, 11, 11], P({ groups: 3 }), 'conv2dWeightGrad'), () => fake, 8);
    expect(plan.specs[0]!.kernel).toBe(CONV2D_DW_WEIGHT_GRAD);
    expect(plan.partial?.parts).toBe(16); // 3 channels x 11 cross taps x 16 splits >= 512 invocations
    const strided = convGeometry([1, 4, 30, 30], [8, 1, 3, 3], P({ groups: 4, stride: [2, 2] }), 'conv2dWeightGrad');
    expect(conv2dWeightGradSpec(fake, fake, fake, strided, () => fake, 8).specs[0]!.kernel).toBe(CONV2D_WEIGHT_GRAD);
  });

  it('weight gradient: conv2d_weight_grad_sg with the reduction split until there are enough tiles', () => {
    const alloc = () => fake;
    const big = conv2dWeightGradSpec(fake, fake, fake, convGeometry([1, 64, 128, 128], [64, 64, 3, 3], P({ padding: [1, 1] }), 'conv2dWeightGrad'), alloc, 8);
    expect(big.specs[0]!.kernel).toBe(CONV2D_WEIGHT_GRAD_SG);
    expect(big.specs[0]!.workgroups).toEqual([18, 4, 1]);
    expect(big.partial).toBeUndefined();
    // 1 x 1 tile: split 64 ways (each split >= 1024 reduction steps)
    const few = conv2dWeightGradSpec(fake, fake, fake, convGeometry([2, 4, 64, 64], [16, 4, 1, 1], P(), 'conv2dWeightGrad'), alloc, 8);
    expect(few.specs[0]!.kernel).toBe(CONV2D_WEIGHT_GRAD_SG);
    expect(few.partial?.parts).toBe(8);
    expect(conv2dWeightGradSpec(fake, fake, fake, convGeometry([1, 64, 20, 20], [64, 64, 3, 3], P(), 'conv2dWeightGrad'), alloc, 0).specs[0]!.kernel).toBe(
      CONV2D_WEIGHT_GRAD,
    );
  });

  it('conv2d_sg reads the weight with vec4 loads from a channels-innermost copy when the reduction channels come in 4s', () => {
    const copies: string[] = [];
    const copy = (tag: string) => () => (copies.push(tag), { tag } as unknown as GPUBuffer);
    const f = conv2dSpec(fake, fake, fake, convGeometry([1, 12, 20, 20], [16, 12, 3, 3], P(), 'conv2d'), 8, copy('fwd'));
    expect(f.defines).toMatchObject({ LOADW: 'w_4' });
    expect(f.uniforms).toMatchObject({ rs: 9 * 12, ks: 1, ts: 12 });
    expect(f.buffers[1]).toEqual({ tag: 'fwd' });
    // C/groups = 6: the weight as stored, read 4 scalars at a time, and no copy made
    const s6 = conv2dSpec(fake, fake, fake, convGeometry([1, 12, 20, 20], [16, 6, 3, 3], P({ groups: 2 }), 'conv2d'), 8, copy('unused'));
    expect(s6.defines).toMatchObject({ LOADW: 'w_1' });
    expect(s6.uniforms).toMatchObject({ rs: 6 * 9, ks: 9, ts: 1 });
    // input gradient: the reduction runs over O/groups
    const gb = convGeometry([1, 6, 20, 20], [16, 3, 3, 3], P({ groups: 2 }), 'conv2dInputGrad', [18, 18]);
    const b = conv2dInputGradSpec(fake, fake, fake, gb, 8, copy('bwd'));
    expect(b.defines).toMatchObject({ LOADW: 'w_4' });
    expect(b.uniforms).toMatchObject({ rs: 9 * 8, ks: 1, ts: 8 });
    expect(copies).toEqual(['fwd', 'bwd']);
    // [groups, C/groups, kh, kw, O/groups] from w [O, C/groups, kh, kw]
    expect(channelsLastWeight(gb, true)).toEqual({ shape: [2, 3, 3, 3, 8], strides: [8 * 3 * 9, 9, 3, 1, 3 * 9] });
  });
});

describe.skipIf(!gpu)('webgpu subgroup conv vs cpu', () => {
  const g = gpu!;
  const sg = g.ctx.subgroupSize;

  it('lavapipe exposes 8-wide subgroups, so the subgroup kernels are the ones under test there', () => {
    if (/llvmpipe/i.test(adapterInfo()?.name ?? '')) expect(sg).toBe(8);
  });

  const convArb = fc.record({
    n: fc.integer({ min: 1, max: 2 }),
    groups: fc.constantFrom(1, 1, 2, 3),
    // multiples of 4 as reduction channels take the channels-innermost weight copy (vec4 loads)
    cg: fc.constantFrom(1, 2, 3, 4, 5, 8, 12),
    og: fc.constantFrom(1, 3, 4, 8, 9, 12, 15, 16, 17, 33),
    h: fc.integer({ min: 1, max: 13 }),
    w: fc.integer({ min: 1, max: 13 }),
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

  /** A valid geometry (output at least 1x1) with `rows` as O/groups, `other` as C/groups. */
  function geometry(c: ConvCase, rows: number, other: number) {
    const ho = Math.floor((c.h + 2 * c.ph - c.dh * (c.kh - 1) - 1) / c.sh) + 1;
    const wo = Math.floor((c.w + 2 * c.pw - c.dw * (c.kw - 1) - 1) / c.sw) + 1;
    if (ho < 1 || wo < 1) return undefined;
    const p: Conv2dParams = { stride: [c.sh, c.sw], padding: [c.ph, c.pw], dilation: [c.dh, c.dw], groups: c.groups };
    return { p, xShape: [c.n, other * c.groups, c.h, c.w], wShape: [rows * c.groups, other, c.kh, c.kw], yShape: [c.n, rows * c.groups, ho, wo] };
  }

  it('the channels-innermost weight copy is made once per weight and layout, and freed with the weight', async () => {
    const p = P({ padding: [1, 1] });
    const x = g.upload(data('float32', 8 * 100, 1, U), 'float32');
    const w = g.upload(data('float32', 16 * 8 * 9, 2, U), 'float32');
    const xv = { buf: x, shape: [1, 8, 10, 10], dtype: 'float32' as const };
    const wv = { buf: w, shape: [16, 8, 3, 3], dtype: 'float32' as const };
    const count = () => g.memory().buffers;
    const n0 = count();
    const y1 = g.conv2d(xv, wv, p); // output + the forward copy
    expect(count()).toBe(n0 + 2);
    const y2 = g.conv2d(xv, wv, p); // output only
    expect(count()).toBe(n0 + 3);
    const dx = g.conv2dInputGrad({ buf: y1, shape: [1, 16, 10, 10], dtype: 'float32' }, wv, p, [10, 10]); // output + the input-gradient copy
    expect(count()).toBe(n0 + 5);
    // the second forward used the cached copy: same result
    const [a, b] = [await g.read({ buf: y1, shape: [1, 16, 10, 10], dtype: 'float32' }), await g.read({ buf: y2, shape: [1, 16, 10, 10], dtype: 'float32' })];
    expect([...b]).toEqual([...a]);
    g.dispose(w);
    expect(count()).toBe(n0 + 2);
    for (const t of [x, y1, y2, dx]) g.dispose(t);
    expect(count()).toBe(n0 - 2);
  });

  it('forward: odd sizes, stride, dilation, padding larger than the kernel, groups, 1x1, infinities', async () => {
    await fc.assert(
      fc.asyncProperty(convArb, fc.boolean(), async (c, inf) => {
        const geo = geometry(c, c.og, c.cg);
        fc.pre(geo !== undefined);
        const { p, xShape, wShape, yShape } = geo!;
        // one input channel per group is depthwise (with a channel multiplier): conv2d_dw
        if (sg === 8)
          expect(conv2dSpec(fake, fake, fake, convGeometry(xShape, wShape, p, 'conv2d'), sg).kernel).toBe(
            c.cg === 1 && dwTakes(p, false) ? CONV2D_DW : sgTakes(c.og, c.cg) ? CONV2D_SG : CONV2D,
          );
        // +inf in x must not turn padded taps (clamped addresses) into NaN
        const x = both(g, data('float32', size(xShape), c.seed, { ...U, specials: inf ? [Infinity] : [] }), xShape, 'float32');
        const w = both(g, data('float32', size(wShape), c.seed + 1, U), wShape, 'float32');
        await check(
          `conv2d_sg x${xShape} w${wShape} ${JSON.stringify(p)}`,
          g,
          { buf: g.conv2d(x.gpu, w.gpu, p), shape: yShape, dtype: 'float32' },
          { buf: cpu.conv2d(x.cpu, w.cpu, p), shape: yShape, dtype: 'float32' },
          tolK(c.cg * c.kh * c.kw),
          [x.gpu.buf, w.gpu.buf],
        );
      }),
      { numRuns: 50 },
    );
  });

  it('input gradient: the same geometries with C/groups as the tile rows', async () => {
    await fc.assert(
      fc.asyncProperty(convArb, async (c) => {
        const geo = geometry(c, c.cg, c.og);
        fc.pre(geo !== undefined);
        const { p, xShape, wShape, yShape } = geo!;
        const hw: [number, number] = [xShape[2]!, xShape[3]!];
        // one input channel per group (C/groups = og here) is depthwise: conv2d_dw when it applies
        if (sg === 8)
          expect(conv2dInputGradSpec(fake, fake, fake, convGeometry(xShape, wShape, p, 'conv2dInputGrad', [yShape[2]!, yShape[3]!]), sg).kernel).toBe(
            c.og === 1 && dwTakes(p, true) ? CONV2D_DW : sgTakes(c.og, c.cg) ? CONV2D_SG : CONV2D_INPUT_GRAD,
          );
        const dy = both(g, data('float32', size(yShape), c.seed, U), yShape, 'float32');
        const w = both(g, data('float32', size(wShape), c.seed + 1, U), wShape, 'float32');
        await check(
          `conv2dInputGrad_sg x${xShape} w${wShape} ${JSON.stringify(p)}`,
          g,
          { buf: g.conv2dInputGrad(dy.gpu, w.gpu, p, hw), shape: xShape, dtype: 'float32' },
          { buf: cpu.conv2dInputGrad(dy.cpu, w.cpu, p, hw), shape: xShape, dtype: 'float32' },
          tolK(c.cg * c.kh * c.kw),
          [dy.gpu.buf, w.gpu.buf],
        );
      }),
      { numRuns: 50 },
    );
  });

  it('weight gradient (incl. the split reduction)', async () => {
    await fc.assert(
      fc.asyncProperty(convArb, fc.integer({ min: 1, max: 40 }), async (c, hBig) => {
        // taller images now and then so the reduction is split
        const geo = geometry({ ...c, h: c.h === 13 ? hBig * 8 : c.h }, c.og, c.cg);
        fc.pre(geo !== undefined);
        const { p, xShape, wShape, yShape } = geo!;
        const khw: [number, number] = [c.kh, c.kw];
        if (sg === 8) {
          const plan = conv2dWeightGradSpec(fake, fake, fake, convGeometry(xShape, wShape, p, 'conv2dWeightGrad', [yShape[2]!, yShape[3]!]), () => fake, sg);
          expect(plan.specs[0]!.kernel).toBe(
            c.cg === 1 && dwTakes(p, false) ? CONV2D_DW_WEIGHT_GRAD : sgTakes(c.og, c.cg) ? CONV2D_WEIGHT_GRAD_SG : CONV2D_WEIGHT_GRAD,
          );
        }
        const x = both(g, data('float32', size(xShape), c.seed, { ...U, specials: c.seed % 2 ? [Infinity] : [] }), xShape, 'float32');
        const dy = both(g, data('float32', size(yShape), c.seed + 1, U), yShape, 'float32');
        await check(
          `conv2dWeightGrad_sg x${xShape} w${wShape} ${JSON.stringify(p)}`,
          g,
          { buf: g.conv2dWeightGrad(x.gpu, dy.gpu, p, khw), shape: wShape, dtype: 'float32' },
          { buf: cpu.conv2dWeightGrad(x.cpu, dy.cpu, p, khw), shape: wShape, dtype: 'float32' },
          tolK(yShape[0]! * yShape[2]! * yShape[3]!),
          [x.gpu.buf, dy.gpu.buf],
        );
      }),
      { numRuns: 50 },
    );
  });

  const dwArb = fc.record({
    n: fc.integer({ min: 1, max: 2 }),
    c: fc.integer({ min: 1, max: 4 }),
    mult: fc.constantFrom(1, 1, 2, 3),
    h: fc.integer({ min: 1, max: 23 }),
    w: fc.integer({ min: 1, max: 23 }),
    kh: fc.constantFrom<number>(1, 2, 3, 5, 11),
    kw: fc.constantFrom<number>(1, 2, 3, 5, 11),
    sh: fc.integer({ min: 1, max: 3 }),
    sw: fc.integer({ min: 1, max: 3 }),
    ph: fc.integer({ min: 0, max: 12 }),
    pw: fc.integer({ min: 0, max: 12 }),
    dh: fc.integer({ min: 1, max: 2 }),
    dw: fc.integer({ min: 1, max: 2 }),
    stride1: fc.boolean(),
    dil1: fc.boolean(),
    seed: fc.integer(),
  });
  type DwCase = typeof dwArb extends fc.Arbitrary<infer T> ? T : never;
  function dwGeometry(c: DwCase) {
    const [sh, sw] = c.stride1 ? [1, 1] : [c.sh, c.sw];
    const [dh, dw] = c.dil1 ? [1, 1] : [c.dh, c.dw];
    const ho = Math.floor((c.h + 2 * c.ph - dh * (c.kh - 1) - 1) / sh) + 1;
    const wo = Math.floor((c.w + 2 * c.pw - dw * (c.kw - 1) - 1) / sw) + 1;
    if (ho < 1 || wo < 1) return undefined;
    const p: Conv2dParams = { stride: [sh, sw], padding: [c.ph, c.pw], dilation: [dh, dw], groups: c.c };
    return { p, xShape: [c.n, c.c, c.h, c.w], wShape: [c.c * c.mult, 1, c.kh, c.kw], yShape: [c.n, c.c * c.mult, ho, wo] };
  }

  it('depthwise forward: channel multipliers, 11-tap lines, stride, dilation, padding larger than the kernel, infinities', async () => {
    await fc.assert(
      fc.asyncProperty(dwArb, async (c) => {
        const geo = dwGeometry(c);
        fc.pre(geo !== undefined);
        const { p, xShape, wShape, yShape } = geo!;
        if (sg === 8) expect(conv2dSpec(fake, fake, fake, convGeometry(xShape, wShape, p, 'conv2d'), sg).kernel).toBe(dwTakes(p, false) ? CONV2D_DW : CONV2D);
        const x = both(g, data('float32', size(xShape), c.seed, { ...U, specials: c.seed % 3 === 0 ? [Infinity] : [] }), xShape, 'float32');
        const w = both(g, data('float32', size(wShape), c.seed + 1, U), wShape, 'float32');
        await check(
          `conv2d_dw x${xShape} w${wShape} ${JSON.stringify(p)}`,
          g,
          { buf: g.conv2d(x.gpu, w.gpu, p), shape: yShape, dtype: 'float32' },
          { buf: cpu.conv2d(x.cpu, w.cpu, p), shape: yShape, dtype: 'float32' },
          tolK(c.kh * c.kw),
          [x.gpu.buf, w.gpu.buf],
        );
      }),
      { numRuns: 60 },
    );
  });

  it('depthwise input gradient (flipped kernel for stride 1, the register-tile kernel for larger strides)', async () => {
    await fc.assert(
      fc.asyncProperty(dwArb, async (c) => {
        const geo = dwGeometry(c);
        fc.pre(geo !== undefined);
        const { p, xShape, wShape, yShape } = geo!;
        const hw: [number, number] = [c.h, c.w];
        if (sg === 8)
          expect(conv2dInputGradSpec(fake, fake, fake, convGeometry(xShape, wShape, p, 'conv2dInputGrad', [yShape[2]!, yShape[3]!]), sg).kernel).toBe(
            dwTakes(p, true) ? CONV2D_DW : CONV2D_INPUT_GRAD,
          );
        const dy = both(g, data('float32', size(yShape), c.seed, { ...U, specials: c.seed % 3 === 0 ? [Infinity] : [] }), yShape, 'float32');
        const w = both(g, data('float32', size(wShape), c.seed + 1, U), wShape, 'float32');
        await check(
          `conv2dInputGrad_dw x${xShape} w${wShape} ${JSON.stringify(p)}`,
          g,
          { buf: g.conv2dInputGrad(dy.gpu, w.gpu, p, hw), shape: xShape, dtype: 'float32' },
          { buf: cpu.conv2dInputGrad(dy.cpu, w.cpu, p, hw), shape: xShape, dtype: 'float32' },
          tolK(c.mult * c.kh * c.kw),
          [dy.gpu.buf, w.gpu.buf],
        );
      }),
      { numRuns: 60 },
    );
  });

  it('depthwise weight gradient (incl. split rows and taps beyond one 16-tap window)', async () => {
    await fc.assert(
      fc.asyncProperty(dwArb, fc.constantFrom(1, 17, 20), async (c0, kwBig) => {
        const c = { ...c0, kw: kwBig > 1 && c0.kw === 11 ? kwBig : c0.kw, w: kwBig > 1 && c0.kw === 11 ? c0.w + 10 : c0.w };
        const geo = dwGeometry(c);
        fc.pre(geo !== undefined);
        const { p, xShape, wShape, yShape } = geo!;
        const khw: [number, number] = [c.kh, c.kw];
        if (sg === 8) {
          const plan = conv2dWeightGradSpec(fake, fake, fake, convGeometry(xShape, wShape, p, 'conv2dWeightGrad', [yShape[2]!, yShape[3]!]), () => fake, sg);
          expect(plan.specs[0]!.kernel).toBe(dwTakes(p, false) ? CONV2D_DW_WEIGHT_GRAD : CONV2D_WEIGHT_GRAD);
        }
        const x = both(g, data('float32', size(xShape), c.seed, { ...U, specials: c.seed % 3 === 0 ? [Infinity] : [] }), xShape, 'float32');
        const dy = both(g, data('float32', size(yShape), c.seed + 1, U), yShape, 'float32');
        await check(
          `conv2dWeightGrad_dw x${xShape} w${wShape} ${JSON.stringify(p)}`,
          g,
          { buf: g.conv2dWeightGrad(x.gpu, dy.gpu, p, khw), shape: wShape, dtype: 'float32' },
          { buf: cpu.conv2dWeightGrad(x.cpu, dy.cpu, p, khw), shape: wShape, dtype: 'float32' },
          tolK(yShape[0]! * yShape[2]! * yShape[3]!),
          [x.gpu.buf, dy.gpu.buf],
        );
      }),
      { numRuns: 60 },
    );
  });

  it("SSIM's separable passes: 11x1 then 1x11 on 1x3x70x45 ('valid'), forward, input and weight gradients", async () => {
    const p = P({ groups: 3 });
    const x = both(g, data('float32', 3 * 70 * 45, 21, U), [1, 3, 70, 45], 'float32');
    const wv = both(g, data('float32', 33, 22, U), [3, 1, 11, 1], 'float32');
    const wh = both(g, data('float32', 33, 23, U), [3, 1, 1, 11], 'float32');
    const v = both(g, data('float32', 3 * 60 * 45, 24, U), [1, 3, 60, 45], 'float32');
    const o = both(g, data('float32', 3 * 60 * 35, 25, U), [1, 3, 60, 35], 'float32');
    await check(
      '11x1',
      g,
      { buf: g.conv2d(x.gpu, wv.gpu, p), shape: [1, 3, 60, 45], dtype: 'float32' },
      { buf: cpu.conv2d(x.cpu, wv.cpu, p), shape: [1, 3, 60, 45], dtype: 'float32' },
      tolK(11),
    );
    await check(
      '1x11',
      g,
      { buf: g.conv2d(v.gpu, wh.gpu, p), shape: [1, 3, 60, 35], dtype: 'float32' },
      { buf: cpu.conv2d(v.cpu, wh.cpu, p), shape: [1, 3, 60, 35], dtype: 'float32' },
      tolK(11),
    );
    await check(
      '1x11 dx',
      g,
      { buf: g.conv2dInputGrad(o.gpu, wh.gpu, p, [60, 45]), shape: [1, 3, 60, 45], dtype: 'float32' },
      { buf: cpu.conv2dInputGrad(o.cpu, wh.cpu, p, [60, 45]), shape: [1, 3, 60, 45], dtype: 'float32' },
      tolK(11),
    );
    await check(
      '11x1 dx',
      g,
      { buf: g.conv2dInputGrad(v.gpu, wv.gpu, p, [70, 45]), shape: [1, 3, 70, 45], dtype: 'float32' },
      { buf: cpu.conv2dInputGrad(v.cpu, wv.cpu, p, [70, 45]), shape: [1, 3, 70, 45], dtype: 'float32' },
      tolK(11),
    );
    await check(
      '11x1 dw',
      g,
      { buf: g.conv2dWeightGrad(x.gpu, v.gpu, p, [11, 1]), shape: [3, 1, 11, 1], dtype: 'float32' },
      { buf: cpu.conv2dWeightGrad(x.cpu, v.cpu, p, [11, 1]), shape: [3, 1, 11, 1], dtype: 'float32' },
      tolK(60 * 45),
    );
    await check(
      '1x11 dw',
      g,
      { buf: g.conv2dWeightGrad(v.gpu, o.gpu, p, [1, 11]), shape: [3, 1, 1, 11], dtype: 'float32' },
      { buf: cpu.conv2dWeightGrad(v.cpu, o.cpu, p, [1, 11]), shape: [3, 1, 1, 11], dtype: 'float32' },
      tolK(60 * 35),
      [x.gpu.buf, wv.gpu.buf, wh.gpu.buf, v.gpu.buf, o.gpu.buf],
    );
  });

  it('a multi-tile 3x3 conv 1x24x37x45 -> 40 channels, all three kernels', async () => {
    const p = P({ padding: [1, 1] });
    const x = both(g, data('float32', 24 * 37 * 45, 11, U), [1, 24, 37, 45], 'float32');
    const w = both(g, data('float32', 40 * 24 * 9, 12, U), [40, 24, 3, 3], 'float32');
    const dy = both(g, data('float32', 40 * 37 * 45, 13, U), [1, 40, 37, 45], 'float32');
    await check(
      'conv2d_sg big',
      g,
      { buf: g.conv2d(x.gpu, w.gpu, p), shape: [1, 40, 37, 45], dtype: 'float32' },
      { buf: cpu.conv2d(x.cpu, w.cpu, p), shape: [1, 40, 37, 45], dtype: 'float32' },
      tolK(216),
    );
    await check(
      'conv2d_sg big dx',
      g,
      { buf: g.conv2dInputGrad(dy.gpu, w.gpu, p, [37, 45]), shape: [1, 24, 37, 45], dtype: 'float32' },
      { buf: cpu.conv2dInputGrad(dy.cpu, w.cpu, p, [37, 45]), shape: [1, 24, 37, 45], dtype: 'float32' },
      tolK(360),
    );
    await check(
      'conv2d_sg big dw',
      g,
      { buf: g.conv2dWeightGrad(x.gpu, dy.gpu, p, [3, 3]), shape: [40, 24, 3, 3], dtype: 'float32' },
      { buf: cpu.conv2dWeightGrad(x.cpu, dy.cpu, p, [3, 3]), shape: [40, 24, 3, 3], dtype: 'float32' },
      tolK(37 * 45),
      [x.gpu.buf, w.gpu.buf, dy.gpu.buf],
    );
  });
});
