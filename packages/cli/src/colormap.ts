/**
 * Colour-mapped error maps for `pixgrad compare --map ssim|l1|deltaE out.png`.
 *
 * Colormaps: matplotlib's perceptually uniform `inferno` (default: black = no error, through purple
 * and orange, to pale yellow = the top of the scale) and `viridis` (dark blue -> green -> yellow),
 * evaluated with Matt Zucker's degree-6 polynomial fits (Shadertoy WlfXRN, CC0), which stay within
 * about 1/255 of matplotlib's tables.
 *
 * Scales (value 0 maps to the first colour, `max` and above to the last; override with `--map-max`):
 * - ssim:   1 - SSIM per pixel, averaged over channels, on [0, 1]. The map uses 'symmetric'
 *           (edge-repeating) borders so it covers the whole image; the SSIM number in the table
 *           uses 'valid' borders as Wang's ssim.m, so the map's mean differs slightly near edges.
 * - l1:     |ref - test| per pixel, averaged over channels, on [0, 0.2] (0.2 = 51 levels of 255).
 * - deltaE: CIEDE2000 per pixel on [0, 10] (1 is about a just-noticeable difference; RGB only).
 */
import { type Tensor, tidy } from '@pixgrad/core';
import { deltaE, rgbToLab, ssim } from '@pixgrad/losses';
import { InputError } from './image.js';

export type MapKind = 'ssim' | 'l1' | 'deltaE';
export type ColormapName = 'inferno' | 'viridis';

/** Default top of the scale per map kind (see the module comment). */
export const MAP_DEFAULT_MAX: Record<MapKind, number> = { ssim: 1, l1: 0.2, deltaE: 10 };
/** What a map's values are, for messages and --help. */
export const MAP_QUANTITY: Record<MapKind, string> = {
  ssim: '1 - SSIM (symmetric borders), mean over channels',
  l1: '|ref - test|, mean over channels',
  deltaE: 'CIEDE2000',
};

const POLY: Record<ColormapName, readonly (readonly [number, number, number])[]> = {
  inferno: [
    [0.0002189403691192265, 0.001651004631001012, -0.01948089843709184],
    [0.1065134194856116, 0.5639564367884091, 3.932712388889277],
    [11.60249308247187, -3.972853965665698, -15.9423941062914],
    [-41.70399613139459, 17.43639888205313, 44.35414519872813],
    [77.162935699427, -33.40235894210092, -81.80730925738993],
    [-71.31942824499214, 32.62606426397723, 73.20951985803202],
    [25.13112622477341, -12.24266895238567, -23.07032500287172],
  ],
  viridis: [
    [0.2777273272234177, 0.005407344544966578, 0.3340998053353061],
    [0.1050930431085774, 1.404613529898575, 1.384590162594685],
    [-0.3308618287255563, 0.214847559468213, 0.09509516302823659],
    [-4.634230498983486, -5.799100973351585, -19.33244095627987],
    [6.228269936347081, 14.17993336680509, 56.69055260068105],
    [4.776384997670288, -13.74514537774601, -65.35303263337234],
    [-5.435455855934631, 4.645852612178535, 26.3124352495832],
  ],
};

/** The colormap at t in [0, 1] (clamped) as RGB in [0, 1]. */
export function colormap(name: ColormapName, t: number): [number, number, number] {
  const c = POLY[name];
  const x = t > 0 ? (t < 1 ? t : 1) : 0; // NaN -> 0
  const rgb: [number, number, number] = [0, 0, 0];
  for (let ch = 0; ch < 3; ch++) {
    let v = 0;
    for (let k = c.length - 1; k >= 0; k--) v = v * x + c[k]![ch]!;
    rgb[ch] = Math.min(1, Math.max(0, v));
  }
  return rgb;
}

/** Per-pixel error values [H, W] (row-major) of one kind. Throws InputError for deltaE on grey images. */
export async function errorMap(kind: MapKind, ref: Tensor, test: Tensor, testPath: string): Promise<Float32Array> {
  const C = ref.shape[1]!;
  const m = tidy(() => {
    if (kind === 'ssim') {
      const { map } = ssim(ref, test, { returnMap: true, padding: 'symmetric' });
      return map.mean(1).neg().add(1); // [1, H, W]
    }
    if (kind === 'l1') return ref.sub(test).abs().mean(1);
    if (C !== 3) throw new InputError(testPath, '--map deltaE needs RGB images; these are grey (use --map l1 or ssim)');
    return deltaE(rgbToLab(ref), rgbToLab(test), { formula: 'ciede2000', reduction: 'none' });
  });
  try {
    return Float32Array.from(await m.data());
  } finally {
    m.dispose();
  }
}

/** Colour-maps values [H, W] with 0 -> the first colour and `max` -> the last, as an RGB image (HWC, values in [0, 1]). */
export function colormapImage(
  values: ArrayLike<number>,
  width: number,
  height: number,
  opts: { max: number; colormap?: ColormapName },
): { width: number; height: number; channels: 3; data: Float32Array } {
  const name = opts.colormap ?? 'inferno';
  const data = new Float32Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const [r, g, b] = colormap(name, values[i]! / opts.max);
    data[3 * i] = r;
    data[3 * i + 1] = g;
    data[3 * i + 2] = b;
  }
  return { width, height, channels: 3, data };
}
