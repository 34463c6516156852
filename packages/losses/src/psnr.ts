import { type Tensor, ValueError, tidy } from '@pixgrad/core';
import { type Reduction, checkImage, checkReduction, checkSameShape } from './util.js';

export interface PsnrOptions {
  /** the range of the pixel values (max - min possible), default 1 (images in [0, 1]); 255 for 8-bit values */
  dataRange?: number;
  /** 'mean' (default) over the images, 'sum', or 'none' for one value per image, shape [N] */
  reduction?: Reduction;
}

/**
 * Peak signal-to-noise ratio in dB, per image then reduced over the batch:
 * PSNR_n = 10 log10(dataRange^2 / MSE_n), MSE_n = mean over (C, H, W) of (x - y)^2.
 * (skimage.metrics.peak_signal_noise_ratio per image; torchmetrics' PSNR pools the whole batch
 * into one MSE instead, which differs when images differ in error.)
 *
 * Identical images have MSE 0 and PSNR = +Infinity, returned as is (like skimage and
 * torchmetrics), not clamped: any finite cap would be an arbitrary number that looks like a
 * measurement. With reduction 'mean' one identical pair makes the mean +Infinity; use 'none' to
 * see per-image values. The gradient at MSE = 0 is not finite; use mseLoss to train.
 * @example psnr(x, y, { dataRange: 1 }) // an MSE of 1e-3 gives 30 dB
 */
export function psnr(x: Tensor, y: Tensor, opts: PsnrOptions = {}): Tensor {
  checkImage('psnr', x);
  checkSameShape('psnr', x, y);
  const dataRange = opts.dataRange ?? 1;
  if (!(dataRange > 0)) throw new ValueError(`psnr: dataRange must be > 0, got ${dataRange}`);
  const reduction = opts.reduction ?? 'mean';
  checkReduction('psnr', reduction, ['mean', 'sum', 'none']);
  return tidy(() => {
    const mse = x.sub(y).square().mean([1, 2, 3]);
    // 10 log10(R^2 / mse) = 20 log10(R) - 10 ln(mse) / ln(10)
    const per = mse
      .log()
      .mul(-10 / Math.LN10)
      .add(20 * Math.log10(dataRange));
    if (reduction === 'none') return per;
    return reduction === 'sum' ? per.sum() : per.mean();
  });
}
