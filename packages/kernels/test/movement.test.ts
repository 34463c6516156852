/**
 * Movement kernels (shaders/strided.wgsl, pad.wgsl, concat.wgsl, gather.wgsl) against the CPU
 * reference backend. All exact, except scatterAdd on float32: atomics add in an unspecified order
 * in float32 while the CPU adds in float64 and rounds once, so atol 1e-5 + rtol 1e-5.
 */
import { describe, it } from 'vitest';
import fc from 'fast-check';
import { type DType, contiguousStrides, sizeOf as size } from '@pixgrad/core';
import { EXACT, both, check, cpu, data, openGpu } from './harness.js';

const gpu = await openGpu();
const shapeArb = fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 });
const dtypeArb = fc.constantFrom<DType>('float32', 'int32', 'bool');

/** A random view of x: per dim a slice [start, stop) with a step (negative = flipped), optionally expanded, then permuted. */
const viewArb = shapeArb.chain((shape) =>
  fc.tuple(
    fc.constant(shape),
    fc.tuple(...shape.map((d) => fc.tuple(fc.integer({ min: 0, max: d - 1 }), fc.integer({ min: 1, max: 3 }), fc.boolean(), fc.boolean()))),
    fc.shuffledSubarray(
      shape.map((_, i) => i),
      { minLength: shape.length, maxLength: shape.length },
    ),
    fc.integer(),
  ),
);

