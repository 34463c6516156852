/**
 * An independent float64 implementation of the LPIPS reference's formula
 * (richzhang/PerceptualSimilarity) with plain loops, for the lpips tests: torch.nn.Conv2d (general
 * strided, padded, plus bias), ReLU, 2x2 and 3/2 (optionally ceil-mode) max pools, channel
 * concatenation, the scaling layer, unit-normalisation with eps on the norm, 1x1 heads, spatial
 * mean or PyTorch-bilinear upsampling. It imports nothing from the library (types only): the
 * backbones' layer sequences are written out in each test from torchvision's definitions.
 */
import type { Tensor } from '@pixgrad/core';

/** One image [c, h, w], row-major. */
export interface Img {
  c: number;
  h: number;
  w: number;
  d: Float64Array;
}

/** torch.nn.Conv2d: out = floor((n + 2p - k) / s) + 1, zero padding, plus bias. */
export function conv(x: Img, wt: ArrayLike<number>, b: ArrayLike<number>, cout: number, k: number, s: number, p: number): Img {
  const ho = Math.floor((x.h + 2 * p - k) / s) + 1;
  const wo = Math.floor((x.w + 2 * p - k) / s) + 1;
  const out = new Float64Array(cout * ho * wo);
  for (let o = 0; o < cout; o++)
    for (let i = 0; i < ho; i++)
      for (let j = 0; j < wo; j++) {
        let acc = b[o]!;
        for (let ci = 0; ci < x.c; ci++)
          for (let a = 0; a < k; a++) {
            const ii = i * s + a - p;
            if (ii < 0 || ii >= x.h) continue;
            for (let bb = 0; bb < k; bb++) {
              const jj = j * s + bb - p;
              if (jj < 0 || jj >= x.w) continue;
              acc += x.d[(ci * x.h + ii) * x.w + jj]! * wt[((o * x.c + ci) * k + a) * k + bb]!;
            }
          }
        out[(o * ho + i) * wo + j] = acc;
      }
  return { c: cout, h: ho, w: wo, d: out };
}

export const relu = (x: Img): Img => ({ ...x, d: x.d.map((v) => Math.max(v, 0)) });

/** torch.nn.MaxPool2d(2, 2). */
export function pool2(x: Img): Img {
  const h = Math.floor(x.h / 2);
  const w = Math.floor(x.w / 2);
  const out = new Float64Array(x.c * h * w);
  for (let c = 0; c < x.c; c++)
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++) {
        const at = (a: number, b: number) => x.d[(c * x.h + 2 * i + a) * x.w + 2 * j + b]!;
        out[(c * h + i) * w + j] = Math.max(at(0, 0), at(0, 1), at(1, 0), at(1, 1));
      }
  return { c: x.c, h, w, d: out };
}

/** torch.nn.MaxPool2d(3, 2, ceil_mode): with ceil the last window may run past the edge (it must start inside). */
export function pool3s2(x: Img, ceil: boolean): Img {
  const size = (n: number) => {
    let o = (ceil ? Math.ceil((n - 3) / 2) : Math.floor((n - 3) / 2)) + 1;
    if (ceil && (o - 1) * 2 >= n) o--;
    return o;
  };
  const ho = size(x.h);
  const wo = size(x.w);
  const out = new Float64Array(x.c * ho * wo);
  for (let c = 0; c < x.c; c++)
    for (let i = 0; i < ho; i++)
      for (let j = 0; j < wo; j++) {
        let m = -Infinity;
        for (let a = 0; a < 3; a++)
          for (let b = 0; b < 3; b++) {
            const ii = 2 * i + a;
            const jj = 2 * j + b;
            if (ii < x.h && jj < x.w) m = Math.max(m, x.d[(c * x.h + ii) * x.w + jj]!);
          }
        out[(c * ho + i) * wo + j] = m;
      }
  return { c: x.c, h: ho, w: wo, d: out };
}

