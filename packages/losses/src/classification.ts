/**
 * Classification losses with PyTorch's exact semantics: torch.nn.functional.cross_entropy,
 * nll_loss, binary_cross_entropy and binary_cross_entropy_with_logits; plus a per-pixel
 * weight-map cross-entropy (U-Net).
 */
import { type Tensor, ShapeError, ValueError, fmtShape, oneHot, tidy } from '@pixgrad/core';
import { type Reduction, checkFloat, checkReduction, checkSameShape, select } from './util.js';

export interface NllOptions {
  /** a manual rescaling weight for each class, shape [C] */
  weight?: Tensor;
  /** targets equal to this are ignored: no loss and no weight in the mean (default -100, as PyTorch) */
  ignoreIndex?: number;
  /** 'mean' (default; weighted mean, see below), 'sum', or 'none' (per sample [N, d1, ...]) */
  reduction?: Reduction;
}

export interface CrossEntropyOptions extends NllOptions {
  /** label smoothing epsilon in [0, 1] (default 0), as PyTorch's label_smoothing */
  labelSmoothing?: number;
}

/** Validates class-index targets against [N, C, d...] inputs; returns C. */
function checkIndexTarget(op: string, input: Tensor, target: Tensor): number {
  if (input.rank < 1) throw new ShapeError(`${op}: input must have a class dimension, got ${fmtShape(input.shape)}`);
  const batched = input.rank >= 2;
  const C = batched ? input.shape[1]! : input.shape[0]!;
  const expect = batched ? [input.shape[0]!, ...input.shape.slice(2)] : [];
  if (target.rank !== expect.length || target.shape.some((d, i) => d !== expect[i])) {
    throw new ShapeError(`${op}: class-index target ${fmtShape(target.shape)} must be ${fmtShape(expect)} for input ${fmtShape(input.shape)}`);
  }
  return C;
}

function checkWeight(op: string, weight: Tensor | undefined, C: number): void {
  if (weight && (weight.rank !== 1 || weight.shape[0] !== C)) {
    throw new ShapeError(`${op}: weight ${fmtShape(weight.shape)} must be [${C}] (one per class)`);
  }
}

/** A per-class constant [C] viewed for broadcasting along axis 1 of a rank-r input. */
function classView(w: Tensor, rank: number): Tensor {
  if (rank < 2) return w.reshape(w.shape);
  return w.reshape([1, w.shape[0]!, ...Array<number>(rank - 2).fill(1)]);
}

/**
 * Negative log-likelihood (torch.nn.functional.nll_loss) of log-probabilities `input` [N, C, d1, ...]
 * (or [C]) and int32 class indices `target` [N, d1, ...] (or []):
 *   l_i = -w[y_i] * input[i, y_i], and l_i = 0 where y_i == ignoreIndex;
 *   'mean' = sum_i l_i / sum_i w[y_i] over the non-ignored i (PyTorch's weighted mean; NaN when
 *   every target is ignored, as PyTorch).
 * Out-of-range class indices (other than ignoreIndex) throw an IndexError.
 * @example nllLoss(logits.logSoftmax(1), labels, { weight: classWeights })
 */
export function nllLoss(input: Tensor, target: Tensor, opts: NllOptions = {}): Tensor {
  const C = checkIndexTarget('nllLoss', input, target);
  checkWeight('nllLoss', opts.weight, C);
  if (target.dtype !== 'int32') throw new ValueError(`nllLoss: target must be int32 class indices, got ${target.dtype} ${fmtShape(target.shape)}`);
  const reduction = opts.reduction ?? 'mean';
  checkReduction('nllLoss', reduction, ['mean', 'sum', 'none']);
  return tidy(() => nll(input, target, opts.weight, opts.ignoreIndex ?? -100, reduction).loss);
}

/** nll with the pieces cross-entropy's label smoothing reuses. */
function nll(input: Tensor, target: Tensor, weight: Tensor | undefined, ignoreIndex: number, reduction: Reduction) {
  const batched = input.rank >= 2;
  const keep = target.ne(ignoreIndex);
  const safe = target.mul(keep.cast('int32')); // ignored targets read class 0, then get weight 0
  const idx = batched ? safe.unsqueeze(1) : safe.reshape([1]);
  const picked = input.gather(batched ? 1 : 0, idx);
  const logp = batched ? picked.squeeze(1) : picked.reshape([]);
  const keepF = keep.cast(input.dtype);
  const w = weight
    ? weight
        .indexSelect(0, safe.reshape([-1]))
        .reshape(safe.shape)
        .mul(keepF)
    : keepF;
  const per = logp.neg().mul(w);
  let loss: Tensor;
  if (reduction === 'none') loss = per;
  else if (reduction === 'sum') loss = per.sum();
  else loss = per.sum().div(w.sum());
  return { loss, keep, keepF, w };
}

