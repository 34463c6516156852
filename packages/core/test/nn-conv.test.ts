import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DTypeError,
  ShapeError,
  ValueError,
  arange,
  conv2d,
  conv2dWeightGrad,
  convTranspose2d,
  gradcheck,
  gradgradcheck,
  gradients,
  memory,
  ones,
  tensor,
  tidy,
} from '@pixgrad/core';
import { type TensorSpec, propertyGradcheck, specOf } from '@pixgrad/core/testing';

const f64 = (data: Parameters<typeof tensor>[0], requiresGrad = false) => tensor(data, { dtype: 'float64', requiresGrad });
const flat = (t: { dataSync(): ArrayLike<number> }) => Array.from(t.dataSync());

interface Geometry {
  n: number;
  groups: number;
  cinG: number;
  coutG: number;
  k: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  /** input H, W (conv2d) */
  hw: [number, number];
  bias: boolean;
}

const c = (g: Geometry) => g.groups * g.cinG;
const o = (g: Geometry) => g.groups * g.coutG;
const outSize = (n: number, k: number, s: number, p: number, d: number) => Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;
const sizeOf = (s: number[]) => s.reduce((a, b) => a * b, 1);

/**
 * conv2d geometries: odd sizes, strides, dilation, groups (including depthwise: one input channel
 * per group), padding larger than the kernel, inputs just big enough for the dilated kernel.
 */
const geometry = (maxElems: number): fc.Arbitrary<Geometry> =>
  fc
    .record({
      n: fc.integer({ min: 1, max: 2 }),
      groups: fc.constantFrom(1, 1, 2, 3),
      cinG: fc.integer({ min: 1, max: 2 }),
      coutG: fc.integer({ min: 1, max: 2 }),
      k: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
      stride: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 })),
      padding: fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 2 })),
      dilation: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
      extra: fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })),
      bias: fc.boolean(),
    })
    .map(({ extra, ...g }) => {
      const hw = [0, 1].map((d) => Math.max(1, g.dilation[d]! * (g.k[d]! - 1) + 1 - 2 * g.padding[d]!) + extra[d]!) as [number, number];
      return { ...g, hw } as Geometry;
    })
    .filter((g) => {
      const out =
        g.n * o(g) * outSize(g.hw[0], g.k[0], g.stride[0], g.padding[0], g.dilation[0]) * outSize(g.hw[1], g.k[1], g.stride[1], g.padding[1], g.dilation[1]);
      return g.n * c(g) * g.hw[0] * g.hw[1] + o(g) * g.cinG * g.k[0] * g.k[1] + out <= maxElems;
    });

const opts = (g: Geometry) => ({ stride: g.stride, padding: g.padding, dilation: g.dilation, groups: g.groups });

/** Direct loops over PyTorch's definition of conv2d (float64). */
function refConv2d(x: number[], xs: number[], w: number[], ws: number[], g: Geometry, b?: number[]): { shape: number[]; data: number[] } {
  const [n, cin, h, wd] = xs as [number, number, number, number];
  const [oc, cg, kh, kw] = ws as [number, number, number, number];
  const ho = outSize(h, kh, g.stride[0], g.padding[0], g.dilation[0]);
  const wo = outSize(wd, kw, g.stride[1], g.padding[1], g.dilation[1]);
  const out = new Array<number>(n * oc * ho * wo).fill(0);
  const og = oc / g.groups;
  for (let b0 = 0; b0 < n; b0++)
    for (let q = 0; q < oc; q++)
      for (let i = 0; i < ho; i++)
        for (let j = 0; j < wo; j++) {
          let s = b ? b[q]! : 0;
          const grp = Math.floor(q / og);
          for (let cc = 0; cc < cg; cc++)
            for (let a = 0; a < kh; a++)
              for (let e = 0; e < kw; e++) {
                const y = i * g.stride[0] - g.padding[0] + a * g.dilation[0];
                const z = j * g.stride[1] - g.padding[1] + e * g.dilation[1];
                if (y < 0 || y >= h || z < 0 || z >= wd) continue;
                s += x[((b0 * cin + grp * cg + cc) * h + y) * wd + z]! * w[((q * cg + cc) * kh + a) * kw + e]!;
              }
          out[((b0 * oc + q) * ho + i) * wo + j] = s;
        }
  return { shape: [n, oc, ho, wo], data: out };
}

