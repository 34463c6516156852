/**
 * Colour: sRGB <-> Lab, deltaE (CIE76, CIE94, CIEDE2000), colour angle, blurred-colour and edge losses.
 *
 * References:
 * - CIEDE2000: the 34 test pairs of Sharma, Wu and Dalal (2005), "The CIEDE2000 color-difference
 *   formula: implementation notes, supplementary test data, and mathematical observations",
 *   Color Research and Application 30(1):21-30, table 1 (ciede2000testdata.txt from
 *   http://www2.ece.rochester.edu/~gsharma/ciede2000/), typed in below; published to 4 decimals,
 *   checked to 1e-4.
 * - CIE94 (graphic arts) of Sharma's pair 1: 1.3950 (hand-computed: C1 = 79.8200, C2 = 82.7485,
 *   dC = -2.9285, dH^2 = 2 (C1 C2 - a1 a2 - b1 b2), SC = 1 + 0.045 C1, SH = 1 + 0.015 C1).
 * - rgbToLab: hand-computed from the sRGB (IEC 61966-2-1) / CIE formulas with scikit-image's
 *   constants (its rgb2lab gives the same); sRGB red is the well-known (53.24, 80.09, 67.20).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gradients, tensor, tidy, type Tensor } from '@pixgrad/core';
import { propertyGradcheck, specOf, type TensorSpec } from '@pixgrad/core/testing';
import { blurColorLoss, colorAngleLoss, deltaE, edgeLoss, edgeMask, labToRgb, rgbToLab } from '@pixgrad/losses';

const px = (v: number[], dtype: 'float64' | 'float32' = 'float64') => tensor(v, { shape: [1, 3, 1, 1], dtype });
/** Lab pairs as [N, 3, 1, 1] tensors */
const labs = (rows: number[][]) => tensor(rows.flat(), { shape: [rows.length, 3, 1, 1], dtype: 'float64' });

// L1 a1 b1 L2 a2 b2 dE00 (Sharma, Wu and Dalal 2005, table 1)
const SHARMA = [
  [50.0, 2.6772, -79.7751, 50.0, 0.0, -82.7485, 2.0425],
  [50.0, 3.1571, -77.2803, 50.0, 0.0, -82.7485, 2.8615],
  [50.0, 2.8361, -74.02, 50.0, 0.0, -82.7485, 3.4412],
  [50.0, -1.3802, -84.2814, 50.0, 0.0, -82.7485, 1.0],
  [50.0, -1.1848, -84.8006, 50.0, 0.0, -82.7485, 1.0],
  [50.0, -0.9009, -85.5211, 50.0, 0.0, -82.7485, 1.0],
  [50.0, 0.0, 0.0, 50.0, -1.0, 2.0, 2.3669],
  [50.0, -1.0, 2.0, 50.0, 0.0, 0.0, 2.3669],
  [50.0, 2.49, -0.001, 50.0, -2.49, 0.0009, 7.1792],
  [50.0, 2.49, -0.001, 50.0, -2.49, 0.001, 7.1792],
  [50.0, 2.49, -0.001, 50.0, -2.49, 0.0011, 7.2195],
  [50.0, 2.49, -0.001, 50.0, -2.49, 0.0012, 7.2195],
  [50.0, -0.001, 2.49, 50.0, 0.0009, -2.49, 4.8045],
  [50.0, -0.001, 2.49, 50.0, 0.001, -2.49, 4.8045],
  [50.0, -0.001, 2.49, 50.0, 0.0011, -2.49, 4.7461],
  [50.0, 2.5, 0.0, 50.0, 0.0, -2.5, 4.3065],
  [50.0, 2.5, 0.0, 73.0, 25.0, -18.0, 27.1492],
  [50.0, 2.5, 0.0, 61.0, -5.0, 29.0, 22.8977],
  [50.0, 2.5, 0.0, 56.0, -27.0, -3.0, 31.903],
  [50.0, 2.5, 0.0, 58.0, 24.0, 15.0, 19.4535],
  [50.0, 2.5, 0.0, 50.0, 3.1736, 0.5854, 1.0],
  [50.0, 2.5, 0.0, 50.0, 3.2972, 0.0, 1.0],
  [50.0, 2.5, 0.0, 50.0, 1.8634, 0.5757, 1.0],
  [50.0, 2.5, 0.0, 50.0, 3.2592, 0.335, 1.0],
  [60.2574, -34.0099, 36.2677, 60.4626, -34.1751, 39.4387, 1.2644],
  [63.0109, -31.0961, -5.8663, 62.8187, -29.7946, -4.0864, 1.263],
  [61.2901, 3.7196, -5.3901, 61.4292, 2.248, -4.962, 1.8731],
  [35.0831, -44.1164, 3.7933, 35.0232, -40.0716, 1.5901, 1.8645],
  [22.7233, 20.0904, -46.694, 23.0331, 14.973, -42.5619, 2.0373],
  [36.4612, 47.858, 18.3852, 36.2715, 50.5065, 21.2231, 1.4146],
  [90.8027, -2.0831, 1.441, 91.1528, -1.6435, 0.0447, 1.4441],
  [90.9257, -0.5406, -0.9208, 88.6381, -0.8985, -0.7239, 1.5381],
  [6.7747, -0.2908, -2.4247, 5.8714, -0.0985, -2.2286, 0.6377],
  [2.0776, 0.0795, -1.135, 0.9033, -0.0636, -0.5514, 0.9082],
];