/**
 * Cross-entropy of logits (torch.nn.functional.cross_entropy): log_softmax over the class
 * dimension (axis 1, or 0 for an unbatched [C] input), then:
 *
 * - class-index targets (int32, [N, d1, ...]: e.g. per-pixel segmentation labels [N, H, W] for
 *   logits [N, C, H, W]): nll_loss with `weight` and `ignoreIndex`; 'mean' divides by the sum of
 *   the weights of the non-ignored targets. With labelSmoothing e:
 *     (1 - e) * nll + (e / C) * smooth, smooth_i = -sum_c w_c log p_ic (0 where ignored),
 *   and 'mean' divides smooth's sum by the same sum of target weights (PyTorch's
 *   cross_entropy_loss_label_smoothing).
 * - probability targets (float, same shape as input): l_i = -sum_c w_c t_ic log p_ic with
 *   t = (1 - e) t + e / C; 'mean' divides by the number of samples N * d1 * ... (weights do not
 *   normalise, as PyTorch); ignoreIndex does not apply.
 * @example crossEntropy(logits, labels, { ignoreIndex: 255, labelSmoothing: 0.1 })
 */
export function crossEntropy(input: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  checkFloat('crossEntropy', input);
  const reduction = opts.reduction ?? 'mean';
  checkReduction('crossEntropy', reduction, ['mean', 'sum', 'none']);
  const eps = opts.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps <= 1)) throw new ValueError(`crossEntropy: labelSmoothing must be in [0, 1], got ${eps}`);
  const axis = input.rank >= 2 ? 1 : 0;
  const C = input.shape[axis]!;
  checkWeight('crossEntropy', opts.weight, C);
  if (target.dtype === 'float32' || target.dtype === 'float64') {
    checkSameShape('crossEntropy', input, target, ['input', 'probability target']);
    return tidy(() => {
      const logp = input.logSoftmax(axis);
      const t = eps > 0 ? target.mul(1 - eps).add(eps / C) : target;
      let prod = logp.mul(t);
      if (opts.weight) prod = prod.mul(classView(opts.weight, input.rank));
      const per = prod.sum(axis).neg();
      if (reduction === 'none') return per;
      return reduction === 'sum' ? per.sum() : per.mean();
    });
  }
  if (target.dtype !== 'int32') throw new ValueError(`crossEntropy: target must be int32 class indices or float probabilities, got ${target.dtype}`);
  checkIndexTarget('crossEntropy', input, target);
  return tidy(() => {
    const logp = input.logSoftmax(axis);
    const base = nll(logp, target, opts.weight, opts.ignoreIndex ?? -100, reduction);
    if (eps === 0) return base.loss;
    let lw = logp;
    if (opts.weight) lw = logp.mul(classView(opts.weight, input.rank));
    const smooth = lw.sum(axis).neg().mul(base.keepF);
    let s: Tensor;
    if (reduction === 'none') s = smooth;
    else if (reduction === 'sum') s = smooth.sum();
    else s = smooth.sum().div(base.w.sum());
    return base.loss.mul(1 - eps).add(s.mul(eps / C));
  });
}

export interface PixelWeightedCrossEntropyOptions {
  /** per-class weights [C] applied on top of the map (default none) */
  weight?: Tensor;
  ignoreIndex?: number;
  /** 'mean' (default): sum(map * l) / sum(map over non-ignored pixels); 'sum'; 'none' */
  reduction?: Reduction;
}

/**
 * Cross-entropy weighted per pixel by a weight map (Ronneberger, Fischer and Brox 2015, U-Net,
 * eq. 1: E = sum_x w(x) log p_{l(x)}(x)), for class imbalance and touching-object borders:
 *   l = weightMap * crossEntropy(logits, labels, { reduction: 'none', weight, ignoreIndex });
 *   'mean' divides by the sum of the map over the non-ignored pixels (a weighted mean).
 * logits [N, C, H, W] (any trailing dims), labels int32 [N, H, W], weightMap [N, H, W] (constant;
 * e.g. from `classBalanceWeightMap`, or U-Net's w_c + w0 exp(-(d1 + d2)^2 / (2 sigma^2)) computed
 * outside).
 * @example pixelWeightedCrossEntropy(logits, labels, classBalanceWeightMap(labels, 3))
 */
export function pixelWeightedCrossEntropy(logits: Tensor, labels: Tensor, weightMap: Tensor, opts: PixelWeightedCrossEntropyOptions = {}): Tensor {
  checkSameShape('pixelWeightedCrossEntropy', labels, weightMap, ['labels', 'weightMap']);
  const reduction = opts.reduction ?? 'mean';
  checkReduction('pixelWeightedCrossEntropy', reduction, ['mean', 'sum', 'none']);
  const ignoreIndex = opts.ignoreIndex ?? -100;
  return tidy(() => {
    const per = crossEntropy(logits, labels, { reduction: 'none', ignoreIndex, ...(opts.weight && { weight: opts.weight }) });
    const l = per.mul(weightMap);
    if (reduction === 'none') return l;
    if (reduction === 'sum') return l.sum();
    const keep = labels.ne(ignoreIndex).cast(weightMap.dtype);
    return l.sum().div(weightMap.mul(keep).sum());
  });
}