/** Direct loops over PyTorch's definition of conv_transpose2d: w is [Cin, Cout/groups, kh, kw]. */
function refConvTranspose2d(x: number[], xs: number[], w: number[], ws: number[], g: Geometry, outPad: [number, number]): { shape: number[]; data: number[] } {
  const [n, cin, h, wd] = xs as [number, number, number, number];
  const [, cog, kh, kw] = ws as [number, number, number, number];
  const ho = (h - 1) * g.stride[0] - 2 * g.padding[0] + g.dilation[0] * (kh - 1) + outPad[0] + 1;
  const wo = (wd - 1) * g.stride[1] - 2 * g.padding[1] + g.dilation[1] * (kw - 1) + outPad[1] + 1;
  const cout = cog * g.groups;
  const cig = cin / g.groups;
  const out = new Array<number>(n * cout * ho * wo).fill(0);
  for (let b0 = 0; b0 < n; b0++)
    for (let ci = 0; ci < cin; ci++) {
      const grp = Math.floor(ci / cig);
      for (let i = 0; i < h; i++)
        for (let j = 0; j < wd; j++)
          for (let q = 0; q < cog; q++)
            for (let a = 0; a < kh; a++)
              for (let e = 0; e < kw; e++) {
                const y = i * g.stride[0] - g.padding[0] + a * g.dilation[0];
                const z = j * g.stride[1] - g.padding[1] + e * g.dilation[1];
                if (y < 0 || y >= ho || z < 0 || z >= wo) continue;
                out[((b0 * cout + grp * cog + q) * ho + y) * wo + z]! += x[((b0 * cin + ci) * h + i) * wd + j]! * w[((ci * cog + q) * kh + a) * kw + e]!;
              }
    }
  return { shape: [n, cout, ho, wo], data: out };
}

const randomValues = (size: number, seed: number) => {
  let s = seed >>> 0 || 1;
  return Array.from({ length: size }, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s / 2 ** 32) * 4 - 2;
  });
};

/** conv2d test cases: x, w and (sometimes) bias as specs, plus the geometry. */
const convCases = (maxElems: number) =>
  geometry(maxElems).chain((g) => {
    const specs: fc.Arbitrary<TensorSpec>[] = [specOf([g.n, c(g), ...g.hw]), specOf([o(g), g.cinG, ...g.k])];
    if (g.bias) specs.push(specOf([o(g)]));
    return fc.record({ inputs: fc.tuple(...specs), params: fc.constant(g) });
  });

/** convTranspose2d test cases: outputPadding < max(stride, dilation), so >= stride happens when dilation > stride. */
const convTransposeCases = geometry(110)
  .chain((g) =>
    fc.tuple(
      fc.constant(g),
      fc.integer({ min: 0, max: Math.max(g.stride[0], g.dilation[0]) - 1 }),
      fc.integer({ min: 0, max: Math.max(g.stride[1], g.dilation[1]) - 1 }),
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 1, max: 3 }),
    ),
  )
  .filter(([g, oph, opw, h, w]) => {
    const ho = (h - 1) * g.stride[0] - 2 * g.padding[0] + g.dilation[0] * (g.k[0] - 1) + oph + 1;
    const wo = (w - 1) * g.stride[1] - 2 * g.padding[1] + g.dilation[1] * (g.k[1] - 1) + opw + 1;
    return ho >= 1 && wo >= 1 && g.n * o(g) * ho * wo + g.n * c(g) * h * w <= 120;
  })
  .chain(([g, oph, opw, h, w]) => {
    // x [N, Cin, h, w], w [Cin, Cout/groups, kh, kw]; Cin = groups * cinG, Cout = groups * coutG
    const specs: fc.Arbitrary<TensorSpec>[] = [specOf([g.n, c(g), h, w]), specOf([c(g), g.coutG, ...g.k])];
    if (g.bias) specs.push(specOf([o(g)]));
    return fc.record({ inputs: fc.tuple(...specs), params: fc.constant({ g, outputPadding: [oph, opw] as [number, number] }) });
  });

