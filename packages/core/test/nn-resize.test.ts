import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DTypeError, ShapeError, ValueError, arange, memory, resize, tensor, tidy } from '@pixgrad/core';
import { propertyGradcheck, specOf } from '@pixgrad/core/testing';

const f64 = (data: Parameters<typeof tensor>[0], requiresGrad = false) => tensor(data, { dtype: 'float64', requiresGrad });
const flat = (t: { dataSync(): ArrayLike<number> }) => Array.from(t.dataSync());
const row = (values: number[]) => f64([[values]]).reshape([1, 1, 1, values.length]);

describe('resize: gradients', () => {
  it('gradcheck and gradgradcheck (nearest and bilinear, both alignCorners, up and down)', () => {
    const arb = fc
      .record({
        n: fc.integer({ min: 1, max: 2 }),
        c: fc.integer({ min: 1, max: 2 }),
        h: fc.integer({ min: 1, max: 4 }),
        w: fc.integer({ min: 1, max: 5 }),
        oh: fc.integer({ min: 1, max: 6 }),
        ow: fc.integer({ min: 1, max: 6 }),
        mode: fc.constantFrom('nearest' as const, 'bilinear' as const),
        alignCorners: fc.boolean(),
      })
      .filter((p) => p.n * p.c * p.h * p.w <= 24)
      .chain((p) => fc.record({ inputs: fc.tuple(specOf([p.n, p.c, p.h, p.w])), params: fc.constant(p) }));
    propertyGradcheck(
      'resize',
      arb,
      ([x], p) => resize(x!, [p.oh, p.ow], p.mode === 'nearest' ? { mode: 'nearest' } : { mode: 'bilinear', alignCorners: p.alignCorners }),
      { numRuns: 60 },
    );
  });
});