/**
 * The class-balancing weight map of U-Net's w_c term: each pixel weighted by
 * (number of labelled pixels) / (C * count of its class), so every class present contributes
 * equally (sklearn's 'balanced' class weights); ignored pixels get 0. labels int32 [N, ...],
 * result float32 (or `dtype`) of the same shape, computed per batch.
 * @example classBalanceWeightMap(tensor([0, 0, 0, 1], { dtype: 'int32' }), 2) // [2/3, 2/3, 2/3, 2]
 */
export function classBalanceWeightMap(labels: Tensor, numClasses: number, opts: { ignoreIndex?: number; dtype?: 'float32' | 'float64' } = {}): Tensor {
  if (labels.dtype !== 'int32') throw new ValueError(`classBalanceWeightMap: labels must be int32, got ${labels.dtype}`);
  const ignoreIndex = opts.ignoreIndex ?? -100;
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new ValueError(`classBalanceWeightMap: numClasses must be a positive integer, got ${numClasses}`);
  const dtype = opts.dtype ?? 'float32';
  return tidy(() => {
    const keep = labels.ne(ignoreIndex);
    const safe = labels.mul(keep.cast('int32'));
    const keepF = keep.cast(dtype);
    // counts[c] = labelled pixels of class c (oneHot throws an IndexError for labels outside [0, C))
    const oh = oneHot(safe, numClasses, { dtype }).mul(keepF.unsqueeze(-1));
    const counts = oh.reshape([-1, numClasses]).sum(0);
    const present = counts.gt(0).cast(dtype).sum();
    const perClass = keepF.sum().div(present.mul(counts.maximum(1)));
    const w = perClass.indexSelect(0, safe.reshape([-1])).reshape(labels.shape);
    return select(keep, w, 0, w);
  });
}

export interface BceOptions {
  /** a rescaling weight broadcast against the elementwise loss */
  weight?: Tensor;
  reduction?: Reduction;
}

/**
 * Binary cross-entropy of probabilities p in [0, 1] (torch.nn.functional.binary_cross_entropy):
 *   l = -w (y log p + (1 - y) log(1 - p)),
 * with each log clamped to >= -100 as PyTorch does, so p = 0 or 1 gives finite values (and,
 * here, finite gradients: the clamp is applied to p before the log, log(max(p, e^-100))).
 * Prefer `bceWithLogits` on logits: it is exact where sigmoid saturates.
 * @example binaryCrossEntropy(probs, targets)
 */
export function binaryCrossEntropy(p: Tensor, y: Tensor, opts: BceOptions = {}): Tensor {
  checkSameShape('binaryCrossEntropy', p, y);
  const reduction = opts.reduction ?? 'mean';
  checkReduction('binaryCrossEntropy', reduction, ['mean', 'sum', 'none']);
  const floor = Math.exp(-100);
  return tidy(() => {
    const lp = p.maximum(floor).log();
    const l1p = p.neg().add(1).maximum(floor).log();
    let l = y.mul(lp).add(y.neg().add(1).mul(l1p)).neg();
    if (opts.weight) l = l.mul(opts.weight);
    if (reduction === 'none') return l;
    return reduction === 'sum' ? l.sum() : l.mean();
  });
}

export interface BceWithLogitsOptions extends BceOptions {
  /** weight of the positive examples, broadcast against the target (e.g. [C] for [N, C], [C, 1, 1] for [N, C, H, W]) */
  posWeight?: Tensor;
}

/**
 * Binary cross-entropy on logits x (torch.nn.functional.binary_cross_entropy_with_logits),
 * numerically stable for any |x|:
 *   l = w [(1 - y) x + (1 + (pw - 1) y) softplus(-x)],
 * which equals -w [pw y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))]; softplus(-x) =
 * log(1 + e^-x) never overflows (PyTorch's softplus, linear beyond |x| > 20).
 * @example bceWithLogits(logits, masks, { posWeight: tensor([3]) })
 */
export function bceWithLogits(x: Tensor, y: Tensor, opts: BceWithLogitsOptions = {}): Tensor {
  checkSameShape('bceWithLogits', x, y, ['input', 'target']);
  const reduction = opts.reduction ?? 'mean';
  checkReduction('bceWithLogits', reduction, ['mean', 'sum', 'none']);
  return tidy(() => {
    const sp = x.neg().softplus();
    const coef = opts.posWeight ? opts.posWeight.sub(1).mul(y).add(1) : null;
    let l = y
      .neg()
      .add(1)
      .mul(x)
      .add(coef ? coef.mul(sp) : sp);
    if (opts.weight) l = l.mul(opts.weight);
    if (reduction === 'none') return l;
    return reduction === 'sum' ? l.sum() : l.mean();
  });
}