describe('conv2d: gradients', () => {
  it('gradcheck and gradgradcheck w.r.t. x, w and bias', () => {
    propertyGradcheck('conv2d', convCases(110), ([x, w, b], g) => conv2d(x!, w!, { ...opts(g), bias: b ?? null }), { numRuns: 60 });
  });
  it('conv2dWeightGrad: gradcheck and gradgradcheck w.r.t. x and dy', () => {
    const arb = geometry(110).chain((g) => {
      const ho = outSize(g.hw[0], g.k[0], g.stride[0], g.padding[0], g.dilation[0]);
      const wo = outSize(g.hw[1], g.k[1], g.stride[1], g.padding[1], g.dilation[1]);
      return fc.record({ inputs: fc.tuple(specOf([g.n, c(g), ...g.hw]), specOf([g.n, o(g), ho, wo])), params: fc.constant(g) });
    });
    propertyGradcheck('conv2dWeightGrad', arb, ([x, dy], g) => conv2dWeightGrad(x!, dy!, { ...opts(g) }, g.k), { numRuns: 50 });
  });
  it('convTranspose2d (the conv2dInputGrad primitive): gradcheck and gradgradcheck', () => {
    propertyGradcheck(
      'convTranspose2d',
      convTransposeCases,
      ([x, w, b], { g, outputPadding }) => convTranspose2d(x!, w!, { ...opts(g), outputPadding, bias: b ?? null }),
      { numRuns: 60 },
    );
  });
  it('convTranspose2d with outputPadding >= stride (dilation > stride): the cropped VJP path', () => {
    const x = f64(
      [
        [
          [
            [0.3, -1.2, 0.7],
            [0.5, 0.1, -0.4],
          ],
          [
            [1.1, 0.2, -0.6],
            [-0.9, 0.8, 0.05],
          ],
        ],
      ],
      true,
    ); // [1, 2, 2, 3]
    const w = f64(
      [
        [
          [
            [0.5, -0.3],
            [0.2, 0.9],
          ],
        ],
        [
          [
            [-0.7, 0.4],
            [0.6, -0.1],
          ],
        ],
      ],
      true,
    ); // [2, 1, 2, 2]
    for (const o of [
      { dilation: 2, outputPadding: 1 },
      { dilation: [3, 2] as [number, number], outputPadding: [2, 1] as [number, number], padding: 1 },
    ]) {
      const f = (x: ReturnType<typeof f64>, w: ReturnType<typeof f64>) => convTranspose2d(x, w, o);
      const r1 = gradcheck(f, [x, w]);
      expect(r1.ok, r1.report).toBe(true);
      const r2 = gradgradcheck(f, [x, w]);
      expect(r2.ok, r2.report).toBe(true);
    }
    // the extra bottom row/right column that no input reaches is zero
    const y = convTranspose2d(
      f64([[[[1]]]]),
      f64([
        [
          [
            [1, 1],
            [1, 1],
          ],
        ],
      ]),
      { dilation: 2, outputPadding: 1 },
    );
    expect(y.arraySync()).toEqual([
      [
        [
          [1, 0, 1, 0],
          [0, 0, 0, 0],
          [1, 0, 1, 0],
          [0, 0, 0, 0],
        ],
      ],
    ]);
  });
  it('a third derivative through conv2d (grad of grad of grad) matches finite differences', () => {
    // f(x) = sum(conv2d(x, w)^3); d/dx of the gradgradcheck function runs the conv VJPs three deep
    const w = f64([
      [
        [
          [0.3, -0.2],
          [0.5, 0.1],
        ],
      ],
    ]);
    const x = f64(
      [
        [
          [
            [0.1, 0.4, -0.3],
            [0.2, -0.5, 0.6],
            [0.7, 0.2, -0.1],
          ],
        ],
      ],
      true,
    );
    const r = gradcheck(
      (x0) => {
        const x = x0.requiresGrad ? x0 : x0.detach().requiresGrad_();
        const y = conv2d(x, w, { stride: 1 });
        const gx = gradOf(y.mul(y).mul(y).sum(), x);
        return gradOf(gx.mul(gx).sum(), x);
      },
      [x],
    );
    expect(r.ok, r.report).toBe(true);
  });
});

