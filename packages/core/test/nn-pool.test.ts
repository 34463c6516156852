import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DTypeError, ShapeError, ValueError, arange, avgPool2d, gradgradcheck, gradients, maxPool2d, memory, tensor, tidy } from '@pixgrad/core';
import { type TensorSpec, propertyGradcheck, specOf } from '@pixgrad/core/testing';

const f64 = (data: Parameters<typeof tensor>[0], requiresGrad = false) => tensor(data, { dtype: 'float64', requiresGrad });
const flat = (t: { dataSync(): ArrayLike<number> }) => Array.from(t.dataSync());

interface PoolGeometry {
  n: number;
  c: number;
  hw: [number, number];
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  ceilMode: boolean;
}

/** PyTorch's pooling_output_shape. */
function poolOut(n: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const span = n + 2 * p - d * (k - 1) - 1;
  let o = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (o - 1) * s >= n + p) o--;
  return o;
}
const outHW = (g: PoolGeometry): [number, number] =>
  [0, 1].map((d) => poolOut(g.hw[d]!, g.kernel[d]!, g.stride[d]!, g.padding[d]!, g.dilation[d]!, g.ceilMode)) as [number, number];

/** Every window's in-plane taps (rows, cols), row-major, as PyTorch's kernels visit them. */
function windowTaps(g: PoolGeometry, oy: number, ox: number): [number, number][] {
  const taps: [number, number][] = [];
  for (let i = 0; i < g.kernel[0]; i++) {
    const y = oy * g.stride[0] - g.padding[0] + i * g.dilation[0];
    for (let j = 0; j < g.kernel[1]; j++) {
      const x = ox * g.stride[1] - g.padding[1] + j * g.dilation[1];
      if (y >= 0 && y < g.hw[0] && x >= 0 && x < g.hw[1]) taps.push([y, x]);
    }
  }
  return taps;
}

/** Reference max pooling: first maximum wins; returns values and winner positions. */
function refMaxPool(x: number[], g: PoolGeometry): { values: number[]; argmax: number[] } {
  const [ho, wo] = outHW(g);
  const [h, w] = g.hw;
  const values: number[] = [];
  const argmax: number[] = [];
  for (let pl = 0; pl < g.n * g.c; pl++)
    for (let oy = 0; oy < ho; oy++)
      for (let ox = 0; ox < wo; ox++) {
        let best = -Infinity;
        let at = -1;
        for (const [y, xx] of windowTaps(g, oy, ox)) {
          const v = x[pl * h * w + y * w + xx]!;
          if (v > best) [best, at] = [v, pl * h * w + y * w + xx];
        }
        values.push(best);
        argmax.push(at);
      }
  return { values, argmax };
}

/** Reference average pooling, PyTorch's avg_pool2d kernel (divisor rules included). */
function refAvgPool(x: number[], g: PoolGeometry, countIncludePad: boolean, divisorOverride?: number): number[] {
  const [ho, wo] = outHW(g);
  const [h, w] = g.hw;
  const out: number[] = [];
  for (let pl = 0; pl < g.n * g.c; pl++)
    for (let oy = 0; oy < ho; oy++)
      for (let ox = 0; ox < wo; ox++) {
        let hs = oy * g.stride[0] - g.padding[0];
        let ws = ox * g.stride[1] - g.padding[1];
        let he = Math.min(hs + g.kernel[0], h + g.padding[0]);
        let we = Math.min(ws + g.kernel[1], w + g.padding[1]);
        const poolSize = (he - hs) * (we - ws);
        hs = Math.max(hs, 0);
        ws = Math.max(ws, 0);
        he = Math.min(he, h);
        we = Math.min(we, w);
        let s = 0;
        for (let y = hs; y < he; y++) for (let xx = ws; xx < we; xx++) s += x[pl * h * w + y * w + xx]!;
        out.push(s / (divisorOverride ?? (countIncludePad ? poolSize : (he - hs) * (we - ws))));
      }
  return out;
}