describe.skipIf(!gpu)('webgpu movement vs cpu', () => {
  const g = gpu!;

  it('strided: permute, slice with steps, flip (negative strides), expand (stride 0)', async () => {
    await fc.assert(
      fc.asyncProperty(viewArb, dtypeArb, async ([shape, dims, perm, seed], dtype) => {
        const st = contiguousStrides(shape);
        let offset = 0;
        const oshape: number[] = [];
        const ostr: number[] = [];
        dims.forEach(([start, step, flip, expand], d) => {
          const n = shape[d]!;
          if (expand && n === 1) {
            oshape.push(3);
            ostr.push(0);
            return;
          }
          const len = Math.ceil((n - start) / step);
          if (flip) {
            offset += (n - 1 - start) * st[d]!;
            ostr.push(-step * st[d]!);
          } else {
            offset += start * st[d]!;
            ostr.push(step * st[d]!);
          }
          oshape.push(len);
        });
        const ps = perm.map((p) => oshape[p]!);
        const pst = perm.map((p) => ostr[p]!);
        const x = both(g, data(dtype, size(shape), seed), shape, dtype);
        await check(
          `strided ${shape} -> ${ps} ${pst} +${offset}`,
          g,
          { buf: g.strided(x.gpu, ps, pst, offset), shape: ps, dtype },
          { buf: cpu.strided(x.cpu, ps, pst, offset), shape: ps, dtype },
          EXACT,
          [x.gpu.buf],
        );
      }),
      { numRuns: 30 },
    );
  });

  it('strided: contiguous runs are plain copies (reshape, leading slices)', async () => {
    const x = both(g, data('float32', 60, 1), [5, 12], 'float32');
    await check(
      'copy',
      g,
      { buf: g.strided(x.gpu, [2, 12], [12, 1], 24), shape: [2, 12], dtype: 'float32' },
      { buf: cpu.strided(x.cpu, [2, 12], [12, 1], 24), shape: [2, 12], dtype: 'float32' },
      EXACT,
      [x.gpu.buf],
    );
  });

  it('pad with constants, including pads larger than the input', async () => {
    await fc.assert(
      fc.asyncProperty(
        shapeArb,
        fc.array(fc.tuple(fc.nat(7), fc.nat(7)), { minLength: 4, maxLength: 4 }),
        dtypeArb,
        fc.integer(),
        async (shape, pp, dtype, seed) => {
          const pads = shape.map((_, i) => (i % 2 === 1 && seed % 2 ? ([0, 0] as const) : pp[i]!));
          const value = dtype === 'bool' ? 1 : -2.5 * (dtype === 'int32' ? 0 : 1) + (dtype === 'int32' ? 7 : 0);
          const x = both(g, data(dtype, size(shape), seed), shape, dtype);
          const out = shape.map((d, i) => d + pads[i]![0] + pads[i]![1]);
          await check(
            `pad ${shape} ${JSON.stringify(pads)}`,
            g,
            { buf: g.pad(x.gpu, pads, value), shape: out, dtype },
            { buf: cpu.pad(x.cpu, pads, value), shape: out, dtype },
            EXACT,
            [x.gpu.buf],
          );
        },
      ),
      { numRuns: 20 },
    );
  });

  it('concat along every axis, including size-0 parts', async () => {
    await fc.assert(
      fc.asyncProperty(
        shapeArb,
        fc.nat(),
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 4 }),
        dtypeArb,
        fc.integer(),
        async (shape, ax, lens, dtype, seed) => {
          const axis = ax % shape.length;
          const parts = lens.map((l, i) => {
            const s = shape.map((d, j) => (j === axis ? l : d));
            return both(g, data(dtype, size(s), seed + i), s, dtype);
          });
          const out = shape.map((d, j) => (j === axis ? lens.reduce((a, b) => a + b, 0) : d));
          await check(
            `concat axis ${axis} ${lens}`,
            g,
            {
              buf: g.concat(
                parts.map((p) => p.gpu),
                axis,
                out,
              ),
              shape: out,
              dtype,
            },
            {
              buf: cpu.concat(
                parts.map((p) => p.cpu),
                axis,
                out,
              ),
              shape: out,
              dtype,
            },
            EXACT,
            parts.map((p) => p.gpu.buf),
          );
        },
      ),
      { numRuns: 20 },
    );
  });

  const gatherArb = shapeArb.chain((shape) =>
    fc.tuple(
      fc.constant(shape),
      fc.nat(shape.length - 1),
      fc.tuple(...shape.map((d) => fc.integer({ min: 1, max: d }))),
      fc.integer({ min: 1, max: 5 }),
      fc.integer(),
    ),
  );

  it('gather along an axis with an index smaller than x off the axis', async () => {
    await fc.assert(
      fc.asyncProperty(gatherArb, dtypeArb, async ([shape, axis, idxDims, alen, seed], dtype) => {
        const ishape = idxDims.map((d, i) => (i === axis ? alen : d));
        const idx = Int32Array.from(data('int32', size(ishape), seed, { lo: 0, hi: shape[axis]! }));
        const x = both(g, data(dtype, size(shape), seed + 1), shape, dtype);
        const ix = both(g, idx, ishape, 'int32');
        await check(
          `gather ${shape} axis ${axis} idx ${ishape}`,
          g,
          { buf: g.gather(x.gpu, axis, ix.gpu), shape: ishape, dtype },
          { buf: cpu.gather(x.cpu, axis, ix.cpu), shape: ishape, dtype },
          EXACT,
          [x.gpu.buf, ix.gpu.buf],
        );
      }),
      { numRuns: 20 },
    );
  });

  it('scatterAdd with repeated indices (float32 and int32)', async () => {
    await fc.assert(
      fc.asyncProperty(gatherArb, fc.constantFrom<DType>('float32', 'int32'), async ([shape, axis, idxDims, alen, seed], dtype) => {
        const ishape = idxDims.map((d, i) => (i === axis ? alen : d));
        const idx = Int32Array.from(data('int32', size(ishape), seed, { lo: 0, hi: shape[axis]! }));
        const src = both(g, data(dtype, size(ishape), seed + 1), ishape, dtype);
        const ix = both(g, idx, ishape, 'int32');
        const tol = dtype === 'float32' ? { atol: 1e-5, rtol: 1e-5 } : EXACT;
        await check(
          `scatterAdd ${shape} axis ${axis}`,
          g,
          { buf: g.scatterAdd(shape, axis, ix.gpu, src.gpu), shape, dtype },
          { buf: cpu.scatterAdd(shape, axis, ix.cpu, src.cpu), shape, dtype },
          tol,
          [src.gpu.buf, ix.gpu.buf],
        );
      }),
      { numRuns: 20 },
    );
  });
});