function gradOf(y: ReturnType<typeof f64>, x: ReturnType<typeof f64>) {
  return gradients(y, [x], { createGraph: true })[0]!;
}

describe('conv2d: values', () => {
  it('a known 3x3 conv (valid, padded, strided)', () => {
    const x = arange(16, undefined, 1, { dtype: 'float64' }).reshape([1, 1, 4, 4]);
    const k = ones([1, 1, 3, 3], { dtype: 'float64' });
    expect(conv2d(x, k).arraySync()).toEqual([
      [
        [
          [45, 54],
          [81, 90],
        ],
      ],
    ]);
    expect(conv2d(x, k, { padding: 1 }).arraySync()).toEqual([
      [
        [
          [10, 18, 24, 18],
          [27, 45, 54, 39],
          [51, 81, 90, 63],
          [42, 66, 72, 50],
        ],
      ],
    ]);
    expect(conv2d(x, k, { padding: 1, stride: 2 }).arraySync()).toEqual([
      [
        [
          [10, 24],
          [51, 90],
        ],
      ],
    ]);
    // dilation 2 on the 4x4 with padding 1: taps at -1, 1, 3
    expect(conv2d(x, k, { padding: 1, dilation: 2 }).arraySync()).toEqual([
      [
        [
          [5 + 7 + 13 + 15, 4 + 6 + 12 + 14],
          [1 + 3 + 9 + 11, 0 + 2 + 8 + 10],
        ],
      ],
    ]);
  });
  it('is cross-correlation (no kernel flip), with bias per output channel', () => {
    const x = f64([
      [
        [
          [1, 2],
          [3, 4],
        ],
      ],
    ]);
    const w = f64([
      [
        [
          [1, 0],
          [0, 0],
        ],
      ],
      [
        [
          [0, 0],
          [0, 1],
        ],
      ],
    ]); // picks x[0,0] and x[1,1]
    expect(conv2d(x, w, { bias: f64([10, 20]) }).arraySync()).toEqual([[[[11]], [[24]]]]);
  });
  it('groups and depthwise', () => {
    // two channels, depthwise: each channel scaled by its own 1x1 weight
    const x = f64([[[[1, 2]], [[3, 4]]]]);
    expect(conv2d(x, f64([[[[2]]], [[[10]]]]), { groups: 2 }).arraySync()).toEqual([[[[2, 4]], [[30, 40]]]]);
    // groups 2 with 2 outputs per group
    expect(conv2d(x, f64([[[[1]]], [[[-1]]], [[[2]]], [[[0]]]]), { groups: 2 }).arraySync()).toEqual([[[[1, 2]], [[-1, -2]], [[6, 8]], [[0, 0]]]]);
  });
  it('unbatched [C, H, W] input gives [O, Ho, Wo]', () => {
    const y = conv2d(
      f64([
        [
          [1, 2],
          [3, 4],
        ],
      ]),
      f64([
        [
          [
            [1, 1],
            [1, 1],
          ],
        ],
      ]),
    );
    expect(y.shape).toEqual([1, 1, 1]);
    expect(y.itemSync()).toBe(10);
  });
  it('matches a direct loop over the definition (random geometries, float64 and float32)', () => {
    fc.assert(
      fc.property(geometry(2000), fc.integer(), fc.boolean(), (g, seed, f32) => {
        const xs = [g.n, c(g), ...g.hw];
        const ws = [o(g), g.cinG, ...g.k];
        const xv = randomValues(sizeOf(xs), seed);
        const wv = randomValues(sizeOf(ws), seed + 1);
        const bv = randomValues(o(g), seed + 2);
        const dtype = f32 ? 'float32' : 'float64';
        const ref = refConv2d(xv, xs, wv, ws, g, g.bias ? bv : undefined);
        const y = tidy(() =>
          conv2d(tensor(xv, { shape: xs, dtype }), tensor(wv, { shape: ws, dtype }), { ...opts(g), bias: g.bias ? tensor(bv, { dtype }) : null }),
        );
        expect(y.shape).toEqual(ref.shape);
        const got = flat(y);
        y.dispose();
        const tol = f32 ? 1e-4 : 1e-12;
        ref.data.forEach((v, i) => expect(Math.abs(got[i]! - v)).toBeLessThanOrEqual(tol * (1 + Math.abs(v))));
      }),
      { numRuns: 100 },
    );
  });
});

