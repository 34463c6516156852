/**
 * How images become Inception-v3 inputs. FID values from different tools differ mostly here
 * (clean-fid, Parmar et al. 2022), so the pipeline is always named, never implicit:
 *
 * - `pytorch-fid`: PyTorch's bilinear resize (half-pixel centres, align_corners false, no
 *   antialiasing) on [0, 1], then 2x - 1 (pytorch-fid's InceptionV3 with resize_input and
 *   normalize_input; clean-fid's `legacy_pytorch`).
 * - `tf`: TensorFlow 1's legacy bilinear resize (src = dst * in / out, no half-pixel offset) on
 *   [0, 255], then (x - 128) / 128: the original TTUR graph, torch-fidelity, ADM's evaluator.
 * - `clean`: Pillow's bicubic (Keys a = -0.5, support widened by the scale when shrinking, i.e.
 *   antialiased) on float [0, 255] without quantising, clipped to [0, 255], then (x - 128) / 128:
 *   clean-fid's default.
 *
 * Each resize is separable, so it is two matmuls with interpolation matrices built here (rows sum
 * to 1): differentiable, and on the device. All three are the identity at 299x299.
 */
import { ShapeError, type Tensor, ValueError, fmtShape, tensor, tidy } from '@pixgrad/core';

export type InceptionPreprocess = 'pytorch-fid' | 'tf' | 'clean';
export const INCEPTION_PREPROCESS: readonly InceptionPreprocess[] = ['pytorch-fid', 'tf', 'clean'];

/** The 1-D resampling kernels behind the presets. */
export type ResampleKernel = 'bilinear' | 'tf1-bilinear' | 'pil-bicubic';

function lerpRow(m: Float64Array, row: number, inSize: number, src: number): void {
  const lo = Math.min(Math.floor(src), inSize - 1);
  const hi = Math.min(lo + 1, inSize - 1);
  const t = src - lo;
  m[row * inSize + lo] += 1 - t;
  m[row * inSize + hi] += t;
}

/** Pillow's bicubic_filter (Resample.c), a = -0.5. */
function keysCubic(x: number): number {
  const a = -0.5;
  x = Math.abs(x);
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

/**
 * The [outSize, inSize] matrix R with out = R in for one axis:
 * - `bilinear`: PyTorch's area_pixel_compute_source_index, src = max((dst + 0.5) s - 0.5, 0);
 * - `tf1-bilinear`: TF1 legacy, src = dst s (torch-fidelity's interpolate_bilinear_2d_like_tensorflow1x);
 * - `pil-bicubic`: Pillow's precompute_coeffs: filterscale = max(s, 1), support = 2 filterscale,
 *   centre (dst + 0.5) s, taps [trunc(centre - support + 0.5), trunc(centre + support + 0.5)) clipped,
 *   weights K((i - centre + 0.5) / filterscale) normalised to sum 1;
 * with s = in / out; bilinear taps are floor(src) and min(floor(src) + 1, in - 1).
 * @example resampleMatrix(2, 4, 'tf1-bilinear') // rows [1, 0] [.5, .5] [0, 1] [0, 1]
 */
export function resampleMatrix(inSize: number, outSize: number, kernel: ResampleKernel): Float64Array {
  const m = new Float64Array(outSize * inSize);
  const s = inSize / outSize;
  for (let d = 0; d < outSize; d++) {
    if (kernel === 'bilinear') lerpRow(m, d, inSize, Math.max((d + 0.5) * s - 0.5, 0));
    else if (kernel === 'tf1-bilinear') lerpRow(m, d, inSize, d * s);
    else {
      const fs = Math.max(s, 1);
      const support = 2 * fs;
      const centre = (d + 0.5) * s;
      const lo = Math.max(0, Math.trunc(centre - support + 0.5));
      const hi = Math.min(inSize, Math.trunc(centre + support + 0.5));
      let sum = 0;
      for (let i = lo; i < hi; i++) sum += keysCubic((i - centre + 0.5) / fs);
      for (let i = lo; i < hi; i++) m[d * inSize + i] = sum !== 0 ? keysCubic((i - centre + 0.5) / fs) / sum : 0;
    }
  }
  return m;
}

/**
 * x [N, C, H, W] resized to [N, C, outH, outW] with `kernel` along each axis (width first, then
 * height, as Pillow does). An axis whose size does not change is left as it is (every kernel here
 * is the identity there).
 */
export function resample(x: Tensor, outH: number, outW: number, kernel: ResampleKernel): Tensor {
  if (x.rank !== 4) throw new ShapeError(`resample: input must be [N, C, H, W], got ${fmtShape(x.shape)}`);
  for (const [n, v] of [
    ['outH', outH],
    ['outW', outW],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new ValueError(`resample: ${n} must be a positive integer, got ${v}`);
  }
  const [, , h, w] = x.shape as [number, number, number, number];
  return tidy(() => {
    const opts = { dtype: x.dtype, device: x.device };
    let y = x;
    if (w !== outW) y = y.matmul(tensor(resampleMatrix(w, outW, kernel), { shape: [outW, w], ...opts }).transpose());
    if (h !== outH) y = tensor(resampleMatrix(h, outH, kernel), { shape: [1, 1, outH, h], ...opts }).matmul(y);
    return y === x ? x.clone() : y;
  });
}

/**
 * Images x [N, 3, H, W] with values in [0, 1] made into the network's input at `size` (299) by
 * the named pipeline (see the file comment): `pytorch-fid`, `tf` or `clean`. Differentiable.
 * @example const input = inceptionPreprocess(images, 'pytorch-fid'); // [N, 3, 299, 299] in [-1, 1]
 */
export function inceptionPreprocess(x: Tensor, preset: InceptionPreprocess, size = 299): Tensor {
  if (!INCEPTION_PREPROCESS.includes(preset))
    throw new ValueError(`inceptionPreprocess: unknown preprocessing ${JSON.stringify(preset)} (choose from ${INCEPTION_PREPROCESS.join(', ')})`);
  if (x.rank !== 4 || x.shape[1] !== 3)
    throw new ShapeError(`inceptionPreprocess: images must be [N, 3, H, W] RGB, got ${fmtShape(x.shape)} (convert grey or RGBA images to RGB first)`);
  return tidy(() => {
    if (preset === 'pytorch-fid') return resample(x, size, size, 'bilinear').mul(2).sub(1);
    const y = resample(x.mul(255), size, size, preset === 'tf' ? 'tf1-bilinear' : 'pil-bicubic');
    return (preset === 'clean' ? y.clamp(0, 255) : y).sub(128).div(128);
  });
}