/** Pool geometries: padding at most half the kernel (PyTorch's rule), odd sizes, dilation, ceil mode. */
const poolGeometry = (maxElems: number, dilation = true): fc.Arbitrary<PoolGeometry> =>
  fc
    .record({
      n: fc.integer({ min: 1, max: 2 }),
      c: fc.integer({ min: 1, max: 2 }),
      kernel: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
      stride: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
      pad: fc.tuple(fc.nat(), fc.nat()),
      dilation: dilation ? fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })) : fc.constant([1, 1] as [number, number]),
      extra: fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 })),
      ceilMode: fc.boolean(),
    })
    .map(({ pad, extra, ...g }) => {
      const padding = [0, 1].map((d) => pad[d]! % (Math.floor(g.kernel[d]! / 2) + 1)) as [number, number];
      const hw = [0, 1].map((d) => Math.max(1, g.dilation[d]! * (g.kernel[d]! - 1) + 1 - 2 * padding[d]!) + extra[d]!) as [number, number];
      return { ...g, padding, hw } as PoolGeometry;
    })
    .filter((g) => {
      const [ho, wo] = outHW(g);
      if (ho < 1 || wo < 1 || g.n * g.c * g.hw[0] * g.hw[1] > maxElems) return false;
      // every window must see at least one input cell (else the max is -inf)
      for (let oy = 0; oy < ho; oy++) for (let ox = 0; ox < wo; ox++) if (windowTaps(g, oy, ox).length === 0) return false;
      return true;
    });

const maxOpts = (g: PoolGeometry) => ({ kernelSize: g.kernel, stride: g.stride, padding: g.padding, dilation: g.dilation, ceilMode: g.ceilMode });

/** distinct values at least 0.01 apart, so no window has a tie and eps-perturbations never change a winner */
const distinctSpec = (shape: number[]): fc.Arbitrary<TensorSpec> => {
  const size = shape.reduce((a, b) => a * b, 1);
  return fc.uniqueArray(fc.integer({ min: -300, max: 300 }), { minLength: size, maxLength: size }).map((v) => ({ shape, values: v.map((i) => i / 100) }));
};

describe('maxPool2d: gradients', () => {
  it('gradcheck and gradgradcheck (distinct values: no ties within a window)', () => {
    const arb = poolGeometry(60).chain((g) => fc.record({ inputs: fc.tuple(distinctSpec([g.n, g.c, ...g.hw])), params: fc.constant(g) }));
    propertyGradcheck('maxPool2d', arb, ([x], g) => maxPool2d(x!, maxOpts(g)), { numRuns: 60 });
  });
  it('unbatched input', () => {
    const x = f64(
      [
        [
          [0.1, 0.5, -0.2],
          [0.9, 0.3, 0.4],
          [0.6, -0.7, 0.8],
        ],
      ],
      true,
    );
    const r = gradgradcheck((x) => maxPool2d(x, { kernelSize: 2, stride: 1 }), [x]);
    expect(r.ok, r.report).toBe(true);
  });
});