describe('convTranspose2d: values', () => {
  it('known results (PyTorch layout [Cin, Cout/groups, kh, kw])', () => {
    const x = f64([
      [
        [
          [1, 2],
          [3, 4],
        ],
      ],
    ]);
    const k = ones([1, 1, 2, 2], { dtype: 'float64' });
    expect(convTranspose2d(x, k, { stride: 2 }).arraySync()).toEqual([
      [
        [
          [1, 1, 2, 2],
          [1, 1, 2, 2],
          [3, 3, 4, 4],
          [3, 3, 4, 4],
        ],
      ],
    ]);
    expect(convTranspose2d(x, k).arraySync()).toEqual([
      [
        [
          [1, 3, 2],
          [4, 10, 6],
          [3, 7, 4],
        ],
      ],
    ]);
    // padding crops the full output; outputPadding adds a row/column at the bottom/right
    expect(convTranspose2d(x, k, { padding: 1 }).arraySync()).toEqual([[[[10]]]]);
    expect(convTranspose2d(x, k, { stride: 2, outputPadding: 1 }).arraySync()).toEqual([
      [
        [
          [1, 1, 2, 2, 0],
          [1, 1, 2, 2, 0],
          [3, 3, 4, 4, 0],
          [3, 3, 4, 4, 0],
          [0, 0, 0, 0, 0],
        ],
      ],
    ]);
    // one input channel to two output channels, with bias
    const w2 = f64([[[[1]], [[-1]]]]);
    expect(convTranspose2d(x, w2, { bias: f64([0.5, 1]) }).arraySync()).toEqual([
      [
        [
          [1.5, 2.5],
          [3.5, 4.5],
        ],
        [
          [0, -1],
          [-2, -3],
        ],
      ],
    ]);
  });
  it('output size (H-1)*stride - 2*padding + dilation*(k-1) + outputPadding + 1', () => {
    const x = tensor(new Float64Array(2 * 4 * 5 * 3), { shape: [2, 4, 5, 3], dtype: 'float64' });
    const w = tensor(new Float64Array(4 * 3 * 3 * 2), { shape: [4, 3, 3, 2], dtype: 'float64' });
    const y = convTranspose2d(x, w, { stride: [2, 3], padding: [1, 0], outputPadding: [1, 2], dilation: [1, 2], groups: 2 });
    expect(y.shape).toEqual([2, 6, (5 - 1) * 2 - 2 + 2 + 1 + 1, (3 - 1) * 3 + 2 * 1 + 2 + 1]);
  });
  it('is the adjoint of conv2d: <conv2d(x, w), y> = <x, convTranspose2d(y, w)>', () => {
    const g: Geometry = { n: 2, groups: 2, cinG: 2, coutG: 3, k: [3, 2], stride: [2, 1], padding: [1, 1], dilation: [1, 2], hw: [6, 5], bias: false };
    const x = tensor(randomValues(2 * 4 * 6 * 5, 7), { shape: [2, 4, 6, 5], dtype: 'float64' });
    const w = tensor(randomValues(6 * 2 * 3 * 2, 8), { shape: [6, 2, 3, 2], dtype: 'float64' });
    const cx = conv2d(x, w, opts(g));
    const y = tensor(randomValues(cx.size, 9), { shape: cx.shape, dtype: 'float64' });
    // H = 6 needs outputPadding 1 with stride 2 (6 = (3-1)*2 - 2 + 2 + op + 1)
    const ty = convTranspose2d(y, w, { ...opts(g), outputPadding: [1, 0] });
    expect(ty.shape).toEqual(x.shape);
    expect(cx.mul(y).sum().itemSync()).toBeCloseTo(x.mul(ty).sum().itemSync(), 10);
  });
  it('a 1x1 kernel with output padding: the padded row and column stay 0 (the CPU pointwise path once wrote the plane with the output stride)', () => {
    const x = tensor([0.7, -1.5], { shape: [1, 1, 1, 2], dtype: 'float64' });
    const w = tensor([0.3, -0.5], { shape: [1, 2, 1, 1], dtype: 'float64' });
    const y = convTranspose2d(x, w, { stride: 1, padding: 0, dilation: [2, 2], outputPadding: [1, 1] });
    expect(y.shape).toEqual([1, 2, 2, 3]);
    const v = Array.from(y.dataSync()).map((t) => Math.round(t * 1e12) / 1e12);
    expect(v).toEqual([0.21, -0.45, 0, 0, 0, 0, -0.35, 0.75, 0, 0, 0, 0]);
  });
  it('matches a direct loop over the definition (random geometries)', () => {
    fc.assert(
      fc.property(geometry(2000), fc.integer(), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.nat(), (g, seed, h, w, opSeed) => {
        const op: [number, number] = [opSeed % Math.max(g.stride[0], g.dilation[0]), (opSeed >> 3) % Math.max(g.stride[1], g.dilation[1])];
        const ho = (h - 1) * g.stride[0] - 2 * g.padding[0] + g.dilation[0] * (g.k[0] - 1) + op[0] + 1;
        const wo = (w - 1) * g.stride[1] - 2 * g.padding[1] + g.dilation[1] * (g.k[1] - 1) + op[1] + 1;
        fc.pre(ho >= 1 && wo >= 1);
        const xs = [g.n, c(g), h, w];
        const ws = [c(g), g.coutG, ...g.k];
        const xv = randomValues(sizeOf(xs), seed);
        const wv = randomValues(sizeOf(ws), seed + 1);
        const ref = refConvTranspose2d(xv, xs, wv, ws, g, op);
        const y = convTranspose2d(tensor(xv, { shape: xs, dtype: 'float64' }), tensor(wv, { shape: ws, dtype: 'float64' }), { ...opts(g), outputPadding: op });
        expect(y.shape).toEqual(ref.shape);
        const got = flat(y);
        ref.data.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 10));
      }),
      { numRuns: 100 },
    );
  });
});

