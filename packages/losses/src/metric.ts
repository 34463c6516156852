/**
 * Metric-learning losses with PyTorch's semantics: triplet_margin_loss, cosine_embedding_loss,
 * margin_ranking_loss; and the contrastive loss of Hadsell, Chopra and LeCun (2006).
 * Embeddings are [N, D] (or [D] for one sample).
 */
import { type Tensor, ValueError, tidy } from '@pixgrad/core';
import { type Reduction, checkReduction, checkSameShape, safeSqrt, select } from './util.js';

function reduceLoss(op: string, l: Tensor, reduction: Reduction): Tensor {
  checkReduction(op, reduction, ['mean', 'sum', 'none']);
  if (reduction === 'none') return l;
  return reduction === 'sum' ? l.sum() : l.mean();
}

/**
 * torch.nn.functional.pairwise_distance: ||x1 - x2 + eps||_p over the last dimension (PyTorch
 * adds eps to the difference, so identical inputs still have a gradient). p > 0.
 * @example pairwiseDistance(a, b) // [N]
 */
export function pairwiseDistance(x1: Tensor, x2: Tensor, opts: { p?: number; eps?: number } = {}): Tensor {
  const p = opts.p ?? 2;
  const eps = opts.eps ?? 1e-6;
  if (!(p > 0)) throw new ValueError(`pairwiseDistance: p must be > 0, got ${p}`);
  return tidy(() => {
    const d = x1.sub(x2).add(eps);
    if (p === 2) return safeSqrt(d.square().sum(-1));
    if (p === 1) return d.abs().sum(-1);
    const s = d.abs().pow(p).sum(-1);
    const pos = s.gt(0);
    return select(pos, select(pos, s, 1, s).pow(1 / p), 0, s);
  });
}

export interface TripletOptions {
  /** default 1 */
  margin?: number;
  /** norm degree, default 2 */
  p?: number;
  /** added to the differences, default 1e-6 */
  eps?: number;
  /** distance swap (Balntas et al. 2016): use min(d(a, n), d(p, n)) as the negative distance */
  swap?: boolean;
  reduction?: Reduction;
}

/**
 * Triplet margin loss (torch.nn.functional.triplet_margin_loss; Schroff et al. 2015):
 *   l = max(d(a, p) - d(a, n) + margin, 0),  d = pairwiseDistance (p-norm with eps),
 * with swap: d(a, n) replaced by min(d(a, n), d(p, n)).
 * @example tripletMarginLoss(anchor, positive, negative, { margin: 0.2 })
 */
export function tripletMarginLoss(anchor: Tensor, positive: Tensor, negative: Tensor, opts: TripletOptions = {}): Tensor {
  checkSameShape('tripletMarginLoss', anchor, positive, ['anchor', 'positive']);
  checkSameShape('tripletMarginLoss', anchor, negative, ['anchor', 'negative']);
  const margin = opts.margin ?? 1;
  const dopts = { p: opts.p ?? 2, eps: opts.eps ?? 1e-6 };
  return tidy(() => {
    const dap = pairwiseDistance(anchor, positive, dopts);
    let dan = pairwiseDistance(anchor, negative, dopts);
    if (opts.swap) dan = dan.minimum(pairwiseDistance(positive, negative, dopts));
    return reduceLoss('tripletMarginLoss', dap.sub(dan).add(margin).relu(), opts.reduction ?? 'mean');
  });
}

/**
 * Contrastive loss of Hadsell, Chopra and LeCun (2006), "Dimensionality reduction by learning an
 * invariant mapping", eq. 4, with their label convention: y = 0 for a similar pair, y = 1 for a
 * dissimilar pair:
 *   l = (1 - y) * 0.5 D^2 + y * 0.5 max(0, margin - D)^2,   D = ||x1 - x2 + eps||_2.
 * (Many codebases use y = 1 for similar; pass 1 - y then.) Default margin 1, eps 1e-6.
 * @example contrastiveLoss(e1, e2, dissimilar, { margin: 2 })
 */
export function contrastiveLoss(x1: Tensor, x2: Tensor, y: Tensor, opts: { margin?: number; eps?: number; reduction?: Reduction } = {}): Tensor {
  checkSameShape('contrastiveLoss', x1, x2, ['x1', 'x2']);
  const margin = opts.margin ?? 1;
  return tidy(() => {
    const D = pairwiseDistance(x1, x2, { p: 2, eps: opts.eps ?? 1e-6 });
    const yf = y.cast(D.dtype);
    const similar = D.square().mul(0.5).mul(yf.neg().add(1));
    const dissimilar = D.neg().add(margin).relu().square().mul(0.5).mul(yf);
    return reduceLoss('contrastiveLoss', similar.add(dissimilar), opts.reduction ?? 'mean');
  });
}

/**
 * Cosine embedding loss (torch.nn.functional.cosine_embedding_loss), y in {1, -1}:
 *   l = 1 - cos(x1, x2)              if y = 1
 *   l = max(0, cos(x1, x2) - margin) if y = -1
 * with PyTorch's cos = sum(x1 x2) / sqrt((sum x1^2 + 1e-12)(sum x2^2 + 1e-12)) over the last
 * dimension. Default margin 0.
 * @example cosineEmbeddingLoss(e1, e2, tensor([1, -1]))
 */
export function cosineEmbeddingLoss(x1: Tensor, x2: Tensor, y: Tensor, opts: { margin?: number; reduction?: Reduction } = {}): Tensor {
  checkSameShape('cosineEmbeddingLoss', x1, x2, ['x1', 'x2']);
  const margin = opts.margin ?? 0;
  return tidy(() => {
    const EPS = 1e-12;
    const dot = x1.mul(x2).sum(-1);
    const m1 = x1.square().sum(-1).add(EPS);
    const m2 = x2.square().sum(-1).add(EPS);
    const cos = dot.div(m1.mul(m2).sqrt());
    const yf = y.cast(cos.dtype);
    const pos = yf.eq(1).cast(cos.dtype);
    const neg = yf.eq(-1).cast(cos.dtype);
    const l = cos.neg().add(1).mul(pos).add(cos.sub(margin).relu().mul(neg));
    return reduceLoss('cosineEmbeddingLoss', l, opts.reduction ?? 'mean');
  });
}

/**
 * Margin ranking loss (torch.nn.functional.margin_ranking_loss), y in {1, -1} (1: x1 should rank
 * higher): l = max(0, -y (x1 - x2) + margin). Default margin 0.
 * @example marginRankingLoss(s1, s2, tensor([1, -1]), { margin: 0.1 })
 */
export function marginRankingLoss(x1: Tensor, x2: Tensor, y: Tensor, opts: { margin?: number; reduction?: Reduction } = {}): Tensor {
  const margin = opts.margin ?? 0;
  return tidy(() => {
    const yf = y.cast(x1.dtype);
    return reduceLoss('marginRankingLoss', x1.sub(x2).mul(yf).neg().add(margin).relu(), opts.reduction ?? 'mean');
  });
}