/** Channel concatenation (torch.cat(dim=1) of one image each). */
export const cat = (a: Img, b: Img): Img => {
  const d = new Float64Array(a.d.length + b.d.length);
  d.set(a.d);
  d.set(b.d, a.d.length);
  return { c: a.c + b.c, h: a.h, w: a.w, d };
};

function unitNorm(f: Img): Img {
  const out = new Float64Array(f.d.length);
  const hw = f.h * f.w;
  for (let q = 0; q < hw; q++) {
    let s = 0;
    for (let c = 0; c < f.c; c++) s += f.d[c * hw + q]! ** 2;
    const n = Math.sqrt(s) + 1e-10;
    for (let c = 0; c < f.c; c++) out[c * hw + q] = f.d[c * hw + q]! / n;
  }
  return { ...f, d: out };
}

/** PyTorch bilinear, align_corners=False, one [h, w] map to [H, W]. */
function upsample(m: Float64Array, h: number, w: number, H: number, W: number): Float64Array {
  const taps = (inS: number, outS: number, d: number) => {
    const src = Math.max((d + 0.5) * (inS / outS) - 0.5, 0);
    const i0 = Math.min(Math.floor(src), inS - 1);
    const i1 = i0 < inS - 1 ? i0 + 1 : i0;
    const l = src - i0;
    return [i0, i1, 1 - l, l] as const;
  };
  const out = new Float64Array(H * W);
  for (let i = 0; i < H; i++) {
    const [a0, a1, wa0, wa1] = taps(h, H, i);
    for (let j = 0; j < W; j++) {
      const [b0, b1, wb0, wb1] = taps(w, W, j);
      out[i * W + j] = wa0 * (wb0 * m[a0 * w + b0]! + wb1 * m[a0 * w + b1]!) + wa1 * (wb0 * m[a1 * w + b0]! + wb1 * m[a1 * w + b1]!);
    }
  }
  return out;
}

/**
 * LPIPS of one image pair ([3, H, W] values in [-1, 1]) given the backbone's taps as a function of
 * the scaled image and the heads' 1x1 weights (one per tap); scalar, or the [H, W] map when spatial.
 */
export function lpipsFormula(
  taps: (x: Img) => Img[],
  headWeights: (k: number) => ArrayLike<number>,
  a: Img,
  b: Img,
  version: '0.1' | '0.0',
  spatial: boolean,
): number | Float64Array {
  const shift = [-0.03, -0.088, -0.188];
  const scale = [0.458, 0.448, 0.45];
  const prep = (x: Img): Img => {
    if (version === '0.0') return x;
    const hw = x.h * x.w;
    return { ...x, d: x.d.map((v, i) => (v - shift[Math.floor(i / hw)]!) / scale[Math.floor(i / hw)]!) };
  };
  const t0 = taps(prep(a));
  const t1 = taps(prep(b));
  let total = 0;
  const map = new Float64Array(a.h * a.w);
  t0.forEach((f0, k) => {
    const n0 = unitNorm(f0);
    const n1 = unitNorm(t1[k]!);
    const w = headWeights(k);
    const hw = f0.h * f0.w;
    const lin = new Float64Array(hw);
    for (let q = 0; q < hw; q++) for (let c = 0; c < f0.c; c++) lin[q]! += w[c]! * (n0.d[c * hw + q]! - n1.d[c * hw + q]!) ** 2;
    if (spatial) upsample(lin, f0.h, f0.w, a.h, a.w).forEach((v, i) => (map[i]! += v));
    else total += lin.reduce((s, v) => s + v, 0) / hw;
  });
  return spatial ? map : total;
}

/** Image n of a [N, C, H, W] tensor as float64. */
export const toImg = (t: Tensor, n = 0): Img => {
  const [, c, h, w] = t.shape as [number, number, number, number];
  return { c, h, w, d: Float64Array.from(t.dataSync().slice(n * c * h * w, (n + 1) * c * h * w)) };
};