describe('maxPool2d: values and the tie convention', () => {
  it('known values', () => {
    const x = arange(16, undefined, 1, { dtype: 'float64' }).reshape([1, 1, 4, 4]);
    expect(maxPool2d(x, { kernelSize: 2 }).arraySync()).toEqual([
      [
        [
          [5, 7],
          [13, 15],
        ],
      ],
    ]);
    expect(maxPool2d(x, { kernelSize: 3, stride: 1 }).arraySync()).toEqual([
      [
        [
          [10, 11],
          [14, 15],
        ],
      ],
    ]);
    // padding counts as -inf: negative inputs still win at the border
    expect(
      maxPool2d(
        f64([
          [
            [
              [-5, -6],
              [-7, -8],
            ],
          ],
        ]),
        { kernelSize: 2, stride: 1, padding: 1 },
      ).arraySync(),
    ).toEqual([
      [
        [
          [-5, -5, -6],
          [-5, -5, -6],
          [-7, -7, -8],
        ],
      ],
    ]);
    // dilation 2: taps at 0 and 2
    expect(maxPool2d(f64([[[[1, 9, 2, 8, 3]]]]), { kernelSize: [1, 2], dilation: 2, stride: 1 }).arraySync()).toEqual([[[[2, 9, 3]]]]);
  });
  it('ceilMode adds a last window that starts inside the input', () => {
    const x = arange(25, undefined, 1, { dtype: 'float64' }).reshape([1, 1, 5, 5]);
    expect(maxPool2d(x, { kernelSize: 2 }).shape).toEqual([1, 1, 2, 2]);
    expect(maxPool2d(x, { kernelSize: 2, ceilMode: true }).arraySync()).toEqual([
      [
        [
          [6, 8, 9],
          [16, 18, 19],
          [21, 23, 24],
        ],
      ],
    ]);
    // (out - 1) * stride >= H + padding drops a window that would start in the right padding
    // (W = 5, kernel 2, stride 2, padding 1: ceil gives 4 windows, the 4th would start at 5 = W + padding - 1... in the padding)
    expect(
      maxPool2d(arange(5, undefined, 1, { dtype: 'float64' }).reshape([1, 1, 1, 5]), {
        kernelSize: [1, 2],
        stride: [1, 2],
        padding: [0, 1],
        ceilMode: true,
      }).arraySync(),
    ).toEqual([[[[0, 2, 4]]]]);
  });
  it('ties: the first maximum in row-major window order gets the whole gradient (PyTorch CPU)', () => {
    const x = f64(
      [
        [
          [
            [1, 1],
            [1, 1],
          ],
        ],
      ],
      true,
    );
    maxPool2d(x, { kernelSize: 2 }).sum().backward();
    expect(x.grad!.arraySync()).toEqual([
      [
        [
          [1, 0],
          [0, 0],
        ],
      ],
    ]);
    const y = f64(
      [
        [
          [
            [0, 3],
            [3, 1],
          ],
        ],
      ],
      true,
    );
    maxPool2d(y, { kernelSize: 2 }).sum().backward();
    expect(y.grad!.arraySync()).toEqual([
      [
        [
          [0, 1],
          [0, 0],
        ],
      ],
    ]);
  });
  it('overlapping windows accumulate at a shared winner', () => {
    const x = f64(
      [
        [
          [
            [0, 5, 0],
            [0, 0, 0],
          ],
        ],
      ],
      true,
    );
    const y = maxPool2d(x, { kernelSize: 2, stride: 1 });
    expect(y.arraySync()).toEqual([[[[5, 5]]]]);
    y.backward(f64([[[[2, 3]]]]));
    expect(x.grad!.arraySync()).toEqual([
      [
        [
          [0, 5, 0],
          [0, 0, 0],
        ],
      ],
    ]);
  });
  it('matches a reference loop (values and gradient) on random geometries with ties', () => {
    fc.assert(
      fc.property(poolGeometry(400), fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 400, maxLength: 400 }), (g, vals) => {
        const size = g.n * g.c * g.hw[0] * g.hw[1];
        const xv = vals.slice(0, size); // small integers: many ties
        const ref = refMaxPool(xv, g);
        const x = tensor(xv, { shape: [g.n, g.c, ...g.hw], dtype: 'float64', requiresGrad: true });
        tidy(() => {
          const y = maxPool2d(x, maxOpts(g));
          expect(flat(y)).toEqual(ref.values);
          const cot = tensor(
            ref.values.map((_, i) => i + 1),
            { shape: y.shape, dtype: 'float64' },
          );
          y.backward(cot);
        });
        const want = new Array<number>(size).fill(0);
        ref.argmax.forEach((at, i) => (want[at]! += i + 1));
        expect(flat(x.grad!)).toEqual(want);
        x.dispose();
      }),
      { numRuns: 100 },
    );
  });
  it('float32 keeps its dtype', () => {
    expect(
      maxPool2d(
        tensor([
          [
            [
              [1, 2],
              [3, 4],
            ],
          ],
        ]),
        { kernelSize: 2 },
      ).dtype,
    ).toBe('float32');
  });
});

