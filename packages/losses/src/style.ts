/**
 * Gram-matrix style and texture losses on a frozen VGG: Gatys, Ecker and Bethge, "Image Style
 * Transfer Using Convolutional Neural Networks" (CVPR 2016) and Johnson, Alahi and Fei-Fei,
 * "Perceptual Losses for Real-Time Style Transfer and Super-Resolution" (ECCV 2016).
 */
import { ShapeError, type Tensor, ValueError, fmtShape, tidy } from '@pixgrad/core';
import type { Vgg } from '@pixgrad/models';
import { gramMatrix } from './divergence.js';
import { layerWeights, reduceBatch } from './perceptual.js';
import { type Reduction, checkImage, checkReduction, checkSameShape } from './util.js';

/** Johnson et al.'s style layers (VGG16). */
export const JOHNSON_STYLE_LAYERS = ['relu1_2', 'relu2_2', 'relu3_3', 'relu4_3'] as const;
/**
 * Gatys et al.'s style layers: 'conv1_1', 'conv2_1', ..., 'conv5_1' in their (Caffe) naming, where
 * the ReLU runs in place, so the features are the rectified ones: relu{k}_1 here; w_l = 1/5.
 */
export const GATYS_STYLE_LAYERS = ['relu1_1', 'relu2_1', 'relu3_1', 'relu4_1', 'relu5_1'] as const;
/** Gatys et al.'s content layer ('conv4_2', rectified). */
export const GATYS_CONTENT_LAYER = 'relu4_2';

/** Precomputed Gram matrices by tap ([N_s, C, C], normalised by C H W), e.g. of a fixed style image. */
export type GramTargets = ReadonlyMap<string, Tensor>;

/**
 * Gram matrices G = F F^T / (C H W) of `image`'s features at `layers` ([N, C, C] each), to pass
 * as the target of `styleLoss`/`textureLoss` when the same style image is used many times.
 * @example const targets = styleTargets(vgg, styleImg, JOHNSON_STYLE_LAYERS);
 */
export function styleTargets(net: Vgg, image: Tensor, layers: readonly string[]): Map<string, Tensor> {
  checkImage('styleTargets', image, 'style image');
  return tidy(() => {
    const f = net.features(image, layers);
    return new Map(layers.map((l) => [l, gramMatrix(f.get(l)!)] as const));
  });
}

export interface StyleLossOptions {
  net: Vgg;
  /** taps (weight 1 each) or tap -> weight; default relu1_2, relu2_2, relu3_3, relu4_3 (Johnson et al.) */
  layers?: readonly string[] | Readonly<Record<string, number>>;
  /** over the batch: 'mean' (default), 'sum' or 'none' ([N]) */
  reduction?: Reduction;
}

/** sum_l w_l * scale * ||G_l(x) - T_l||_F^2 per sample ([N]); `fx` may already hold x's features. */
function gramDistance(
  op: string,
  x: Tensor,
  target: Tensor | GramTargets,
  net: Vgg,
  layers: [string, number][],
  scale: number,
  fx?: Map<string, Tensor>,
): Tensor {
  checkImage(op, x, 'input');
  const taps = layers.map(([l]) => l);
  if (!(target instanceof Map)) checkImage(op, target as Tensor, 'style target');
  const N = x.shape[0]!;
  return tidy(() => {
    const feats = fx ?? net.features(x, taps);
    const targets = target instanceof Map ? (target as GramTargets) : styleTargets(net, target as Tensor, taps);
    let total: Tensor | null = null;
    for (const [l, w] of layers) {
      const t = targets.get(l);
      if (!t) throw new ValueError(`${op}: the precomputed targets have no Gram matrix for ${l} (they have ${[...targets.keys()].join(', ')})`);
      const g = gramMatrix(feats.get(l)!);
      if (t.rank !== 3 || t.shape[1] !== g.shape[1] || t.shape[2] !== g.shape[2] || (t.shape[0] !== 1 && t.shape[0] !== N)) {
        throw new ShapeError(
          `${op}: the style target's Gram matrix at ${l} is ${fmtShape(t.shape)}, expected [1 or ${N}, ${g.shape[1]}, ${g.shape[2]}] (input ${fmtShape(x.shape)})`,
        );
      }
      const term = g
        .sub(t)
        .square()
        .sum([1, 2])
        .mul(w * scale);
      total = total ? total.add(term) : term;
    }
    return total!;
  });
}

/**
 * Style reconstruction loss, Johnson et al. 2016:
 *   l_style(x, s) = sum_j w_j ||G_j(x) - G_j(s)||_F^2,   G_j(x) = F_j F_j^T / (C_j H_j W_j)
 * (F_j: the [C_j, H_j W_j] features at tap j; default relu1_2, relu2_2, relu3_3, relu4_3, w = 1).
 * x [N, 3, H, W] and the style target [1 or N, 3, H', W'] may differ in size (Gram matrices are
 * C x C whatever the size); the target may also be precomputed Gram matrices (`styleTargets`).
 * @example const loss = styleLoss(output, styleImg, { net: vgg });
 */
