/**
 * SSIM (Wang, Bovik, Sheikh and Simoncelli 2004, "Image quality assessment: from error visibility
 * to structural similarity", IEEE TIP 13(4)) and MS-SSIM (Wang, Simoncelli and Bovik 2003,
 * "Multiscale structural similarity for image quality assessment", Asilomar).
 */
import { type Tensor, ValueError, avgPool2d, concat, tidy } from '@pixgrad/core';
import { type Reduction, checkImage, checkReduction, checkSameShape, gaussian1d, matlabDownsample, pad2d, separableFilter } from './util.js';

export interface SsimOptions {
  /** range of the pixel values, L in C1 = (K1 L)^2, C2 = (K2 L)^2; default 1 (images in [0, 1]) */
  dataRange?: number;
  /** Gaussian window size, default 11 */
  winSize?: number;
  /** Gaussian window sigma, default 1.5 */
  sigma?: number;
  /** [K1, K2], default [0.01, 0.03] */
  K?: [number, number];
  /**
   * Borders: 'valid' (default; the map only where the window fits, (H-10) x (W-10) for 11x11, as
   * MATLAB's filter2(..., 'valid') in ssim.m), or a same-size map from padded images: 'reflect'
   * (PyTorch/numpy reflect, edge not repeated: d c b | a b c d) or 'symmetric' (MATLAB/ndimage
   * 'reflect', edge repeated: c b a | a b c).
   */
  padding?: 'valid' | 'reflect' | 'symmetric';
  /**
   * MATLAB ssim.m's automatic downsampling (Wang's 2009 version of ssim.m), off by default:
   * f = max(1, round(min(H, W) / 256)); when f > 1 both images are averaged with an f x f box
   * filter ('symmetric' borders) and subsampled by f before SSIM. Needed to reproduce the numbers
   * ssim.m publishes for images larger than about 384 px; a no-op for 256x256 images.
   */
  downsample?: boolean;
  /** 'mean' (default) over the images, 'sum', or 'none' for one value per image, shape [N] */
  reduction?: Reduction;
  /** also return the SSIM map [N, C, H', W'] (the `full=True` of skimage) */
  returnMap?: boolean;
}

interface Resolved {
  g: number[];
  C1: number;
  C2: number;
  padding: 'valid' | 'reflect' | 'symmetric';
}

function resolve(op: string, x: Tensor, y: Tensor, opts: SsimOptions): Resolved {
  checkImage(op, x);
  checkSameShape(op, x, y);
  const L = opts.dataRange ?? 1;
  if (!(L > 0)) throw new ValueError(`${op}: dataRange must be > 0, got ${L}`);
  const winSize = opts.winSize ?? 11;
  if (!Number.isInteger(winSize) || winSize < 1 || winSize % 2 === 0) {
    throw new ValueError(`${op}: winSize must be an odd positive integer, got ${winSize}`);
  }
  const [K1, K2] = opts.K ?? [0.01, 0.03];
  if (!(K1 > 0 && K2 > 0)) throw new ValueError(`${op}: K1 and K2 must be > 0, got [${K1}, ${K2}]`);
  const padding = opts.padding ?? 'valid';
  if (!['valid', 'reflect', 'symmetric'].includes(padding)) {
    throw new ValueError(`${op}: padding must be 'valid', 'reflect' or 'symmetric', got ${JSON.stringify(padding)}`);
  }
  return { g: gaussian1d(winSize, opts.sigma ?? 1.5), C1: (K1 * L) ** 2, C2: (K2 * L) ** 2, padding };
}

/** pixels per plane from which SSIM filters one channel at a time (about a 1024x1024 image) */
const LARGE_PLANE = 1 << 20;

