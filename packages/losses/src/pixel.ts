/**
 * Pixel losses with PyTorch's names, defaults and reductions (torch.nn.functional.l1_loss,
 * mse_loss, smooth_l1_loss, huber_loss), plus the Charbonnier loss, each with an optional
 * per-pixel weight.
 */
import { type Tensor, ValueError, tidy } from '@pixgrad/core';
import { type Reduction, checkReduction, checkSameShape } from './util.js';

export interface PixelLossOptions {
  /** 'mean' (default), 'sum' or 'none' (the elementwise loss, shaped like the input) */
  reduction?: Reduction;
  /**
   * Per-pixel weights, broadcastable to the input (e.g. [N, 1, H, W] for a mask shared by the
   * channels). The elementwise loss is multiplied by them; 'mean' then divides by the sum of the
   * broadcast weights, sum(w * l) / sum(w), so a 0/1 mask gives the mean over the masked pixels
   * (BasicSR's weight_reduce_loss convention). All-zero weights give NaN, as PyTorch's weighted
   * nll_loss does when nothing is selected.
   */
  weight?: Tensor;
}

/** Weights, then reduces, an elementwise loss. */
export function weightedReduce(op: string, loss: Tensor, opts: PixelLossOptions): Tensor {
  const reduction = opts.reduction ?? 'mean';
  checkReduction(op, reduction, ['mean', 'sum', 'none']);
  const w = opts.weight;
  if (!w) {
    if (reduction === 'none') return loss;
    return reduction === 'sum' ? loss.sum() : loss.mean();
  }
  const wl = loss.mul(w);
  if (wl.rank !== loss.rank || wl.shape.some((d, i) => d !== loss.shape[i])) {
    throw new ValueError(`${op}: weight [${w.shape.join(', ')}] must broadcast to the loss shape [${loss.shape.join(', ')}] without enlarging it`);
  }
  if (reduction === 'none') return wl;
  if (reduction === 'sum') return wl.sum();
  const full = w.expand(loss.shape);
  return wl.sum().div(full.sum());
}

/**
 * Mean absolute error, l = |x - y| (torch.nn.functional.l1_loss). The gradient at x == y is 0
 * (PyTorch's sign(0) = 0 convention).
 * @example l1Loss(pred, target) // scalar mean |pred - target|
 */
export function l1Loss(x: Tensor, y: Tensor, opts: PixelLossOptions = {}): Tensor {
  checkSameShape('l1Loss', x, y);
  return tidy(() => weightedReduce('l1Loss', x.sub(y).abs(), opts));
}

/**
 * Mean squared error, l = (x - y)^2 (torch.nn.functional.mse_loss).
 * @example mseLoss(pred, target, { reduction: 'sum' })
 */
export function mseLoss(x: Tensor, y: Tensor, opts: PixelLossOptions = {}): Tensor {
  checkSameShape('mseLoss', x, y);
  return tidy(() => weightedReduce('mseLoss', x.sub(y).square(), opts));
}

/**
 * Huber loss with threshold delta (torch.nn.functional.huber_loss, default delta = 1):
 * l = 0.5 d^2 if |d| < delta, else delta (|d| - 0.5 delta), d = x - y.
 * Computed as 0.5 m^2 + delta (|d| - m) with m = min(|d|, delta), which is the same function
 * (and is C1 at |d| = delta, so the choice of branch there does not matter).
 * @example huberLoss(pred, target, { delta: 0.5 })
 */
export function huberLoss(x: Tensor, y: Tensor, opts: PixelLossOptions & { delta?: number } = {}): Tensor {
  checkSameShape('huberLoss', x, y);
  const delta = opts.delta ?? 1;
  if (!(delta > 0)) throw new ValueError(`huberLoss: delta must be > 0, got ${delta}`);
  return tidy(() => weightedReduce('huberLoss', huber(x.sub(y), delta), opts));
}

function huber(d: Tensor, delta: number): Tensor {
  const a = d.abs();
  const m = a.minimum(delta);
  return m.square().mul(0.5).add(a.sub(m).mul(delta));
}

/**
 * Smooth L1 loss (torch.nn.functional.smooth_l1_loss, default beta = 1, Girshick 2015):
 * l = 0.5 d^2 / beta if |d| < beta, else |d| - 0.5 beta; beta = 0 is the L1 loss.
 * Equal to huberLoss(delta = beta) / beta.
 * @example smoothL1Loss(boxes, targets, { beta: 1 / 9 })
 */
export function smoothL1Loss(x: Tensor, y: Tensor, opts: PixelLossOptions & { beta?: number } = {}): Tensor {
  checkSameShape('smoothL1Loss', x, y);
  const beta = opts.beta ?? 1;
  if (!(beta >= 0)) throw new ValueError(`smoothL1Loss: beta must be >= 0, got ${beta}`);
  return tidy(() => {
    const d = x.sub(y);
    const l = beta === 0 ? d.abs() : huber(d, beta).div(beta);
    return weightedReduce('smoothL1Loss', l, opts);
  });
}

/**
 * Charbonnier loss (Charbonnier et al. 1994; the "L1-Charbonnier" of LapSRN, Lai et al. 2017):
 * l = sqrt((x - y)^2 + eps^2), default eps = 1e-3, a differentiable L1 (its gradient at x == y is
 * 0 and it is smooth everywhere).
 *
 * Other forms in use: BasicSR's `charbonnier_loss` is sqrt(d^2 + eps) with eps = 1e-12 (its eps is
 * our eps^2, so pass eps = 1e-6 to match it); kornia's `charbonnier_loss` is sqrt(d^2 + 1) - 1
 * (eps = 1 and shifted to be 0 at d = 0: `charbonnierLoss(x, y, { eps: 1 })` minus 1).
 * @example charbonnierLoss(sr, hr) // mean sqrt((sr-hr)^2 + 1e-6)
 */
export function charbonnierLoss(x: Tensor, y: Tensor, opts: PixelLossOptions & { eps?: number } = {}): Tensor {
  checkSameShape('charbonnierLoss', x, y);
  const eps = opts.eps ?? 1e-3;
  if (!(eps > 0)) throw new ValueError(`charbonnierLoss: eps must be > 0, got ${eps}`);
  return tidy(() =>
    weightedReduce(
      'charbonnierLoss',
      x
        .sub(y)
        .square()
        .add(eps * eps)
        .sqrt(),
      opts,
    ),
  );
}
