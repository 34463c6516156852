/**
 * Colour losses on RGB images: the angle between colour vectors, and the blurred-image MSE of
 * Ignatov et al. (2017).
 */
import { type Tensor, ValueError, tidy } from '@pixgrad/core';
import { mseLoss } from './pixel.js';
import { type Reduction, checkImage, checkReduction, checkSameShape, gaussian1d, pad2d, safeAtan2, safeSqrt, separableFilter, splitChannels } from './util.js';

export interface ColorAngleOptions {
  /** 'mean' (default) over pixels, 'sum', or 'none': the angle map [N, H, W] */
  reduction?: Reduction;
  /** angles in degrees instead of radians (default false) */
  degrees?: boolean;
}

/**
 * Angle between the RGB vectors of corresponding pixels (the "angular error" of colour constancy,
 * Hordley and Finlayson 2006; used as a colour loss e.g. in Wang et al. 2019, "Underexposed
 * photo enhancement using deep illumination estimation"), for [N, 3, H, W]:
 *   angle = atan2(|x cross y|, x . y)   (in [0, pi])
 * This equals acos(x.y / (|x| |y|)) but stays accurate and differentiable near 0 and pi, where
 * acos has an infinite derivative. Identical directions give 0 with a zero gradient (the zero
 * subgradient of the kink at 0); a black pixel (zero vector) gives angle 0 and zero gradient.
 * @example colorAngleLoss(pred, target, { degrees: true })
 */
export function colorAngleLoss(x: Tensor, y: Tensor, opts: ColorAngleOptions = {}): Tensor {
  checkImage('colorAngleLoss', x, 'input', 3);
  checkSameShape('colorAngleLoss', x, y);
  const reduction = opts.reduction ?? 'mean';
  checkReduction('colorAngleLoss', reduction, ['mean', 'sum', 'none']);
  return tidy(() => {
    const [x0, x1, x2] = splitChannels(x) as [Tensor, Tensor, Tensor];
    const [y0, y1, y2] = splitChannels(y) as [Tensor, Tensor, Tensor];
    const cx = x1.mul(y2).sub(x2.mul(y1));
    const cy = x2.mul(y0).sub(x0.mul(y2));
    const cz = x0.mul(y1).sub(x1.mul(y0));
    const cross = safeSqrt(cx.square().add(cy.square()).add(cz.square()));
    const dot = x.mul(y).sum(1, true);
    let angle = safeAtan2(cross, dot).squeeze(1);
    if (opts.degrees) angle = angle.mul(180 / Math.PI);
    if (reduction === 'none') return angle;
    return reduction === 'sum' ? angle.sum() : angle.mean();
  });
}

export interface BlurColorOptions {
  /** Gaussian kernel size, default 21 (as DPED) */
  kernelSize?: number;
  /** Gaussian sigma in pixels, default 3 */
  sigma?: number;
  /** borders of the blur: 'zeros' (default; TensorFlow's 'SAME' convolution, as DPED) or 'reflect' */
  padding?: 'zeros' | 'reflect';
  /** reduction of the squared differences: 'mean' (default), 'sum', 'none' */
  reduction?: Reduction;
}

/**
 * Colour loss of Ignatov et al. (2017), "DSLR-quality photos on mobile devices with deep
 * convolutional networks" (DPED), section 3.1.2: the MSE between Gaussian-blurred images, which
 * compares colour and brightness while ignoring texture and small misalignments:
 *   L = mean((G * x - G * y)^2), G a normalised Gaussian (default 21x21, sigma 3), per channel.
 * DPED's code builds its 21-tap kernel as sqrt(outer(k, k)) with k a binned normal of sigma 3 px,
 * which is a Gaussian of sigma 3 sqrt(2) ~ 4.24 px, and sums rather than averages
 * (sum / (2 batch)); pass `sigma: 3 * Math.SQRT2` and `reduction: 'sum'` (then halve and divide by
 * the batch) to follow it exactly.
 * @example blurColorLoss(enhanced, dslr) // DPED's colour term
 */
export function blurColorLoss(x: Tensor, y: Tensor, opts: BlurColorOptions = {}): Tensor {
  checkImage('blurColorLoss', x);
  checkSameShape('blurColorLoss', x, y);
  const k = opts.kernelSize ?? 21;
  if (!Number.isInteger(k) || k < 1 || k % 2 === 0) throw new ValueError(`blurColorLoss: kernelSize must be an odd positive integer, got ${k}`);
  const padding = opts.padding ?? 'zeros';
  if (padding !== 'zeros' && padding !== 'reflect') throw new ValueError(`blurColorLoss: padding must be 'zeros' or 'reflect', got ${JSON.stringify(padding)}`);
  const g = gaussian1d(k, opts.sigma ?? 3);
  const p = (k - 1) / 2;
  return tidy(() => {
    const blur = (t: Tensor) => (padding === 'zeros' ? separableFilter(t, g, g, [p, p]) : separableFilter(pad2d(t, p, 'reflect'), g, g));
    return mseLoss(blur(x), blur(y), { reduction: opts.reduction ?? 'mean' });
  });
}