describe('resize: values as torch.nn.functional.interpolate', () => {
  const x = f64([
    [
      [
        [1, 2],
        [3, 4],
      ],
    ],
  ]);
  it('bilinear, alignCorners false (half-pixel centres, clamped at the border)', () => {
    // torch.nn.functional.interpolate(x, size=(4, 4), mode='bilinear', align_corners=False)
    expect(resize(x, [4, 4]).arraySync()).toEqual([
      [
        [
          [1, 1.25, 1.75, 2],
          [1.5, 1.75, 2.25, 2.5],
          [2.5, 2.75, 3.25, 3.5],
          [3, 3.25, 3.75, 4],
        ],
      ],
    ]);
    // downsampling by 2 averages neighbouring pairs: src = (dst + 0.5) * 2 - 0.5
    expect(flat(resize(row([0, 1, 2, 3]), [1, 2]))).toEqual([0.5, 2.5]);
    // one output pixel sits at the centre: src = 0.5 * 4 - 0.5 = 1.5
    expect(flat(resize(row([0, 1, 2, 3]), [1, 1]))).toEqual([1.5]);
    // 3 -> 5: src = (d + 0.5) * 0.6 - 0.5 = [-0.2 -> 0, 0.4, 1, 1.6, 2.2 -> clamps the upper tap]
    const y = flat(resize(row([0, 10, 20]), [1, 5]));
    [0, 4, 10, 16, 20].forEach((v, i) => expect(y[i]).toBeCloseTo(v, 12));
  });
  it('bilinear, alignCorners true (corner pixels map onto each other)', () => {
    const y = resize(x, [4, 4], { alignCorners: true });
    const want = [0, 1, 2, 3].flatMap((i) => [0, 1, 2, 3].map((j) => 1 + j / 3 + (2 * i) / 3));
    flat(y).forEach((v, k) => expect(v).toBeCloseTo(want[k]!, 12));
    // a single output pixel takes the first input pixel (scale 0)
    expect(flat(resize(row([5, 6, 7]), [1, 1], { alignCorners: true }))).toEqual([5]);
    expect(flat(resize(row([0, 1, 2, 3]), [1, 2], { alignCorners: true }))).toEqual([0, 3]);
  });
  it("nearest: src = floor(dst * in / out) (torch's legacy 'nearest')", () => {
    expect(resize(x, [4, 4], { mode: 'nearest' }).arraySync()).toEqual([
      [
        [
          [1, 1, 2, 2],
          [1, 1, 2, 2],
          [3, 3, 4, 4],
          [3, 3, 4, 4],
        ],
      ],
    ]);
    expect(flat(resize(row([0, 1, 2]), [1, 2], { mode: 'nearest' }))).toEqual([0, 1]);
    expect(flat(resize(row([0, 1, 2, 3, 4]), [1, 3], { mode: 'nearest' }))).toEqual([0, 1, 3]);
    expect(flat(resize(row([0, 1, 2]), [1, 7], { mode: 'nearest' }))).toEqual([0, 0, 0, 1, 1, 2, 2]);
    // PyTorch computes dst * scale in float32 (scale = float(in) / out): for 2 -> 82, 41 * float32(2/82)
    // rounds to 0.99999994, so output 41 still reads input 0 (exact arithmetic would give 1)
    const up = flat(resize(row([0, 1]), [1, 82], { mode: 'nearest' }));
    expect(up.slice(40, 43)).toEqual([0, 0, 1]);
    // nearest works on int tensors too (pure indexing)
    expect(resize(tensor([[[[1, 2]]]], { dtype: 'int32' }), [1, 4], { mode: 'nearest' }).arraySync()).toEqual([[[[1, 1, 2, 2]]]]);
  });
  it('gradients go back to the pixels each output read', () => {
    const a = f64(
      [
        [
          [
            [1, 2],
            [3, 4],
          ],
        ],
      ],
      true,
    );
    resize(a, [4, 4], { mode: 'nearest' }).sum().backward();
    expect(a.grad!.arraySync()).toEqual([
      [
        [
          [4, 4],
          [4, 4],
        ],
      ],
    ]);
    const b = f64([[[[1, 2, 3]]]], true);
    // 3 -> 2 bilinear: src = [0.25, 1.75]: weights (0.75, 0.25) on pixels 0, 1 and (0.25, 0.75) on 1, 2
    resize(b, [1, 2]).backward(f64([[[[1, 10]]]]));
    const g = flat(b.grad!);
    [0.75, 0.25 + 2.5, 7.5].forEach((v, i) => expect(g[i]).toBeCloseTo(v, 12));
  });
  it('keeps float32 and leaves no tensors behind', () => {
    const before = memory().tensors;
    const y = tidy(() => resize(arange(6, undefined, 1, { dtype: 'float32' }).reshape([1, 1, 2, 3]), [3, 5]));
    expect(y.dtype).toBe('float32');
    expect(y.shape).toEqual([1, 1, 3, 5]);
    y.dispose();
    expect(memory().tensors).toBe(before);
  });
});

describe('resize: errors', () => {
  const x = tensor(new Float64Array(12), { shape: [1, 3, 2, 2], dtype: 'float64' });
  it('rank, size, mode, alignCorners, dtype', () => {
    expect(() => resize(f64([[1, 2]]), [2, 2])).toThrow(ShapeError);
    expect(() => resize(f64([[1, 2]]), [2, 2])).toThrow(/resize: expected a 4-D input.*\[1, 2\]/);
    expect(() => resize(x, [0, 2])).toThrow(ValueError);
    expect(() => resize(x, [2.5, 2])).toThrow(/resize: size must be \[height, width\].*\[1, 3, 2, 2\]/);
    expect(() => resize(x, [2, 2], { mode: 'bicubic' as 'nearest' })).toThrow(/resize: unknown mode "bicubic"/);
    expect(() => resize(x, [2, 2], { mode: 'nearest', alignCorners: true })).toThrow(/resize: alignCorners can only be set with mode 'bilinear'/);
    expect(() => resize(tensor([[[[1]]]], { dtype: 'int32' }), [2, 2])).toThrow(DTypeError);
  });
});
