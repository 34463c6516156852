/**
 * The weight-free metrics of `pixgrad compare`, each computed by the @pixgrad/losses function of
 * the same name on `[1, C, H, W]` images in [0, 1] (dataRange 1).
 */
import { type Tensor, tidy } from '@pixgrad/core';
import { colorAngleLoss, deltaE, l1Loss, msSsim, mseLoss, psnr, rgbToLab, ssim, totalVariation } from '@pixgrad/losses';

export type MetricKey = 'psnr' | 'ssim' | 'msssim' | 'l1' | 'mse' | 'deltae' | 'deltaemax' | 'angle' | 'tv' | WeightedMetricKey;

/** The metrics that need network weights (`--lpips`, `--perceptual`; computed in deep.ts, never by default). */
export type WeightedMetricKey = 'lpips' | 'perceptual';

export interface MetricDef {
  key: MetricKey;
  /** column / row label */
  label: string;
  /** unit suffix in tables ('' for none) */
  unit: string;
  /** which way is better */
  better: 'higher' | 'lower' | 'closer to 0';
  /** one-line definition, shown by `--help` and next to the value in the single-pair table */
  describe: string;
  /** needs RGB (n/a for grey images) */
  colour: boolean;
  /** digits after the decimal point in tables */
  digits: number;
}

/** Every metric, in table order. */
export const METRICS: readonly MetricDef[] = [
  { key: 'psnr', label: 'PSNR', unit: 'dB', better: 'higher', colour: false, digits: 2, describe: '10 log10(1 / MSE); inf for identical images' },
  {
    key: 'ssim',
    label: 'SSIM',
    unit: '',
    better: 'higher',
    colour: false,
    digits: 4,
    describe: 'Wang et al. 2004: 11x11 Gaussian (sigma 1.5), valid borders, per channel then mean; 1 = identical',
  },
  { key: 'msssim', label: 'MS-SSIM', unit: '', better: 'higher', colour: false, digits: 4, describe: 'Wang et al. 2003: 5 scales; needs min(H, W) >= 161' },
  { key: 'l1', label: 'L1', unit: '', better: 'lower', colour: false, digits: 5, describe: 'mean |ref - test| over pixels and channels (values in [0, 1])' },
  { key: 'mse', label: 'MSE', unit: '', better: 'lower', colour: false, digits: 6, describe: 'mean (ref - test)^2 over pixels and channels' },
  {
    key: 'deltae',
    label: 'ΔE00 mean',
    unit: '',
    better: 'lower',
    colour: true,
    digits: 3,
    describe: 'CIEDE2000 per pixel (sRGB -> Lab, D65), mean; ~1 = just noticeable',
  },
  { key: 'deltaemax', label: 'ΔE00 max', unit: '', better: 'lower', colour: true, digits: 3, describe: 'CIEDE2000 per pixel, largest' },
  {
    key: 'angle',
    label: 'colour angle',
    unit: '°',
    better: 'lower',
    colour: true,
    digits: 3,
    describe: 'mean angle between the RGB vectors of each pixel, degrees',
  },
  {
    key: 'tv',
    label: 'TV diff',
    unit: '',
    better: 'closer to 0',
    colour: false,
    digits: 5,
    describe: 'TV(test) - TV(ref), TV = mean |Dx| + |Dy| per pixel and channel; < 0 smoother (blur), > 0 busier (noise)',
  },
];

/** The weighted metrics, in table order after the weight-free ones. */
export const WEIGHTED_METRICS: readonly (MetricDef & { key: WeightedMetricKey })[] = [
  {
    key: 'lpips',
    label: 'LPIPS',
    unit: '',
    better: 'lower',
    colour: false,
    digits: 4,
    describe: 'Zhang et al. 2018, VGG16 backbone, v0.1 heads; 0 = identical',
  },
  {
    key: 'perceptual',
    label: 'perceptual',
    unit: '',
    better: 'lower',
    colour: false,
    digits: 5,
    describe: 'VGG16 feature distance: mean squared difference at relu2_2 + at relu4_3 (Johnson et al. 2016)',
  },
];

export function isWeightedMetric(key: MetricKey): key is WeightedMetricKey {
  return key === 'lpips' || key === 'perceptual';
}

const ALIASES: Record<string, MetricKey> = {
  psnr: 'psnr',
  ssim: 'ssim',
  msssim: 'msssim',
  'ms-ssim': 'msssim',
  ms_ssim: 'msssim',
  l1: 'l1',
  mae: 'l1',
  mse: 'mse',
  l2: 'mse',
  deltae: 'deltae',
  de: 'deltae',
  de2000: 'deltae',
  ciede2000: 'deltae',
  deltaemean: 'deltae',
  deltaemax: 'deltaemax',
  demax: 'deltaemax',
  angle: 'angle',
  colorangle: 'angle',
  colourangle: 'angle',
  tv: 'tv',
  tvdiff: 'tv',
};