export function styleLoss(x: Tensor, style: Tensor | GramTargets, opts: StyleLossOptions): Tensor {
  const op = 'styleLoss';
  if (!opts || !opts.net) throw new ValueError(`${op}: a feature network is required ({ net: await vgg16() })`);
  const layers = layerWeights(op, opts.layers ?? JOHNSON_STYLE_LAYERS);
  const reduction = opts.reduction ?? 'mean';
  checkReduction(op, reduction, ['mean', 'sum', 'none']);
  return tidy(() => reduceBatch(op, gramDistance(op, x, style, opts.net, layers, 1), reduction));
}

export interface TextureLossOptions {
  net: Vgg;
  /** taps (each weighted 1/L, Gatys et al.'s w_l) or tap -> weight; default relu1_1 ... relu5_1 */
  layers?: readonly string[] | Readonly<Record<string, number>>;
  reduction?: Reduction;
}

/**
 * Texture (style) loss with Gatys et al. 2016's weighting (eq. 4-5):
 *   E_l = 1 / (4 N_l^2 M_l^2) sum_ij (G^l_ij - A^l_ij)^2,   L = sum_l w_l E_l
 * with G^l = F^l F^l^T unnormalised (N_l channels, M_l = H_l W_l positions), which equals
 * (1/4) ||G_l - A_l||_F^2 in the C H W-normalised Gram matrices; default layers relu1_1 ...
 * relu5_1 (the paper's conv1_1 ... conv5_1, rectified) with w_l = 1/5. A list of layers gets
 * w_l = 1/L; a record gives the weights. The target may differ in size or be precomputed Grams.
 * @example const loss = textureLoss(synth, textureImg, { net: await vgg19() });
 */
export function textureLoss(x: Tensor, texture: Tensor | GramTargets, opts: TextureLossOptions): Tensor {
  const op = 'textureLoss';
  if (!opts || !opts.net) throw new ValueError(`${op}: a feature network is required ({ net: await vgg19() })`);
  const spec = opts.layers ?? GATYS_STYLE_LAYERS;
  let layers = layerWeights(op, spec);
  if (Array.isArray(spec)) layers = layers.map(([l]) => [l, 1 / layers.length]);
  const reduction = opts.reduction ?? 'mean';
  checkReduction(op, reduction, ['mean', 'sum', 'none']);
  return tidy(() => reduceBatch(op, gramDistance(op, x, texture, opts.net, layers, 0.25), reduction));
}

export interface ContentStyleLossOptions {
  net: Vgg;
  /** content weight (default 1) */
  alpha?: number;
  /** style weight (default 1e3: the paper's alpha/beta = 1e-3) */
  beta?: number;
  /** content tap (default relu4_2, the paper's conv4_2) */
  contentLayer?: string;
  /** style taps as in `textureLoss` (default relu1_1 ... relu5_1, 1/5 each) */
  styleLayers?: readonly string[] | Readonly<Record<string, number>>;
  reduction?: Reduction;
}

/**
 * Gatys et al. 2016's style-transfer objective (eq. 7):
 *   L = alpha * L_content + beta * L_style,
 *   L_content = 1/2 sum_ij (F^l_ij - P^l_ij)^2   (features of x and of the content image at conv4_2),
 *   L_style = textureLoss(x, style)               (conv1_1 ... conv5_1, w_l = 1/5).
 * content must have x's shape; style may differ in size or be precomputed Grams. Per sample, then
 * reduced over the batch.
 * @example const loss = contentStyleLoss(img, contentImg, styleImg, { net: await vgg19(), beta: 1e4 });
 */
export function contentStyleLoss(x: Tensor, content: Tensor, style: Tensor | GramTargets, opts: ContentStyleLossOptions): Tensor {
  const op = 'contentStyleLoss';
  if (!opts || !opts.net) throw new ValueError(`${op}: a feature network is required ({ net: await vgg19() })`);
  checkImage(op, x, 'input');
  checkImage(op, content, 'content');
  checkSameShape(op, x, content, ['input', 'content']);
  const alpha = opts.alpha ?? 1;
  const beta = opts.beta ?? 1e3;
  if (!Number.isFinite(alpha) || !Number.isFinite(beta)) throw new ValueError(`${op}: alpha and beta must be finite numbers, got ${alpha}, ${beta}`);
  const reduction = opts.reduction ?? 'mean';
  checkReduction(op, reduction, ['mean', 'sum', 'none']);
  const cl = opts.contentLayer ?? GATYS_CONTENT_LAYER;
  const spec = opts.styleLayers ?? GATYS_STYLE_LAYERS;
  let layers = layerWeights(op, spec);
  if (Array.isArray(spec)) layers = layers.map(([l]) => [l, 1 / layers.length]);
  return tidy(() => {
    const taps = [...new Set([cl, ...layers.map(([l]) => l)])];
    const fx = opts.net.features(x, taps);
    const fc = opts.net.features(content, [cl]).get(cl)!;
    const n = x.shape[0]!;
    const lc = fx.get(cl)!.sub(fc).square().reshape([n, -1]).sum(1).mul(0.5);
    const ls = gramDistance(op, x, style, opts.net, layers, 0.25, fx);
    return reduceBatch(op, lc.mul(alpha).add(ls.mul(beta)), reduction);
  });
}
