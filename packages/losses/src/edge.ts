import { type Tensor, ValueError, conv2d, noGrad, tidy } from '@pixgrad/core';
import { checkImage, checkSameShape, constLike, pad2d, safeSqrt } from './util.js';

export interface EdgeLossOptions {
  /**
   * Edge threshold on the normalised Sobel magnitude of the target, default 0.1. The magnitude
   * is sqrt(Gx^2 + Gy^2) / 4, so a clean step edge of height h between two flat regions
   * has magnitude h (the Sobel response to a unit step is 1 + 2 + 1 = 4): the default marks
   * pixels next to steps of more than 10% of a [0, 1] range.
   */
  threshold?: number;
  /** the pixel loss on the masked pixels: 'l1' (default) or 'mse' */
  loss?: 'l1' | 'mse';
}

/**
 * Edge loss: the pixel loss restricted to the edges of the target.
 * 1. Sobel gradients of the target, per channel (Gx = [[-1,0,1],[-2,0,2],[-1,0,1]], Gy its
 *    transpose), with replicated borders so the mask has the image's size;
 * 2. mask = sqrt(Gx^2 + Gy^2) / 4 > threshold (default 0.1; the mask is a constant: no gradient
 *    flows through it);
 * 3. loss = sum(mask * |x - y|) / max(sum(mask), 1) (or squared differences with loss 'mse'),
 *    i.e. the mean over edge pixels, and 0 when the target has no edges.
 * Inputs [N, C, H, W].
 * @example edgeLoss(pred, target, { threshold: 0.2 })
 */
export function edgeLoss(x: Tensor, y: Tensor, opts: EdgeLossOptions = {}): Tensor {
  checkImage('edgeLoss', x);
  checkSameShape('edgeLoss', x, y);
  const threshold = opts.threshold ?? 0.1;
  const kind = opts.loss ?? 'l1';
  if (kind !== 'l1' && kind !== 'mse') throw new ValueError(`edgeLoss: loss must be 'l1' or 'mse', got ${JSON.stringify(kind)}`);
  return tidy(() => {
    const mask = noGrad(() => edgeMask(y, threshold));
    const d = x.sub(y);
    const per = kind === 'l1' ? d.abs() : d.square();
    return per.mul(mask).sum().div(mask.sum().maximum(1));
  });
}

/**
 * The {0, 1} mask of `edgeLoss`: normalised Sobel magnitude of y above `threshold`, [N, C, H, W].
 * @example edgeMask(target, 0.2) // 1 where the target has edges
 */
export function edgeMask(y: Tensor, threshold = 0.1): Tensor {
  checkImage('edgeMask', y);
  return tidy(() => {
    const mag = sobelMagnitude(y);
    return mag.gt(threshold).cast(y.dtype);
  });
}

/**
 * sqrt(Gx^2 + Gy^2) / 4 per channel, replicated borders, [N, C, H, W].
 * @example sobelMagnitude(img) // 1 at a unit step
 */
export function sobelMagnitude(y: Tensor): Tensor {
  checkImage('sobelMagnitude', y);
  return tidy(() => {
    const p = pad2d(y, 1, 'replicate');
    const smooth = [1, 2, 1];
    const diff = [-1, 0, 1];
    // Gx: smooth vertically, differentiate horizontally; Gy the other way round
    const gx = sep(p, smooth, diff);
    const gy = sep(p, diff, smooth);
    return safeSqrt(gx.square().add(gy.square())).div(4);
  });
}

function sep(x: Tensor, kh: number[], kw: number[]): Tensor {
  const C = x.shape[1]!;
  const w = constLike(x, Array.from({ length: C }, () => kh.flatMap((a) => kw.map((b) => a * b))).flat(), [C, 1, 3, 3]);
  return conv2d(x, w, { groups: C });
}
