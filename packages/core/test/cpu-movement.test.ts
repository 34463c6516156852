/**
 * CPU backend kernels argReduce, pad, concat, gather and scatterAdd, called directly (upload, call,
 * read) against naive coordinate-by-coordinate references, on fast-check generated shapes, plus
 * hand-computed cases.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IndexError } from '../src/errors.js';
import type { DType } from '../src/dtype.js';
import { cpu, ints, ravel, rng, sizeOf, unravel, view } from './cpu-helpers.js';

const RUNS = { numRuns: 60 };
const read = (buf: Parameters<typeof cpu.dispose>[0], shape: readonly number[], dtype: DType) => Array.from(cpu.readSync({ buf, shape, dtype }));
const shapeArb = (minRank = 1, maxRank = 4, maxDim = 4) => fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: minRank, maxLength: maxRank });
const dtypeArb = fc.constantFrom<DType>('float32', 'float64', 'int32');

describe('cpu argReduce', () => {
  /** PyTorch: the first NaN wins; otherwise the first strict extreme */
  function refArg(op: 'argmax' | 'argmin', x: number[], shape: number[], axis: number): number[] {
    const outShape = shape.map((d, i) => (i === axis ? 1 : d));
    return Array.from({ length: sizeOf(outShape) }, (_, o) => {
      const idx = unravel(o, outShape);
      let best = 0;
      for (let k = 0; k < shape[axis]!; k++) {
        idx[axis] = k;
        const v = x[ravel(idx, shape)]!;
        idx[axis] = best;
        const b = x[ravel(idx, shape)]!;
        if (Number.isNaN(b)) break;
        if (Number.isNaN(v) || (op === 'argmax' ? v > b : v < b)) best = k;
      }
      return best;
    });
  }

  it('matches the reference on generated shapes with ties and NaN', () => {
    fc.assert(
      fc.property(shapeArb(), fc.nat(), fc.nat(), fc.constantFrom('argmax' as const, 'argmin' as const), fc.boolean(), (shape, a, seed, op, withNaN) => {
        const axis = a % shape.length;
        const next = rng(seed + 1);
        // values in {-1, 0, 1} make ties common
        const x = ints(sizeOf(shape), seed, 1).map((v) => (withNaN && next() < 0.15 ? NaN : v));
        const out = cpu.argReduce(op, view(x, shape), axis);
        const outShape = shape.map((d, i) => (i === axis ? 1 : d));
        expect(read(out, outShape, 'int32')).toEqual(refArg(op, x, shape, axis));
      }),
      RUNS,
    );
  });

  it('hand-computed: ties give the first index, NaN wins, -0 ties 0', () => {
    const x = view([1, 3, 3, 2, NaN, 5, NaN, 0, -0, 0, 1, 1], [3, 4], 'float32');
    expect(Array.from(cpu.argReduce('argmax', x, 1) as Int32Array)).toEqual([1, 0, 2]);
    expect(Array.from(cpu.argReduce('argmin', x, 1) as Int32Array)).toEqual([0, 0, 0]);
    expect(Array.from(cpu.argReduce('argmax', x, 0) as Int32Array)).toEqual([1, 1, 1, 0]);
    expect(Array.from(cpu.argReduce('argmin', x, 0) as Int32Array)).toEqual([1, 2, 1, 1]);
    expect(cpu.argReduce('argmax', view([-Infinity, -Infinity], [2]), 0)).toEqual(new Int32Array([0]));
  });
});

describe('cpu pad', () => {
  it('matches the reference on generated shapes and pads', () => {
    fc.assert(
      fc.property(
        shapeArb(0, 4),
        fc.array(fc.tuple(fc.nat(3), fc.nat(3)), { minLength: 4, maxLength: 4 }),
        fc.nat(),
        dtypeArb,
        fc.integer({ min: -2, max: 2 }),
        (shape, pads, seed, dtype, value) => {
          const p = pads.slice(0, shape.length) as [number, number][];
          const x = ints(sizeOf(shape), seed);
          const outShape = shape.map((d, i) => d + p[i]![0] + p[i]![1]);
          const ref = Array.from({ length: sizeOf(outShape) }, (_, o) => {
            const idx = unravel(o, outShape).map((v, d) => v - p[d]![0]);
            return idx.every((v, d) => v >= 0 && v < shape[d]!) ? x[ravel(idx, shape)]! : value;
          });
          expect(read(cpu.pad(view(x, shape, dtype), p, value), outShape, dtype)).toEqual(ref);
        },
      ),
      RUNS,
    );
  });

  it('hand-computed', () => {
    const out = cpu.pad(
      view([1, 2, 3, 4], [2, 2]),
      [
        [1, 0],
        [0, 2],
      ],
      -1,
    );
    expect(Array.from(out)).toEqual([-1, -1, -1, -1, 1, 2, -1, -1, 3, 4, -1, -1]);
    // a size-0 dim padded: only the pad value
    expect(
      Array.from(
        cpu.pad(
          view([], [0, 2]),
          [
            [1, 1],
            [0, 0],
          ],
          7,
        ),
      ),
    ).toEqual([7, 7, 7, 7]);
  });
});

