/**
 * Divergences and entropy of distributions, and Frobenius norm / Gram matrix (style losses).
 */
import { type Tensor, ShapeError, ValueError, fmtShape, tidy } from '@pixgrad/core';
import { type Reduction, checkReduction, checkSameShape, safeSqrt, xlogy } from './util.js';

export interface KlDivOptions {
  /** 'mean' (default, PyTorch's: over all elements), 'batchmean' (sum / input.shape[0], the true KL per sample), 'sum', 'none' */
  reduction?: Reduction | 'batchmean';
  /** the target holds log-probabilities (default false: probabilities) */
  logTarget?: boolean;
}

/**
 * KL divergence with PyTorch's semantics (torch.nn.functional.kl_div): `input` holds
 * log-probabilities log q, `target` probabilities p (or log p with logTarget), pointwise
 *   l = p (log p - log q)          (0 where p = 0, as torch.xlogy)
 *   l = e^{log p} (log p - log q)  (logTarget)
 * then reduced: 'batchmean' = sum / N is KL(p || q) per sample (use it: PyTorch's default 'mean'
 * divides by every element and is not the KL).
 * @example klDiv(logits.logSoftmax(1), targetProbs, { reduction: 'batchmean' })
 */
export function klDiv(input: Tensor, target: Tensor, opts: KlDivOptions = {}): Tensor {
  checkSameShape('klDiv', input, target);
  const reduction = opts.reduction ?? 'mean';
  checkReduction('klDiv', reduction, ['mean', 'sum', 'none', 'batchmean']);
  return tidy(() => {
    const l = opts.logTarget ? target.exp().mul(target.sub(input)) : xlogy(target, target).sub(target.mul(input));
    if (reduction === 'none') return l;
    if (reduction === 'sum') return l.sum();
    if (reduction === 'batchmean') return l.sum().div(input.rank === 0 ? 1 : input.shape[0]!);
    return l.mean();
  });
}

export interface DistributionOptions {
  /** the axis holding each distribution (default 1: [N, C, ...] with classes on axis 1) */
  axis?: number;
  /** the inputs are log-probabilities (default false: probabilities) */
  log?: boolean;
  /** 'mean' (default) over distributions, 'sum', or 'none' (one value per distribution) */
  reduction?: Reduction;
}

function reduceDist(v: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'none') return v;
  return reduction === 'sum' ? v.sum() : v.mean();
}

function distAxis(op: string, x: Tensor, axis: number): number {
  const a = axis < 0 ? axis + x.rank : axis;
  if (a < 0 || a >= x.rank) throw new ShapeError(`${op}: axis ${axis} is out of range for ${fmtShape(x.shape)}`);
  return a;
}

/**
 * Jensen-Shannon divergence (Lin 1991) between distributions p and q along `axis`, in nats:
 *   JS(p, q) = 0.5 KL(p || m) + 0.5 KL(q || m), m = (p + q) / 2,
 * symmetric, in [0, ln 2], ln 2 exactly for disjoint supports. Terms with p = 0 are 0
 * (x log x -> 0) and get a zero gradient there (the true derivative -inf is not representable).
 * @example jsDivergence(p, q) // ln 2 for disjoint supports
 */
export function jsDivergence(p: Tensor, q: Tensor, opts: DistributionOptions = {}): Tensor {
  checkSameShape('jsDivergence', p, q, ['p', 'q']);
  const axis = distAxis('jsDivergence', p, opts.axis ?? 1);
  const reduction = opts.reduction ?? 'mean';
  checkReduction('jsDivergence', reduction, ['mean', 'sum', 'none']);
  return tidy(() => {
    const pp = opts.log ? p.exp() : p;
    const qq = opts.log ? q.exp() : q;
    const m = pp.add(qq).mul(0.5);
    // p log(p/m) = xlogy(p, p) - xlogy(p, m); the second is 0 where p = 0 too
    const kl = (a: Tensor) => xlogy(a, a).sub(xlogy(a, m)).sum(axis);
    return reduceDist(kl(pp).add(kl(qq)).mul(0.5), reduction);
  });
}

/**
 * Shannon entropy H(p) = -sum p log p along `axis`, in nats (0 log 0 = 0, with a zero gradient
 * there). With log: true the input holds log p and H = -sum e^{log p} log p.
 * @example entropy(logits.softmax(1)) // mean entropy per sample
 */
export function entropy(p: Tensor, opts: DistributionOptions = {}): Tensor {
  const axis = distAxis('entropy', p, opts.axis ?? 1);
  const reduction = opts.reduction ?? 'mean';
  checkReduction('entropy', reduction, ['mean', 'sum', 'none']);
  return tidy(() => {
    const h = opts.log ? p.exp().mul(p).sum(axis).neg() : xlogy(p, p).sum(axis).neg();
    return reduceDist(h, reduction);
  });
}

/**
 * Frobenius norm sqrt(sum x^2) over `axis` (default: every element; [-2, -1] gives one norm per
 * matrix, as torch.linalg.matrix_norm). The gradient at x = 0 is 0 (the zero subgradient).
 * @example frobeniusNorm(gramMatrix(a).sub(gramMatrix(b)))
 */
export function frobeniusNorm(x: Tensor, opts: { axis?: number | readonly number[]; keepdim?: boolean } = {}): Tensor {
  return tidy(() => safeSqrt(opts.axis === undefined ? x.square().sum() : x.square().sum(opts.axis, opts.keepdim ?? false)));
}

/**
 * Gram matrix of feature maps [N, C, H, W] (Gatys, Ecker and Bethge 2016, style loss):
 *   G[n, i, j] = sum_{h, w} F[n, i, h, w] F[n, j, h, w] / (C H W),   shape [N, C, C].
 * (The C*H*W normalisation is that of the PyTorch neural-style tutorial and most style losses.)
 * @example mseLoss(gramMatrix(vgg(x)), gramMatrix(vgg(style)))
 */
export function gramMatrix(features: Tensor): Tensor {
  if (features.rank !== 4) throw new ShapeError(`gramMatrix: features must be [N, C, H, W], got ${fmtShape(features.shape)}`);
  const [N, C, H, W] = features.shape as [number, number, number, number];
  if (C * H * W === 0) throw new ValueError(`gramMatrix: empty features ${fmtShape(features.shape)}`);
  return tidy(() => {
    const f = features.reshape([N, C, H * W]);
    return f.matmul(f.transpose(1, 2)).div(C * H * W);
  });
}