describe('conv errors name the op and every shape', () => {
  const x = tensor(new Float64Array(1 * 4 * 5 * 5), { shape: [1, 4, 5, 5], dtype: 'float64' });
  it('channel mismatch (with groups)', () => {
    const w = tensor(new Float64Array(6 * 3 * 3 * 3), { shape: [6, 3, 3, 3], dtype: 'float64' });
    expect(() => conv2d(x, w)).toThrow(ShapeError);
    expect(() => conv2d(x, w)).toThrow(
      /conv2d: the input has 4 channels but weight.shape\[1\] \* groups = 3 \* 1 = 3.*input \[1, 4, 5, 5\], weight \[6, 3, 3, 3\]/,
    );
    const w2 = tensor(new Float64Array(6 * 2 * 3 * 3), { shape: [6, 2, 3, 3], dtype: 'float64' });
    expect(() => conv2d(x, w2, { groups: 3 })).toThrow(/conv2d:.*4 channels.*2 \* 3 = 6.*groups 3/);
    const w3 = tensor(new Float64Array(3 * 2 * 1 * 1), { shape: [3, 2, 1, 1], dtype: 'float64' });
    expect(() => conv2d(x, w3, { groups: 2 })).toThrow(/conv2d: 3 output channels are not divisible by groups = 2/);
  });
  it('kernel larger than the padded input', () => {
    const w = tensor(new Float64Array(1 * 4 * 6 * 3), { shape: [1, 4, 6, 3], dtype: 'float64' });
    expect(() => conv2d(x, w)).toThrow(/conv2d: the \(dilated\) kernel 6x3 is larger than the padded input 5x5.*weight \[1, 4, 6, 3\]/);
    expect(conv2d(x, w, { padding: 1 }).shape).toEqual([1, 1, 2, 5]);
    const w3 = tensor(new Float64Array(1 * 4 * 3 * 3), { shape: [1, 4, 3, 3], dtype: 'float64' });
    expect(() => conv2d(x, w3, { dilation: 3 })).toThrow(/kernel 7x7 is larger than the padded input 5x5/);
  });
  it('ranks, bias shape, dtypes, bad geometry', () => {
    const w = tensor(new Float64Array(2 * 4 * 1 * 1), { shape: [2, 4, 1, 1], dtype: 'float64' });
    expect(() => conv2d(f64([1, 2]), w)).toThrow(/conv2d: expected a 4-D input.*input \[2\]/);
    expect(() => conv2d(x, f64([[1]]))).toThrow(/conv2d: expected a 4-D weight.*weight \[1, 1\]/);
    expect(() => conv2d(x, w, { bias: f64([1, 2, 3]) })).toThrow(/conv2d: bias must have shape \[2\].*bias \[3\]/);
    expect(() => conv2d(x, tensor(new Float32Array(8), { shape: [2, 4, 1, 1] }))).toThrow(DTypeError);
    expect(() => conv2d(x, tensor(new Float32Array(8), { shape: [2, 4, 1, 1] }))).toThrow(
      /conv2d: input and weight.*float64 \[1, 4, 5, 5\].*float32 \[2, 4, 1, 1\]/,
    );
    expect(() => conv2d(x, w, { stride: 0 })).toThrow(ValueError);
    expect(() => conv2d(x, w, { padding: [1, -1] })).toThrow(/conv2d: padding must be an integer >= 0/);
    expect(() => conv2d(x, w, { groups: 1.5 })).toThrow(/conv2d: groups must be a positive integer/);
  });
  it('convTranspose2d errors', () => {
    const w = tensor(new Float64Array(3 * 2 * 3 * 3), { shape: [3, 2, 3, 3], dtype: 'float64' });
    expect(() => convTranspose2d(x, w)).toThrow(
      /convTranspose2d: the input has 4 channels but weight.shape\[0\] is 3.*input \[1, 4, 5, 5\], weight \[3, 2, 3, 3\]/,
    );
    const w4 = tensor(new Float64Array(4 * 2 * 3 * 3), { shape: [4, 2, 3, 3], dtype: 'float64' });
    expect(() => convTranspose2d(x, w4, { stride: 2, outputPadding: 2 })).toThrow(/convTranspose2d: outputPadding must be smaller than stride or dilation/);
    expect(() => convTranspose2d(x, w4, { groups: 3 })).toThrow(/convTranspose2d: 4 input channels are not divisible by groups = 3/);
    expect(() => convTranspose2d(x, w4, { padding: 6 })).toThrow(/convTranspose2d: the output would be -5x-5/);
  });
  it('conv2dWeightGrad checks dy against the conv output size', () => {
    expect(() =>
      conv2dWeightGrad(
        x,
        tensor(new Float64Array(2 * 3 * 4), { shape: [1, 2, 3, 4], dtype: 'float64' }),
        { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 },
        [3, 3],
      ),
    ).toThrow(/conv2dWeightGrad: dy must be 3x3.*dy \[1, 2, 3, 4\]/);
  });
});

describe('conv memory', () => {
  it('forward + double backward leave nothing behind', () => {
    const before = memory().tensors;
    const x = f64(
      [
        [
          [
            [1, 2, 3],
            [4, 5, 6],
            [7, 8, 9],
          ],
        ],
      ],
      true,
    );
    const w = f64(
      [
        [
          [
            [1, -1],
            [2, 0.5],
          ],
        ],
      ],
      true,
    );
    tidy(() => {
      const y = conv2d(x, w, { padding: 1, bias: f64([0.1]) });
      const [gx] = gradients(y.mul(y).sum(), [x], { createGraph: true });
      gx!.mul(gx!).sum().backward();
    });
    expect(w.grad).not.toBeNull();
    x.dispose();
    w.dispose();
    expect(memory().tensors).toBe(before);
  });
});