/** The SSIM map and the contrast-structure map (the cs term of MS-SSIM) of two images. */
function ssimMaps(op: string, x: Tensor, y: Tensor, r: Resolved): { ssim: Tensor; cs: Tensor } {
  const k = r.g.length;
  const [H, W] = [x.shape[2]!, x.shape[3]!];
  if (r.padding === 'valid' && (H < k || W < k)) {
    throw new ValueError(`${op}: images [${x.shape.join(', ')}] are smaller than the ${k}x${k} window ('valid' borders)`);
  }
  const C = x.shape[1]!;
  // a large multi-channel image one channel at a time: the channels' moments are independent, and
  // the stacked moments of all of them (5C planes, then two filtered copies) were the peak memory
  // of `pixgrad compare` at 1080p (370 MB); per channel it is a third of that
  if (C > 1 && H * W >= LARGE_PLANE) {
    // (tidy per channel: a channel's intermediates are gone before the next one starts)
    const maps = Array.from({ length: C }, (_, c) =>
      tidy(() => {
        const m = ssimMaps(op, x.slice([null, [c, c + 1]]), y.slice([null, [c, c + 1]]), r);
        return [m.ssim, m.cs] as const;
      }),
    );
    const joined = {
      ssim: concat(
        maps.map((m) => m[0]),
        1,
      ),
      cs: concat(
        maps.map((m) => m[1]),
        1,
      ),
    };
    for (const m of maps) for (const t of m) t.dispose();
    return joined;
  }
  const p = (k - 1) / 2;
  const prep = (t: Tensor) => (r.padding === 'valid' ? t : pad2d(t, p, r.padding));
  const xp = prep(x);
  const yp = prep(y);
  // the five local moments in one separable filter over a stacked [N, 5C, H, W] tensor: two
  // convolutions instead of ten (on WebGPU, 2 dispatches instead of 10, each over more channels)
  // (each stage frees what it no longer needs: at 1080p a stage is 125 MB, and this is the peak
  // memory of `pixgrad compare`; a recorded graph keeps what its backward needs regardless)
  const products = [xp.square(), yp.square(), xp.mul(yp)];
  const stack = concat([xp, yp, ...products], 1);
  for (const t of products) t.dispose();
  const moments = separableFilter(stack, r.g, r.g, [0, 0], true);
  const [mu1, mu2, e11, e22, e12] = [0, 1, 2, 3, 4].map((m) => moments.slice([null, [m * C, (m + 1) * C]]));
  const mu11 = mu1!.square();
  const mu22 = mu2!.square();
  const mu12 = mu1!.mul(mu2!);
  // population (biased) local variances and covariance: E[x^2] - E[x]^2 under the window
  const s11 = e11!.sub(mu11);
  const s22 = e22!.sub(mu22);
  const s12 = e12!.sub(mu12);
  const cs = s12.mul(2).add(r.C2).div(s11.add(s22).add(r.C2));
  const lum = mu12.mul(2).add(r.C1).div(mu11.add(mu22).add(r.C1));
  return { ssim: lum.mul(cs), cs };
}

function reducePerImage(per: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'none') return per;
  return reduction === 'sum' ? per.sum() : per.mean();
}

/**
 * MATLAB ssim.m's downsampling factor f = max(1, round(min(H, W) / 256)).
 * @example ssimDownsampleFactor(512, 768) // 2
 */
export function ssimDownsampleFactor(H: number, W: number): number {
  return Math.max(1, Math.round(Math.min(H, W) / 256));
}

/**
 * Structural similarity index (Wang et al. 2004), per channel then averaged over channels, per
 * image then reduced over the batch:
 *
 *   SSIM(x, y) = (2 mu_x mu_y + C1)(2 s_xy + C2) / ((mu_x^2 + mu_y^2 + C1)(s_x^2 + s_y^2 + C2))
 *
 * with local means, population variances and covariance under a normalised Gaussian window
 * (11x11, sigma 1.5, MATLAB fspecial), C1 = (0.01 L)^2, C2 = (0.03 L)^2, L = dataRange (default
 * 1), the map over the 'valid' region (filter2 'valid' in ssim.m), and its mean. These are the
 * parameters of the authors' ssim.m (whose L defaults to 255 for 8-bit images: pass
 * `dataRange: 255` for values in 0..255). The Gaussian filter is separable: the five local
 * moments (x, y, x^2, y^2, xy) are stacked along channels and filtered by two depthwise conv2d
 * calls (groups = 5C), with the window uploaded once per device; from 2^20 pixels per plane one
 * channel at a time, which bounds the memory (same values). Options: `padding` for same-size maps, `downsample` for
 * ssim.m's pre-downsampling, `returnMap`.
 * @example ssim(x, y) // scalar in [-1, 1], 1 for identical images
 * @example const { ssim: s, map } = ssim(x, y, { returnMap: true })
 */
export function ssim(x: Tensor, y: Tensor, opts: SsimOptions & { returnMap: true }): { ssim: Tensor; map: Tensor };
export function ssim(x: Tensor, y: Tensor, opts?: SsimOptions & { returnMap?: false }): Tensor;
export function ssim(x: Tensor, y: Tensor, opts?: SsimOptions): Tensor | { ssim: Tensor; map: Tensor };
export function ssim(x: Tensor, y: Tensor, opts: SsimOptions = {}): Tensor | { ssim: Tensor; map: Tensor } {
  const r = resolve('ssim', x, y, opts);
  const reduction = opts.reduction ?? 'mean';
  checkReduction('ssim', reduction, ['mean', 'sum', 'none']);
  return tidy(() => {
    let a = x;
    let b = y;
    if (opts.downsample) {
      const f = ssimDownsampleFactor(x.shape[2]!, x.shape[3]!);
      a = matlabDownsample(x, f);
      b = matlabDownsample(y, f);
    }
    const { ssim: map } = ssimMaps('ssim', a, b, r);
    const value = reducePerImage(map.mean([1, 2, 3]), reduction);
    return opts.returnMap ? { ssim: value, map } : value;
  });
}

