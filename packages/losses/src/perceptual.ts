/**
 * Feature-reconstruction (perceptual) losses on a frozen VGG: Johnson, Alahi and Fei-Fei,
 * "Perceptual Losses for Real-Time Style Transfer and Super-Resolution" (ECCV 2016), and the
 * layer-weight configurations BasicSR trains its GAN super-resolution models with.
 */
import { type Tensor, ValueError, tidy } from '@pixgrad/core';
import type { Vgg } from '@pixgrad/models';
import { type Reduction, checkImage, checkReduction, checkSameShape } from './util.js';

/** A named layer-weight configuration. */
export interface PerceptualPreset {
  /** tap name -> weight */
  layers: Readonly<Record<string, number>>;
  criterion: 'l1' | 'l2';
  /** the network the preset was defined on */
  arch: 'vgg16' | 'vgg19';
  source: string;
}

/**
 * Named presets:
 * - `johnson`: Johnson et al. 2016 feature reconstruction, relu2_2 of VGG16, squared L2 / (C H W).
 * - `esrgan`: BasicSR `options/train/ESRGAN/train_ESRGAN_x4.yml` (also `SRResNet_SRGAN/train_MSRGAN_x4.yml`):
 *   `{ conv5_4: 1 }` (before ReLU), VGG19, criterion l1.
 * - `realesrgan`: BasicSR `options/train/RealESRGAN/train_realesrgan_x4plus.yml`:
 *   `{ conv1_2: 0.1, conv2_2: 0.1, conv3_4: 1, conv4_4: 1, conv5_4: 1 }` (before ReLU), VGG19, l1.
 * BasicSR's `PerceptualLoss` computes sum_l w_l * criterion(phi_l(x), phi_l(gt)) with
 * torch.nn.L1Loss / MSELoss (means over every element), which is what `perceptualLoss` does.
 */
export const PERCEPTUAL_PRESETS: Readonly<Record<'johnson' | 'esrgan' | 'realesrgan', PerceptualPreset>> = {
  johnson: { layers: { relu2_2: 1 }, criterion: 'l2', arch: 'vgg16', source: 'Johnson et al. 2016, Sec. 3.1 (feature reconstruction loss at relu2_2)' },
  esrgan: { layers: { conv5_4: 1 }, criterion: 'l1', arch: 'vgg19', source: 'BasicSR options/train/ESRGAN/train_ESRGAN_x4.yml' },
  realesrgan: {
    layers: { conv1_2: 0.1, conv2_2: 0.1, conv3_4: 1, conv4_4: 1, conv5_4: 1 },
    criterion: 'l1',
    arch: 'vgg19',
    source: 'BasicSR options/train/RealESRGAN/train_realesrgan_x4plus.yml',
  },
};

export interface PerceptualLossOptions {
  /** the frozen feature network (`await vgg16()`, `await vgg19()`, or `randomVgg(...)` in tests) */
  net: Vgg;
  /**
   * taps and their weights: a list (weight 1 each) or a record `{ relu2_2: 1, relu4_3: 0.5 }`.
   * `conv*` taps are before the ReLU, `relu*` after it. Default `['relu2_2']` (Johnson et al.), or
   * the preset's.
   */
  layers?: readonly string[] | Readonly<Record<string, number>>;
  /** 'l2' (default): mean squared difference, i.e. ||phi(x) - phi(y)||^2 / (C H W); 'l1': mean absolute difference */
  criterion?: 'l1' | 'l2';
  /** a named configuration (its layers and criterion; explicit `layers`/`criterion` override it) */
  preset?: keyof typeof PERCEPTUAL_PRESETS;
  /** over the batch: 'mean' (default), 'sum' or 'none' ([N]) */
  reduction?: Reduction;
}

/** Tap -> weight from a list or record. */
export function layerWeights(op: string, layers: readonly string[] | Readonly<Record<string, number>>): [string, number][] {
  const entries: [string, number][] = Array.isArray(layers)
    ? (layers as readonly string[]).map((l) => [l, 1])
    : Object.entries(layers as Record<string, number>);
  if (entries.length === 0) throw new ValueError(`${op}: at least one layer is needed`);
  for (const [l, w] of entries) if (!Number.isFinite(w)) throw new ValueError(`${op}: the weight of ${l} must be a finite number, got ${w}`);
  return entries;
}

/** Per-sample mean over every axis but the first: [N, ...] -> [N]. */
export function perSampleMean(t: Tensor): Tensor {
  return t.reshape([t.shape[0]!, -1]).mean(1);
}

/** Applies 'mean' | 'sum' | 'none' to a per-sample vector [N]. */
export function reduceBatch(op: string, perSample: Tensor, reduction: Reduction): Tensor {
  checkReduction(op, reduction, ['mean', 'sum', 'none']);
  return reduction === 'none' ? perSample : reduction === 'sum' ? perSample.sum() : perSample.mean();
}

/**
 * Perceptual (feature reconstruction) loss, Johnson et al. 2016:
 *   l(x, y) = sum_j w_j * (1 / (C_j H_j W_j)) * ||phi_j(x) - phi_j(y)||_2^2
 * with phi_j the VGG activations at tap j (default relu2_2, weight 1): per sample the mean of the
 * squared (criterion 'l2') or absolute ('l1') feature difference, weighted and summed over taps,
 * then reduced over the batch. Inputs [N, 3, H, W] in [0, 1] (the net ImageNet-normalises them
 * unless built with `normalize: false`). With `preset: 'esrgan'` or `'realesrgan'` this is
 * BasicSR's PerceptualLoss (perceptual_weight 1, style_weight 0) with those configurations.
 * Gradients flow to both inputs (detach the target to treat it as a constant).
 * @example
 * const vgg = await vgg16();
 * const loss = perceptualLoss(output, target, { net: vgg }); // relu2_2, squared L2 / CHW
 * const esr = perceptualLoss(output, target, { net: await vgg19(), preset: 'esrgan' });
 */
export function perceptualLoss(x: Tensor, y: Tensor, opts: PerceptualLossOptions): Tensor {
  const op = 'perceptualLoss';
  if (!opts || !opts.net) throw new ValueError(`${op}: a feature network is required ({ net: await vgg16() })`);
  checkImage(op, x, 'input');
  checkImage(op, y, 'target');
  checkSameShape(op, x, y);
  const preset = opts.preset !== undefined ? PERCEPTUAL_PRESETS[opts.preset] : undefined;
  if (opts.preset !== undefined && !preset)
    throw new ValueError(`${op}: unknown preset ${JSON.stringify(opts.preset)} (use ${Object.keys(PERCEPTUAL_PRESETS).join(', ')})`);
  const layers = layerWeights(op, opts.layers ?? preset?.layers ?? ['relu2_2']);
  const criterion = opts.criterion ?? preset?.criterion ?? 'l2';
  if (criterion !== 'l1' && criterion !== 'l2') throw new ValueError(`${op}: criterion must be 'l1' or 'l2', got ${JSON.stringify(criterion)}`);
  const reduction = opts.reduction ?? 'mean';
  checkReduction(op, reduction, ['mean', 'sum', 'none']);
  return tidy(() => {
    const taps = layers.map(([l]) => l);
    const fx = opts.net.features(x, taps);
    const fy = opts.net.features(y, taps);
    let total: Tensor | null = null;
    for (const [l, w] of layers) {
      const diff = fx.get(l)!.sub(fy.get(l)!);
      const term = perSampleMean(criterion === 'l2' ? diff.square() : diff.abs()).mul(w);
      total = total ? total.add(term) : term;
    }
    return reduceBatch(op, total!, reduction);
  });
}
