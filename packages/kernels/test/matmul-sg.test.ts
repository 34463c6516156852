/**
 * The subgroup matmul (shaders/matmul_sg.wgsl: a 16 or 24 x 32 tile per 8-wide subgroup, A rows
 * shared with subgroupShuffle, vec4 loads where a contiguous dim is a multiple of 4) against the CPU
 * reference: sizes on both sides of every tile edge (m around 16 and 24, n around 32 and 4, k around
 * the 4-step and its tail), dims with and without vec4 alignment, all transpose combinations,
 * broadcast batches. Which kernel runs is decided by `matmulSpec` from the device's subgroup size; the
 * selection is checked directly, and on lavapipe (8-wide subgroups) the device must offer it.
 *
 * Tolerance: atol 2e-5 * sqrt(K) + rtol 1e-5 with inputs in [-1, 1] (as linalg.test.ts).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MATMUL, MATMUL_SG, matmulSpec } from '../src/kernels/matmul.js';
import { adapterInfo } from '../src/index.js';
import { both, check, cpu, data, openGpu, type Tol } from './harness.js';

const gpu = await openGpu();
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const tolK = (k: number): Tol => ({ atol: 2e-5 * Math.sqrt(Math.max(k, 1)), rtol: 1e-5 });
const U = { lo: -1, hi: 1 };
const fake = {} as GPUBuffer;

describe('matmul kernel selection', () => {
  it('8-wide subgroups pick matmul_sg (16 x 32 tiles), anything else the register-tile kernel', () => {
    const sg = matmulSpec(fake, fake, fake, [2, 40, 7], [7, 70], false, false, [2, 40, 70], 8);
    expect(sg !== 'zeros' && sg.kernel).toBe(MATMUL_SG);
    expect(sg !== 'zeros' && sg.workgroups).toEqual([3, 3, 2]);
    for (const s of [0, 16, 32]) {
      const r = matmulSpec(fake, fake, fake, [40, 7], [7, 70], false, false, [40, 70], s);
      expect(r !== 'zeros' && r.kernel).toBe(MATMUL);
    }
    expect(matmulSpec(fake, fake, fake, [4, 0], [0, 5], false, false, [4, 5], 8)).toBe('zeros');
  });

  it('vec4 loads along each contiguous dim that is a multiple of 4; 24-row tiles from m = 128', () => {
    const defines = (m: number, n: number, k: number, ta: boolean, tb: boolean) => {
      const r = matmulSpec(fake, fake, fake, ta ? [k, m] : [m, k], tb ? [n, k] : [k, n], ta, tb, [m, n], 8);
      return r === 'zeros' ? undefined : r.defines;
    };
    expect(defines(128, 64, 32, false, false)).toMatchObject({ ROWA: 'rowA_n4', BLOCKB: 'blockB_n4', R: 24 });
    expect(defines(127, 64, 32, false, true)).toMatchObject({ ROWA: 'rowA_n4', BLOCKB: 'blockB_t4', R: 16 });
    // A transposed is read along k, which is not its contiguous dim
    expect(defines(128, 64, 32, true, false)).toMatchObject({ ROWA: 'rowA_1', BLOCKB: 'blockB_n4' });
    expect(defines(128, 63, 30, false, false)).toMatchObject({ ROWA: 'rowA_1', BLOCKB: 'blockB_1' });
    expect(defines(128, 64, 30, false, true)).toMatchObject({ BLOCKB: 'blockB_1' });
  });
});

describe.skipIf(!gpu)('webgpu subgroup matmul vs cpu', () => {
  const g = gpu!;

  it('lavapipe exposes 8-wide subgroups, so the subgroup kernel is the one under test there', () => {
    if (/llvmpipe/i.test(adapterInfo()?.name ?? '')) expect(g.ctx.subgroupSize).toBe(8);
  });

  const arb = fc.record({
    m: fc.constantFrom(1, 2, 8, 15, 16, 17, 31, 33, 128, 143, 153),
    n: fc.constantFrom(1, 3, 4, 5, 31, 32, 33, 36, 65),
    k: fc.constantFrom(1, 3, 4, 5, 8, 12, 17, 64, 67),
    batch: fc.constantFrom<number[][]>(
      [[], []],
      [[2], [2]],
      [[3], [1]],
      [[2], []],
      [
        [1, 2],
        [3, 1],
      ],
    ),
    transA: fc.boolean(),
    transB: fc.boolean(),
    seed: fc.integer(),
  });

  it('edge sizes, transposes and broadcast batches', async () => {
    await fc.assert(
      fc.asyncProperty(arb, async ({ m, n, k, batch, transA, transB, seed }) => {
        const [ba, bb] = batch as [number[], number[]];
        const aShape = [...ba, ...(transA ? [k, m] : [m, k])];
        const bShape = [...bb, ...(transB ? [n, k] : [k, n])];
        const r = Math.max(ba.length, bb.length);
        const pa = [...Array(r - ba.length).fill(1), ...ba];
        const pb = [...Array(r - bb.length).fill(1), ...bb];
        const outShape = [...pa.map((d, i) => Math.max(d, pb[i]!)), m, n];
        const a = both(g, data('float32', size(aShape), seed, U), aShape, 'float32');
        const b = both(g, data('float32', size(bShape), seed + 1, U), bShape, 'float32');
        await check(
          `matmul_sg ${aShape}${transA ? 'T' : ''} @ ${bShape}${transB ? 'T' : ''}`,
          g,
          { buf: g.matmul(a.gpu, b.gpu, transA, transB, outShape), shape: outShape, dtype: 'float32' },
          { buf: cpu.matmul(a.cpu, b.cpu, transA, transB, outShape), shape: outShape, dtype: 'float32' },
          tolK(k),
          [a.gpu.buf, b.gpu.buf],
        );
      }),
      { numRuns: 40 },
    );
  });

  it.each([
    [130, 97, 70],
    [136, 96, 72],
  ])('a multi-tile product %i x %i x %i in every transpose combination', async (m, k, n) => {
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      const a = both(g, data('float32', m * k, 5, U), ta ? [k, m] : [m, k], 'float32');
      const b = both(g, data('float32', k * n, 6, U), tb ? [n, k] : [k, n], 'float32');
      await check(
        `matmul_sg ${ta} ${tb}`,
        g,
        { buf: g.matmul(a.gpu, b.gpu, ta, tb, [m, n]), shape: [m, n], dtype: 'float32' },
        { buf: cpu.matmul(a.cpu, b.cpu, ta, tb, [m, n]), shape: [m, n], dtype: 'float32' },
        tolK(k),
        [a.gpu.buf, b.gpu.buf],
      );
    }
  });
});