describe('rgbToLab / labToRgb', () => {
  it('matches hand-computed CIELAB values (sRGB, D65, 2 degrees)', () => {
    const cases: [number[], number[]][] = [
      [
        [1, 0, 0],
        [53.2405879437449, 80.0923082256922, 67.2027510444287],
      ],
      [
        [0, 1, 0],
        [87.73509948831895, -86.18302974439501, 83.17970317538452],
      ],
      [
        [0, 0, 1],
        [32.29567256501351, 79.18559091176556, -107.85730020669489],
      ],
      [
        [1, 1, 1],
        [100, -0.0024549378620508655, 0.004653421154054982],
      ],
      [
        [0.2, 0.4, 0.6],
        [42.008000589382185, -0.15404119847206577, -32.842897418997154],
      ],
      [
        [0.01, 0.02, 0.03],
        [1.3000601055498215, -0.31235176290218825, -1.199770701604591],
      ], // linear sRGB and linear f branches
      [
        [0, 0, 0],
        [0, 0, 0],
      ],
    ];
    for (const [rgb, lab] of cases) {
      const got = rgbToLab(px(rgb)).dataSync();
      lab.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 9));
    }
  });

  it('labToRgb inverts rgbToLab (float64 to 1e-12, float32 to 1e-5)', () => {
    const vals = Array.from({ length: 3 * 20 }, (_, i) => ((i * 37) % 101) / 100);
    for (const dtype of ['float64', 'float32'] as const) {
      const x = tensor(vals, { shape: [2, 3, 2, 5], dtype });
      const back = labToRgb(rgbToLab(x)).dataSync();
      const tol = dtype === 'float64' ? 1e-12 : 1e-5;
      vals.forEach((v, i) => expect(Math.abs(back[i]! - v)).toBeLessThan(tol));
    }
  });

  it('rejects inputs that are not [N, 3, H, W]', () => {
    expect(() => rgbToLab(tensor([1, 2], { shape: [1, 2, 1, 1] }))).toThrow(/rgbToLab.*\[N, 3, H, W\].*\[1, 2, 1, 1\]/);
  });

  it('gradcheck (values away from the 0.04045 and (6/29)^3 kinks)', () => {
    const shape = fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 })).map(([n, h, w]) => [n, 3, h, w]);
    propertyGradcheck(
      'rgbToLab',
      shape.chain((s) => specOf(s, { min: 0, max: 1, kinks: [0.04045], margin: 1e-3 })).map((a) => [a]),
      (x: Tensor) => rgbToLab(x),
      { numRuns: 30, gradgrad: false },
    );
    const lab = shape.chain((s) => {
      const n = s.reduce((a, b) => a * b, 1) / 3;
      const per = fc.tuple(
        fc.double({ min: 30, max: 80, noNaN: true }),
        fc.double({ min: -30, max: 30, noNaN: true }),
        fc.double({ min: -30, max: 30, noNaN: true }),
      );
      return fc.array(per, { minLength: n, maxLength: n }).map((ps) => [toNCHW(s, ps)]);
    });
    propertyGradcheck('labToRgb', lab, (x: Tensor) => labToRgb(x), { numRuns: 30, gradgrad: false });
  });
});