/** Parses `--metrics a,b,c` (case-insensitive, aliases allowed) into keys in table order; throws on unknown names. */
export function parseMetricList(spec: string): MetricKey[] {
  const wanted = new Set<MetricKey>();
  for (const raw of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const key = ALIASES[raw.toLowerCase()];
    if (!key) throw new Error(`unknown metric '${raw}'; choose from ${METRICS.map((m) => m.key).join(', ')}`);
    wanted.add(key);
  }
  if (wanted.size === 0) throw new Error(`--metrics needs at least one of ${METRICS.map((m) => m.key).join(', ')}`);
  return METRICS.filter((m) => wanted.has(m.key)).map((m) => m.key);
}

export function metricDef(key: MetricKey): MetricDef {
  return METRICS.find((m) => m.key === key) ?? WEIGHTED_METRICS.find((m) => m.key === key)!;
}

/** A metric's value, or null with the reason it does not apply. */
export type MetricResult = { value: number; note?: string } | { value: null; note: string };

const SSIM_WIN = 11;
/** pixels per band of the colour difference (computeMetrics) */
const DELTA_E_BAND = 1 << 18;
const MS_SSIM_MIN = (SSIM_WIN - 1) * 2 ** 4 + 1; // 161

/**
 * Computes the chosen metrics of `test` against `ref` (same shape [1, C, H, W], C 1 or 3).
 * Colour metrics are n/a for grey images; SSIM needs 11x11 and MS-SSIM 161x161 pixels.
 * Leaves no tensors behind.
 */
export async function computeMetrics(ref: Tensor, test: Tensor, keys: readonly MetricKey[]): Promise<Partial<Record<MetricKey, MetricResult>>> {
  const [, C, H, W] = ref.shape as [number, number, number, number];
  const out: Partial<Record<MetricKey, MetricResult>> = {};
  const want = new Set(keys);
  const scalars: [MetricKey, Tensor][] = [];
  const bands: (readonly [Tensor, Tensor])[] = [];
  tidy(() => {
    const keepScalar = (k: MetricKey, t: Tensor) => {
      scalars.push([k, t]);
      return t;
    };
    if (want.has('psnr')) keepScalar('psnr', psnr(ref, test));
    if (want.has('ssim')) {
      if (Math.min(H, W) < SSIM_WIN) out.ssim = { value: null, note: `n/a: needs at least ${SSIM_WIN}x${SSIM_WIN} pixels, image is ${W}x${H}` };
      else keepScalar('ssim', ssim(ref, test));
    }
    if (want.has('msssim')) {
      if (Math.min(H, W) < MS_SSIM_MIN) {
        out.msssim = { value: null, note: `n/a: 5 scales need min(H, W) >= ${MS_SSIM_MIN}, image is ${W}x${H}` };
      } else keepScalar('msssim', msSsim(ref, test));
    }
    if (want.has('l1')) keepScalar('l1', l1Loss(ref, test));
    if (want.has('mse')) keepScalar('mse', mseLoss(ref, test));
    const colour = ['deltae', 'deltaemax', 'angle'] as const;
    if (C !== 3) {
      for (const k of colour) if (want.has(k)) out[k] = { value: null, note: 'n/a: grey image' };
    } else {
      if (want.has('deltae') || want.has('deltaemax')) {
        // in bands of rows, each its own tidy: CIEDE2000's intermediates over a whole 1080p image
        // were 230 MB, the peak of `pixgrad compare`; a band's are a few MB (the sum and the max
        // of each band are combined in float64 below)
        const rows = Math.max(1, Math.floor(DELTA_E_BAND / W));
        for (let y0 = 0; y0 < H; y0 += rows) {
          const band = [null, null, [y0, Math.min(H, y0 + rows)]] as const;
          bands.push(
            tidy(() => {
              const map = deltaE(rgbToLab(ref.slice(band)), rgbToLab(test.slice(band)), { formula: 'ciede2000', reduction: 'none' });
              return [map.sum(), map.max()] as const;
            }),
          );
        }
      }
      if (want.has('angle')) keepScalar('angle', colorAngleLoss(ref, test, { degrees: true }));
    }
    if (want.has('tv')) {
      keepScalar('tv', totalVariation(test, { reduction: 'mean' }).sub(totalVariation(ref, { reduction: 'mean' })));
    }
    return [...scalars.map(([, t]) => t), ...bands.flat()];
  });
  try {
    for (const [k, t] of scalars) {
      const v = (await t.data())[0]!;
      out[k] = { value: v };
    }
    if (bands.length) {
      let sum = 0;
      let max = -Infinity;
      for (const [bs, bm] of bands) {
        sum += (await bs.data())[0]!;
        max = Math.max(max, (await bm.data())[0]!);
      }
      // the mean of a float32 map, as map.mean() would store it
      if (want.has('deltae')) out.deltae = { value: Math.fround(sum / (H * W)) };
      if (want.has('deltaemax')) out.deltaemax = { value: max };
    }
  } finally {
    for (const [, t] of scalars) t.dispose();
    for (const b of bands) for (const t of b) t.dispose();
  }
  const ordered: Partial<Record<MetricKey, MetricResult>> = {};
  for (const k of keys) ordered[k] = out[k]!;
  return ordered;
}