describe('avgPool2d', () => {
  it('gradcheck and gradgradcheck (every divisor rule)', () => {
    const arb = poolGeometry(60, false).chain((g) =>
      fc.record({
        inputs: fc.tuple(specOf([g.n, g.c, ...g.hw])),
        params: fc.record({ g: fc.constant(g), countIncludePad: fc.boolean(), divisorOverride: fc.option(fc.constantFrom(2, 5), { nil: undefined }) }),
      }),
    );
    propertyGradcheck(
      'avgPool2d',
      arb,
      ([x], { g, countIncludePad, divisorOverride }) =>
        avgPool2d(x!, {
          kernelSize: g.kernel,
          stride: g.stride,
          padding: g.padding,
          ceilMode: g.ceilMode,
          countIncludePad,
          ...(divisorOverride !== undefined && { divisorOverride }),
        }),
      { numRuns: 60 },
    );
  });
  it('known values', () => {
    const x = arange(16, undefined, 1, { dtype: 'float64' }).reshape([1, 1, 4, 4]);
    expect(avgPool2d(x, { kernelSize: 2 }).arraySync()).toEqual([
      [
        [
          [2.5, 4.5],
          [10.5, 12.5],
        ],
      ],
    ]);
    const ones = tensor(new Float64Array(9).fill(1), { shape: [1, 1, 3, 3], dtype: 'float64' });
    // 3x3 windows at stride 2 with padding 1 see 4 real cells: /9 with countIncludePad, /4 without
    expect(avgPool2d(ones, { kernelSize: 3, stride: 2, padding: 1 }).arraySync()).toEqual([
      [
        [
          [4 / 9, 4 / 9],
          [4 / 9, 4 / 9],
        ],
      ],
    ]);
    expect(avgPool2d(ones, { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false }).arraySync()).toEqual([
      [
        [
          [1, 1],
          [1, 1],
        ],
      ],
    ]);
    expect(avgPool2d(ones, { kernelSize: 3, stride: 2, padding: 1, divisorOverride: 2 }).arraySync()).toEqual([
      [
        [
          [2, 2],
          [2, 2],
        ],
      ],
    ]);
  });
  it('ceilMode: windows running past the padding divide by the part inside it (PyTorch)', () => {
    // 1x5 row, kernel 2, stride 2, ceil: windows [0,1], [2,3], [4] -> the last divides by 1
    const x = f64([[[[1, 2, 3, 4, 5]]]]);
    expect(avgPool2d(x, { kernelSize: [1, 2], ceilMode: true }).arraySync()).toEqual([[[[1.5, 3.5, 5]]]]);
    // kernel 3, stride 2, padding 1: windows [pad, 1, 2], [2, 3, 4], [4, 5, pad], each divided by 3 (padding counted)
    const g: PoolGeometry = { n: 1, c: 1, hw: [1, 5], kernel: [1, 3], stride: [1, 2], padding: [0, 1], dilation: [1, 1], ceilMode: true };
    const y = avgPool2d(x, { kernelSize: g.kernel, stride: g.stride, padding: g.padding, ceilMode: true });
    expect(flat(y)).toEqual(refAvgPool([1, 2, 3, 4, 5], g, true));
    expect(flat(y)).toEqual([(0 + 1 + 2) / 3, (2 + 3 + 4) / 3, (4 + 5 + 0) / 3]);
  });
  it('matches the reference kernel on random geometries (float64 and float32)', () => {
    fc.assert(
      fc.property(
        poolGeometry(400, false),
        fc.boolean(),
        fc.option(fc.constantFrom(3, 7), { nil: undefined }),
        fc.boolean(),
        fc.integer(),
        (g, cip, dov, f32, seed) => {
          const size = g.n * g.c * g.hw[0] * g.hw[1];
          let s = seed >>> 0;
          const xv = Array.from({ length: size }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), s / 2 ** 32 - 0.5));
          const ref = refAvgPool(xv, g, cip, dov);
          const y = tidy(() =>
            avgPool2d(tensor(xv, { shape: [g.n, g.c, ...g.hw], dtype: f32 ? 'float32' : 'float64' }), {
              kernelSize: g.kernel,
              stride: g.stride,
              padding: g.padding,
              ceilMode: g.ceilMode,
              countIncludePad: cip,
              ...(dov !== undefined && { divisorOverride: dov }),
            }),
          );
          expect(y.shape).toEqual([g.n, g.c, ...outHW(g)]);
          const got = flat(y);
          y.dispose();
          ref.forEach((v, i) => expect(Math.abs(got[i]! - v)).toBeLessThanOrEqual(f32 ? 1e-6 : 1e-14));
        },
      ),
      { numRuns: 100 },
    );
  });
  it('unbatched input', () => {
    expect(
      avgPool2d(
        f64([
          [
            [1, 2],
            [3, 4],
          ],
        ]),
        { kernelSize: 2 },
      ).arraySync(),
    ).toEqual([[[2.5]]]);
  });
});