describe('cpu concat', () => {
  it('matches the reference on generated shapes', () => {
    fc.assert(
      fc.property(shapeArb(1, 4), fc.nat(), fc.array(fc.nat(3), { minLength: 1, maxLength: 4 }), fc.nat(), dtypeArb, (base, a, sizes, seed, dtype) => {
        const axis = a % base.length;
        const shapes = sizes.map((s) => base.map((d, i) => (i === axis ? s : d)));
        const xs = shapes.map((s, k) => ints(sizeOf(s), seed + k));
        const outShape = base.map((d, i) => (i === axis ? sizes.reduce((p, q) => p + q, 0) : d));
        const ref = Array.from({ length: sizeOf(outShape) }, (_, o) => {
          const idx = unravel(o, outShape);
          let k = 0;
          while (idx[axis]! >= shapes[k]![axis]!) idx[axis]! -= shapes[k++]![axis]!;
          return xs[k]![ravel(idx, shapes[k]!)]!;
        });
        const out = cpu.concat(
          xs.map((x, k) => view(x, shapes[k]!, dtype)),
          axis,
          outShape,
        );
        expect(read(out, outShape, dtype)).toEqual(ref);
      }),
      RUNS,
    );
  });

  it('hand-computed', () => {
    const a = view([1, 2, 3, 4], [2, 2]),
      b = view([5, 6], [2, 1]);
    expect(Array.from(cpu.concat([a, b], 1, [2, 3]))).toEqual([1, 2, 5, 3, 4, 6]);
    expect(Array.from(cpu.concat([a, view([7, 8], [1, 2])], 0, [3, 2]))).toEqual([1, 2, 3, 4, 7, 8]);
  });
});

/** x, axis, and an index no larger than x off the axis, with entries in [0, x.shape[axis]) */
const gatherCase = fc
  .tuple(shapeArb(1, 4), fc.nat(), fc.array(fc.nat(2), { minLength: 4, maxLength: 4 }), fc.integer({ min: 1, max: 5 }), fc.nat())
  .map(([shape, a, shrink, along, seed]) => {
    const axis = a % shape.length;
    const indexShape = shape.map((d, i) => (i === axis ? along : Math.max(1, d - shrink[i]!)));
    const next = rng(seed);
    const index = Array.from({ length: sizeOf(indexShape) }, () => Math.floor(next() * shape[axis]!));
    return { shape, axis, indexShape, index, seed };
  });

describe('cpu gather', () => {
  it('matches the reference on generated shapes', () => {
    fc.assert(
      fc.property(gatherCase, dtypeArb, ({ shape, axis, indexShape, index, seed }, dtype) => {
        const x = ints(sizeOf(shape), seed);
        const ref = index.map((j, i) => {
          const idx = unravel(i, indexShape);
          idx[axis] = j;
          return x[ravel(idx, shape)]!;
        });
        const out = cpu.gather(view(x, shape, dtype), axis, view(index, indexShape, 'int32'));
        expect(read(out, indexShape, dtype)).toEqual(ref);
      }),
      RUNS,
    );
  });

  it('hand-computed (the torch.gather docs example)', () => {
    const out = cpu.gather(view([1, 2, 3, 4], [2, 2]), 1, view([0, 0, 1, 0], [2, 2], 'int32'));
    expect(Array.from(out)).toEqual([1, 1, 4, 3]);
  });

  it('an out-of-range index is an IndexError naming the op, the index and the dimension size', () => {
    const x = view([1, 2, 3, 4, 5, 6], [2, 3]);
    for (const bad of [3, -1]) {
      expect(() => cpu.gather(x, 1, view([0, bad], [1, 2], 'int32'))).toThrow(IndexError);
      expect(() => cpu.gather(x, 1, view([0, bad], [1, 2], 'int32'))).toThrow(`gather: index ${bad} is out of range for dimension 1 of size 3`);
    }
  });
});

describe('cpu scatterAdd', () => {
  it('matches the reference on generated shapes (repeated indices accumulate)', () => {
    fc.assert(
      fc.property(gatherCase, fc.array(fc.nat(1), { minLength: 4, maxLength: 4 }), dtypeArb, ({ shape, axis, indexShape, index, seed }, grow, dtype) => {
        // src may be larger than the index in every dim; only the index's extent is read
        const srcShape = indexShape.map((d, i) => d + grow[i]!);
        const src = ints(sizeOf(srcShape), seed + 7);
        const ref = new Array<number>(sizeOf(shape)).fill(0);
        index.forEach((j, i) => {
          const idx = unravel(i, indexShape);
          const v = src[ravel(idx, srcShape)]!;
          idx[axis] = j;
          ref[ravel(idx, shape)]! += v;
        });
        const out = cpu.scatterAdd(shape, axis, view(index, indexShape, 'int32'), view(src, srcShape, dtype));
        expect(read(out, shape, dtype)).toEqual(ref);
      }),
      RUNS,
    );
  });

  it('float32 sums accumulate in float64 and round once', () => {
    // added one by one in float32, 1 + 3e-8 rounds back to 1 each time (half an ulp of 1 is 6e-8);
    // summed in float64 first, the four 3e-8 make 1.2e-7, which rounds to 1 + 2^-23
    const vals = [1, 3e-8, 3e-8, 3e-8, 3e-8];
    const out = cpu.scatterAdd([1], 0, view([0, 0, 0, 0, 0], [5], 'int32'), view(vals, [5], 'float32'));
    expect(out[0]).toBe(Math.fround(Math.fround(1) + 4 * Math.fround(3e-8)));
    expect(out[0]).not.toBe(1);
  });

  it('hand-computed and the out-of-range error', () => {
    const out = cpu.scatterAdd([2, 3], 1, view([2, 0, 1, 1], [2, 2], 'int32'), view([1, 2, 3, 4, 5, 6], [2, 3]));
    expect(Array.from(out)).toEqual([2, 0, 1, 0, 9, 0]);
    expect(() => cpu.scatterAdd([2], 0, view([2], [1], 'int32'), view([1], [1]))).toThrow(IndexError);
    expect(() => cpu.scatterAdd([2], 0, view([2], [1], 'int32'), view([1], [1]))).toThrow('scatterAdd: index 2 is out of range for dimension 0 of size 2');
  });
});
