/**
 * Topology-aware loss for delineation (Mosinska, Marquez-Neila, Kozinski and Fua, "Beyond the
 * Pixel-Wise Loss for Topology-Aware Delineation", CVPR 2018).
 */
import { type Tensor, ValueError, tidy } from '@pixgrad/core';
import type { Vgg } from '@pixgrad/models';
import { layerWeights, perSampleMean, reduceBatch } from './perceptual.js';
import { type Reduction, checkImage, checkReduction, checkSameShape } from './util.js';

/**
 * The VGG19 layers of the paper (Sec. 3.2): its conv1_2, conv2_2 and conv3_4, whose feature maps
 * are the rectified ones (the in-place ReLU of the Caffe/torchvision VGG): relu1_2, relu2_2,
 * relu3_4 here.
 */
export const TOPOLOGY_LAYERS = ['relu1_2', 'relu2_2', 'relu3_4'] as const;

export interface TopologyLossOptions {
  /** VGG19 (`await vgg19()`); any Vgg with the requested taps works */
  net: Vgg;
  /** weight of the topology term, the paper's mu (default 0.1) */
  mu?: number;
  /** taps (weight 1 each) or tap -> weight; default relu1_2, relu2_2, relu3_4 */
  layers?: readonly string[] | Readonly<Record<string, number>>;
  /**
   * true (default): each layer's squared distance is divided by its size C H W (a mean squared
   * error per layer, as common re-implementations do, so mu does not depend on the image size);
   * false: the paper's plain sum over feature maps and pixels.
   */
  normalize?: boolean;
  reduction?: Reduction;
}

/**
 * The topology term mu * L_top of Mosinska et al. 2018 (eq. 3):
 *   L_top = sum_n sum_m ||l_n^m(y) - l_n^m(f(x))||_2^2
 * where l_n^m is the m-th feature map of the n-th selected VGG19 layer, y the true mask and f(x)
 * the predicted one. Masks are [N, 1, H, W] probabilities in [0, 1] (repeated to 3 channels and
 * ImageNet-normalised by the net, as the paper feeds them to VGG19) or already [N, 3, H, W].
 * The paper trains with L = L_bce + mu * L_top; add your pixel loss to this term.
 * @example const loss = bceLoss.add(topologyLoss(sigmoid(logits), mask, { net: await vgg19() }));
 */
export function topologyLoss(pred: Tensor, target: Tensor, opts: TopologyLossOptions): Tensor {
  const op = 'topologyLoss';
  if (!opts || !opts.net) throw new ValueError(`${op}: a feature network is required ({ net: await vgg19() })`);
  checkImage(op, pred, 'prediction');
  checkImage(op, target, 'target');
  checkSameShape(op, pred, target, ['prediction', 'target']);
  if (pred.shape[1] !== 1 && pred.shape[1] !== 3) throw new ValueError(`${op}: masks must have 1 (or 3) channels, got ${pred.shape[1]}`);
  const mu = opts.mu ?? 0.1;
  if (!Number.isFinite(mu)) throw new ValueError(`${op}: mu must be a finite number, got ${mu}`);
  const layers = layerWeights(op, opts.layers ?? TOPOLOGY_LAYERS);
  const normalize = opts.normalize ?? true;
  const reduction = opts.reduction ?? 'mean';
  checkReduction(op, reduction, ['mean', 'sum', 'none']);
  return tidy(() => {
    const rgb = (m: Tensor) => (m.shape[1] === 1 ? m.expand([m.shape[0]!, 3, m.shape[2]!, m.shape[3]!]) : m);
    const taps = layers.map(([l]) => l);
    const fp = opts.net.features(rgb(pred), taps);
    const ft = opts.net.features(rgb(target), taps);
    const n = pred.shape[0]!;
    let total: Tensor | null = null;
    for (const [l, w] of layers) {
      const sq = fp.get(l)!.sub(ft.get(l)!).square();
      const per = normalize ? perSampleMean(sq) : sq.reshape([n, -1]).sum(1);
      const term = per.mul(w);
      total = total ? total.add(term) : term;
    }
    return reduceBatch(op, total!.mul(mu), reduction);
  });
}