describe('pooling errors', () => {
  const x = tensor(new Float64Array(2 * 3 * 4 * 4), { shape: [2, 3, 4, 4], dtype: 'float64' });
  it('padding larger than half the kernel', () => {
    expect(() => maxPool2d(x, { kernelSize: 2, padding: 2 })).toThrow(ShapeError);
    expect(() => maxPool2d(x, { kernelSize: 2, padding: 2 })).toThrow(
      /maxPool2d: padding must be at most half the kernel size.*input \[2, 3, 4, 4\], kernelSize \[2, 2\].*padding \[2, 2\]/,
    );
    expect(() => avgPool2d(x, { kernelSize: 3, padding: [1, 2] })).toThrow(/avgPool2d: padding must be at most half/);
  });
  it('output too small, bad rank, dtype, arguments', () => {
    expect(() => maxPool2d(x, { kernelSize: 5 })).toThrow(/maxPool2d: the output would be 0x0, too small.*input \[2, 3, 4, 4\], kernelSize \[5, 5\]/);
    expect(() => maxPool2d(f64([[1, 2]]), { kernelSize: 1 })).toThrow(/maxPool2d: expected a 4-D input.*input \[1, 2\]/);
    expect(() => avgPool2d(f64([1, 2]), { kernelSize: 1 })).toThrow(/avgPool2d: expected a 4-D input.*input \[2\]/);
    expect(() => maxPool2d(tensor([[[[1]]]], { dtype: 'int32' }), { kernelSize: 1 })).toThrow(DTypeError);
    expect(() => maxPool2d(x, { kernelSize: 0 })).toThrow(ValueError);
    expect(() => maxPool2d(x, { kernelSize: 2, stride: [1, 0] })).toThrow(/maxPool2d: stride must be an integer >= 1/);
    expect(() => avgPool2d(x, { kernelSize: 2, divisorOverride: 0 })).toThrow(/avgPool2d: divisorOverride must be a non-zero number/);
  });
});

describe('pooling memory', () => {
  it('forward and double backward leave nothing behind', () => {
    const before = memory().tensors;
    const x = f64(
      [
        [
          [
            [0.1, 0.5, -0.2],
            [0.9, 0.3, 0.4],
            [0.6, -0.7, 0.8],
          ],
        ],
      ],
      true,
    );
    tidy(() => {
      const y = maxPool2d(x, { kernelSize: 2, stride: 1 }).mul(avgPool2d(x, { kernelSize: 2, stride: 1, padding: 1, ceilMode: true }).sum());
      const [gx] = gradients(y.mul(y).sum(), [x], { createGraph: true });
      gx!.mul(gx!).sum().backward();
    });
    expect(x.grad).not.toBeNull();
    x.dispose();
    expect(memory().tensors).toBe(before);
  });
});