/** [N, 3, H, W] spec from per-pixel triples listed pixel by pixel (n-major, then h, w). */
function toNCHW(shape: number[], pixels: number[][]): TensorSpec {
  const [N, , H, W] = shape as [number, number, number, number];
  const values = new Array<number>(N * 3 * H * W);
  pixels.forEach((p, k) => {
    const n = Math.floor(k / (H * W));
    const r = k % (H * W);
    for (let c = 0; c < 3; c++) values[(n * 3 + c) * H * W + r] = p[c]!;
  });
  return { shape, values };
}

describe('deltaE', () => {
  it('CIEDE2000 reproduces the 34 pairs of Sharma, Wu and Dalal (2005) to 1e-4', () => {
    const d = deltaE(labs(SHARMA.map((r) => r.slice(0, 3))), labs(SHARMA.map((r) => r.slice(3, 6))), { formula: 'ciede2000', reduction: 'none' });
    expect(d.shape).toEqual([34, 1, 1]);
    const got = d.dataSync();
    SHARMA.forEach((r, i) => expect(Math.abs(got[i]! - r[6]!), `pair ${i + 1}`).toBeLessThan(1e-4));
    // float32 too, at a looser tolerance
    const d32 = deltaE(labs(SHARMA.map((r) => r.slice(0, 3))).cast('float32'), labs(SHARMA.map((r) => r.slice(3, 6))).cast('float32'), {
      reduction: 'none',
    }).dataSync();
    SHARMA.forEach((r, i) => expect(Math.abs(d32[i]! - r[6]!), `pair ${i + 1} float32`).toBeLessThan(1e-3));
  });

  it('CIE76 is the Euclidean distance; CIE94 of pair 1 is 1.3950; reductions', () => {
    const a = labs([
      [50, 2.6772, -79.7751],
      [50, 0, 0],
    ]);
    const b = labs([
      [50, 0, -82.7485],
      [53, 4, 0],
    ]);
    const d76 = deltaE(a, b, { formula: 'cie76', reduction: 'none' }).dataSync();
    expect(d76[0]).toBeCloseTo(Math.hypot(2.6772, -79.7751 + 82.7485), 12);
    expect(d76[1]).toBeCloseTo(5, 12);
    const d94 = deltaE(a, b, { formula: 'cie94', reduction: 'none' }).dataSync();
    expect(Math.abs(d94[0]! - 1.395)).toBeLessThan(1e-4);
    // textiles: kL = 2 halves the lightness term; a pure lightness step of 3 gives 1.5
    expect(deltaE(labs([[50, 0, 0]]), labs([[53, 0, 0]]), { formula: 'cie94', application: 'textiles' }).itemSync()).toBeCloseTo(1.5, 12);
    expect(deltaE(a, b, { formula: 'cie76' }).itemSync()).toBeCloseTo((d76[0]! + d76[1]!) / 2, 12);
    expect(deltaE(a, b, { formula: 'cie76', reduction: 'sum' }).itemSync()).toBeCloseTo(d76[0]! + d76[1]!, 12);
    // kL, kC, kH scale their terms: a pure lightness difference divides by kL
    const l = deltaE(labs([[40, 0, 0]]), labs([[44, 0, 0]]), { formula: 'ciede2000' }).itemSync();
    expect(deltaE(labs([[40, 0, 0]]), labs([[44, 0, 0]]), { formula: 'ciede2000', kL: 2 }).itemSync()).toBeCloseTo(l / 2, 12);
  });

  it('gradients are finite at C = 0, at identical colours and across the hue wrap', () => {
    for (const formula of ['cie76', 'cie94', 'ciede2000'] as const) {
      const a = labs([
        [50, 0, 0],
        [50, 10, 10],
        [60, 0, 0],
        [50, 20, 1e-9],
      ]);
      const b = labs([
        [50, -1, 2],
        [50, 10, 10],
        [55, 0, 0],
        [50, 20, -1e-9],
      ]);
      a.requiresGrad = true;
      b.requiresGrad = true;
      const [ga, gb] = gradients(deltaE(a, b, { formula, reduction: 'sum' }), [a, b]);
      for (const v of [...ga!.dataSync(), ...gb!.dataSync()]) expect(Number.isFinite(v), formula).toBe(true);
      // identical colours: zero gradient (the zero subgradient of the distance at 0)
      expect([3, 4, 5].map((i) => ga!.dataSync()[i])).toEqual([0, 0, 0]);
    }
  });

  // Lab pairs for gradcheck: chroma >= 0.5 unless forced grey, hues away from the 180-degree
  // discontinuity of CIEDE2000 (checked on the primed hues).
  const hueP = (a1: number, b1: number, a2: number, b2: number): number => {
    const cbar = (Math.hypot(a1, b1) + Math.hypot(a2, b2)) / 2;
    const G = 0.5 * (1 - Math.sqrt(cbar ** 7 / (cbar ** 7 + 25 ** 7)));
    const h = (a: number, b: number) => ((Math.atan2(b, (1 + G) * a) * 180) / Math.PI + 360) % 360;
    const d = Math.abs(h(a1, b1) - h(a2, b2));
    return Math.min(d, 360 - d);
  };
  const colour = fc.tuple(
    fc.double({ min: 5, max: 95, noNaN: true }),
    fc.double({ min: -60, max: 60, noNaN: true }),
    fc.double({ min: -60, max: 60, noNaN: true }),
  );
  const pairArb = (identical: boolean) =>
    fc
      .oneof(
        { arbitrary: fc.tuple(colour, colour), weight: 5 },
        // identical colours
        { arbitrary: colour.map((c) => [c, [...c]] as [number[], number[]]), weight: identical ? 1 : 0 },
        // across the hue wrap: b on both sides of 0 with a > 0
        {
          arbitrary: fc
            .tuple(
              fc.double({ min: 5, max: 95, noNaN: true }),
              fc.double({ min: 5, max: 40, noNaN: true }),
              fc.double({ min: 0.01, max: 2, noNaN: true }),
              fc.double({ min: 5, max: 95, noNaN: true }),
              fc.double({ min: 5, max: 40, noNaN: true }),
              fc.double({ min: 0.01, max: 2, noNaN: true }),
            )
            .map(
              ([L1, a1, b1, L2, a2, b2]) =>
                [
                  [L1, a1, b1],
                  [L2, a2, -b2],
                ] as [number[], number[]],
            ),
          weight: 2,
        },
        // both grey (C = 0): lightness term only
        {
          arbitrary: fc
            .tuple(fc.double({ min: 5, max: 95, noNaN: true }), fc.double({ min: 5, max: 95, noNaN: true }))
            .filter(([p, q]) => Math.abs(p - q) > 0.1)
            .map(
              ([p, q]) =>
                [
                  [p, 0, 0],
                  [q, 0, 0],
                ] as [number[], number[]],
            ),
          weight: 1,
        },
      )
      .filter(([c1, c2]) => {
        const grey = c1[1] === 0 && c1[2] === 0 && c2[1] === 0 && c2[2] === 0;
        if (grey) return true;
        const same = c1.every((v, i) => v === c2[i]);
        // identical colours sit on the kink of the distance at 0; central differences read 0 there only
        // up to eps times the curvature, which grows as 1/C: keep their chroma >= 5
        if (same) return Math.hypot(c1[1]!, c1[2]!) > 5;
        // nearly identical colours are next to that kink: a central difference whose step (1e-6)
        // straddles it reads a wrong slope, so distinct colours stay >= 0.01 apart in Lab
        if (Math.hypot(c1[0]! - c2[0]!, c1[1]! - c2[1]!, c1[2]! - c2[2]!) < 0.01) return false;
        return Math.hypot(c1[1]!, c1[2]!) > 0.5 && Math.hypot(c2[1]!, c2[2]!) > 0.5 && hueP(c1[1]!, c1[2]!, c2[1]!, c2[2]!) < 175;
      });
  const inputs = (identical: boolean) =>
    fc.array(pairArb(identical), { minLength: 1, maxLength: 3 }).map((ps) => [
      toNCHW(
        [ps.length, 3, 1, 1],
        ps.map((p) => p[0]),
      ),
      toNCHW(
        [ps.length, 3, 1, 1],
        ps.map((p) => p[1]),
      ),
    ]);

  for (const formula of ['cie76', 'cie94', 'ciede2000'] as const) {
    // CIE94's dH^2 = 2 (C1 C2 - a1 a2 - b1 b2) cancels to rounding noise (~1e-14) at identical
    // colours, which is as large as the eps^2 ~ 1e-12 that central differences probe: there its
    // zero gradient is asserted directly (above) instead of by finite differences
    const identical = formula !== 'cie94';
    it(`gradcheck ${formula} (${identical ? 'incl. identical colours, ' : ''}hue wrap, greys)`, () => {
      propertyGradcheck(`deltaE ${formula}`, inputs(identical), (a: Tensor, b: Tensor) => deltaE(a, b, { formula, reduction: 'sum' }), {
        numRuns: 40,
        gradgrad: false,
      });
    });
  }
});