/**
 * 1 - SSIM, per image then reduced (options as `ssim`).
 * @example ssimLoss(pred, target).backward()
 */
export function ssimLoss(x: Tensor, y: Tensor, opts: Omit<SsimOptions, 'returnMap'> = {}): Tensor {
  const reduction = opts.reduction ?? 'mean';
  checkReduction('ssimLoss', reduction, ['mean', 'sum', 'none']);
  return tidy(() => {
    const per = ssim(x, y, { ...opts, returnMap: false, reduction: 'none' });
    return reducePerImage(per.neg().add(1), reduction);
  });
}

/** Wang et al. 2003's scale weights (beta_1..4 = gamma_1..4 for contrast-structure, alpha_5 = beta_5 = gamma_5). */
export const MS_SSIM_WEIGHTS = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333] as const;

export interface MsSsimOptions extends Omit<SsimOptions, 'returnMap' | 'downsample' | 'padding'> {
  /** per-scale exponents, default MS_SSIM_WEIGHTS; their count is the number of scales */
  weights?: readonly number[];
  /**
   * how images are halved between scales: 'msssim.m' (default) averages 2x2 blocks after a
   * symmetric (mirror) extension of odd sizes, as Wang's msssim.m; 'pytorch-msssim' is
   * F.avg_pool2d(kernel 2, padding = size % 2) with zero padding counted in the divisor, as
   * pytorch-msssim and piq. They agree on even sizes (to rounding); on a 300x300 pair the values
   * differ by ~6e-6 and the gradients by ~2% (relative L2).
   */
  downsampling?: 'msssim.m' | 'pytorch-msssim';
}

/**
 * Multi-scale SSIM (Wang, Simoncelli and Bovik 2003):
 *
 *   MS-SSIM = prod_{j=1}^{M-1} relu(cs_j)^{w_j} * relu(ssim_M)^{w_M}
 *
 * with M = 5 scales, weights 0.0448, 0.2856, 0.3001, 0.2363, 0.1333, cs_j the mean
 * contrast-structure term at scale j and ssim_M the full SSIM at the coarsest scale, each per
 * channel ('valid' 11x11 Gaussian windows, as `ssim`), then averaged over channels and reduced
 * over the batch. Between scales the images are averaged over 2x2 blocks and subsampled
 * (msssim.m's imfilter(ones(2)/4, 'symmetric') then (1:2:end); for even sizes exactly 2x2
 * average pooling; `downsampling: 'pytorch-msssim'` zero-pads odd sizes instead, as pytorch-msssim). The relu on the cs terms (as pytorch_msssim) keeps a negative term from
 * giving a NaN power; at exactly 0 the gradient of t^w (w < 1) is infinite.
 * The coarsest scale must hold the window: min(H, W) >= (winSize - 1) * 2^(M-1) + 1 (161 for the
 * defaults).
 * @example msSsim(x, y, { dataRange: 1 })
 */
export function msSsim(x: Tensor, y: Tensor, opts: MsSsimOptions = {}): Tensor {
  const r = resolve('msSsim', x, y, opts);
  const weights = opts.weights ?? MS_SSIM_WEIGHTS;
  if (weights.length < 1) throw new ValueError('msSsim: weights must hold at least one scale');
  const reduction = opts.reduction ?? 'mean';
  checkReduction('msSsim', reduction, ['mean', 'sum', 'none']);
  const M = weights.length;
  const need = (r.g.length - 1) * 2 ** (M - 1) + 1;
  const minSide = Math.min(x.shape[2]!, x.shape[3]!);
  if (minSide < need) {
    throw new ValueError(
      `msSsim: images [${x.shape.join(', ')}] are too small for ${M} scales with a ${r.g.length}x${r.g.length} window: min(H, W) must be >= ${need}`,
    );
  }
  const downsampling = opts.downsampling ?? 'msssim.m';
  if (downsampling !== 'msssim.m' && downsampling !== 'pytorch-msssim')
    throw new ValueError(`msSsim: downsampling must be 'msssim.m' or 'pytorch-msssim', got ${JSON.stringify(downsampling)}`);
  const halve = (t: Tensor): Tensor =>
    downsampling === 'msssim.m' ? matlabDownsample(t, 2) : avgPool2d(t, { kernelSize: 2, padding: [t.shape[2]! % 2, t.shape[3]! % 2], countIncludePad: true });
  return tidy(() => {
    let a = x;
    let b = y;
    let acc: Tensor | null = null; // [N, C]
    for (let j = 0; j < M; j++) {
      const maps = ssimMaps('msSsim', a, b, r);
      const term = (j === M - 1 ? maps.ssim : maps.cs).mean([2, 3]).relu().pow(weights[j]!);
      acc = acc ? acc.mul(term) : term;
      if (j < M - 1) {
        a = halve(a);
        b = halve(b);
      }
    }
    return reducePerImage(acc!.mean(1), reduction);
  });
}