describe('colour losses', () => {
  it('colorAngleLoss: hand-computed angles; 0 for parallel colours and black', () => {
    const x = tensor([1, 1, 1, 0, 0, 0, 0, 0, 0], { shape: [1, 3, 1, 3], dtype: 'float64' }); // red, green... per pixel
    // pixels: (1,0,0), (1,0,0), (1,0,0) vs (0,1,0), (2,0,0), (1,1,0)
    const y = tensor([0, 2, 1, 1, 0, 1, 0, 0, 0], { shape: [1, 3, 1, 3], dtype: 'float64' });
    const a = colorAngleLoss(x, y, { reduction: 'none', degrees: true }).dataSync();
    expect(a[0]).toBeCloseTo(90, 12);
    expect(a[1]).toBeCloseTo(0, 12);
    expect(a[2]).toBeCloseTo(45, 12);
    expect(colorAngleLoss(px([0, 0, 0]), px([0.2, 0.3, 0.4])).itemSync()).toBe(0);
  });

  it('blurColorLoss: a constant shift survives blurring (reflect borders), zero padding blurs it at the border', () => {
    const x = tensor(
      Array.from({ length: 3 * 36 }, (_, i) => (i % 7) / 7),
      { shape: [1, 3, 6, 6], dtype: 'float64' },
    );
    // blur is linear and normalised: blur(x + c) - blur(x) = c away from zero padding
    expect(blurColorLoss(x.add(0.1), x, { kernelSize: 5, sigma: 1, padding: 'reflect' }).itemSync()).toBeCloseTo(0.01, 12);
    expect(blurColorLoss(x.add(0.1), x, { kernelSize: 5, sigma: 1 }).itemSync()).toBeLessThan(0.01);
    expect(blurColorLoss(x, x).itemSync()).toBe(0);
  });

  it('edgeLoss: only pixels next to a step of the target count; no edges gives 0', () => {
    // target: a vertical step 0 -> 1 between columns 1 and 2 of a 4x4 image
    const t = tensor([0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1], { shape: [1, 1, 4, 4], dtype: 'float64' });
    const mask = edgeMask(t).dataSync();
    // normalised Sobel magnitude is 1 in columns 1 and 2, 0 in columns 0 and 3
    expect(Array.from(mask)).toEqual([0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0]);
    const x = t.add(tensor([0.5, 0.1, 0.2, 0.5], { shape: [1, 1, 1, 4], dtype: 'float64' }));
    expect(edgeLoss(x, t).itemSync()).toBeCloseTo(0.15, 12); // mean of |d| over columns 1 and 2
    const flat = tensor(Array(16).fill(0.3), { shape: [1, 1, 4, 4], dtype: 'float64' });
    expect(edgeLoss(x, flat).itemSync()).toBe(0);
  });

  it('gradcheck colorAngleLoss (incl. parallel colours), blurColorLoss and edgeLoss', () => {
    const s = fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })).map(([n, h, w]) => [n, 3, h, w]);
    const two = s.chain((sh) => fc.tuple(specOf(sh, { min: 0.05, max: 1, tiny: false }), specOf(sh, { min: 0.05, max: 1, tiny: false }), fc.boolean()));
    // each pixel pair is either exactly parallel (y = 2x: the kink) or at least 0.01 rad apart
    const angleInputs = two.map(([a, b, par]) => {
      const P = a.values.length / 3;
      const yv = [...b.values];
      for (let p = 0; p < P; p++) {
        const n = Math.floor(p / (P / a.shape[0]!));
        const r = p % (P / a.shape[0]!);
        const at = (c: number) => (n * 3 + c) * (P / a.shape[0]!) + r;
        const u = [0, 1, 2].map((c) => a.values[at(c)]!);
        const v = [0, 1, 2].map((c) => yv[at(c)]!);
        const cos = (u[0]! * v[0]! + u[1]! * v[1]! + u[2]! * v[2]!) / (Math.hypot(...u) * Math.hypot(...v));
        if (par || Math.acos(Math.min(1, cos)) < 0.01) for (let c = 0; c < 3; c++) yv[at(c)] = 2 * u[c]!;
      }
      return [a, { ...b, values: yv }];
    });
    propertyGradcheck('colorAngleLoss', angleInputs, (x: Tensor, y: Tensor) => colorAngleLoss(x, y), {
      numRuns: 30,
      gradgrad: false,
      // parallel colours sit on the |.|-like kink of the angle at 0: there the analytic gradient is
      // the zero subgradient and central differences read 0 only up to ~1e-5 (eps times curvature)
      atol: 1e-4,
    });
    const img = fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 3, max: 5 }), fc.integer({ min: 3, max: 5 })).map(([c, h, w]) => [1, c, h, w]);
    propertyGradcheck(
      'blurColorLoss',
      img.chain((sh) => fc.tuple(specOf(sh), specOf(sh))),
      (x: Tensor, y: Tensor) => tidy(() => blurColorLoss(x, y, { kernelSize: 3, sigma: 1 }).add(blurColorLoss(x, y, { kernelSize: 3, padding: 'reflect' }))),
      { numRuns: 25, gradgrad: false },
    );
    // the mask is a constant of the target; |x - y| kept away from its kink at 0
    const edgeIn = img
      .chain((sh) =>
        fc.tuple(
          specOf(sh, { min: 0, max: 1 }),
          specOf(sh, { min: 0.01, max: 1 }),
          fc.array(fc.boolean(), { minLength: sh.reduce((a, b) => a * b, 1), maxLength: sh.reduce((a, b) => a * b, 1) }),
        ),
      )
      .map(([t, d, sg]) => [
        { ...t, values: t.values.map((v, i) => v + (sg[i] ? 1 : -1) * d.values[i]!) },
        { ...t, requiresGrad: false },
      ]);
    propertyGradcheck('edgeLoss', edgeIn, (x: Tensor, y: Tensor) => tidy(() => edgeLoss(x, y).add(edgeLoss(x, y, { loss: 'mse', threshold: 0.05 }))), {
      numRuns: 25,
      gradgrad: false,
    });
  });
});
