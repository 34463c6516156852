/**
 * SqueezeNet 1.1's feature network in torchvision's layout (`features.0.weight`,
 * `features.N.{squeeze,expand1x1,expand3x3}.{weight,bias}`), the LPIPS 'squeeze' backbone.
 */
import type { Tensor } from '@pixgrad/core';
import {
  type BackboneOptions,
  type BackboneWeightsSource,
  type NetLayer,
  TorchvisionFeatures,
  loadNetParams,
  paramsFromStateDict,
  randomNetParams,
  scaleChannels,
} from './torchvision-features.js';
import { findTorchvisionWeights } from './weights.js';

/**
 * The widths of squeezenet1_1: the first conv's output, then (squeeze, expand) of the eight Fire
 * modules fire2..fire9 (each expands to 2x `expand` channels: 1x1 and 3x3 branches concatenated).
 */
export const SQUEEZENET1_1_WIDTHS = {
  conv1: 64,
  fire: [
    [16, 64],
    [16, 64],
    [32, 128],
    [32, 128],
    [48, 192],
    [48, 192],
    [64, 256],
    [64, 256],
  ],
} as const;

export interface SqueezeWidths {
  conv1: number;
  /** [squeeze, expand] of fire2..fire9 */
  fire: readonly (readonly [number, number])[];
}

/**
 * torchvision's `squeezenet1_1().features` (Iandola et al. 2016, v1.1):
 *   0 conv1 3x3/2, 1 relu1, 2 pool1 3/2 (ceil_mode), 3 fire2, 4 fire3, 5 pool3 3/2 (ceil),
 *   6 fire4, 7 fire5, 8 pool5 3/2 (ceil), 9 fire6, 10 fire7, 11 fire8, 12 fire9.
 * A Fire module is ReLU(squeeze 1x1), then [ReLU(expand1x1), ReLU(expand3x3 pad 1)] on channels.
 */
export function squeezenetLayers(w: SqueezeWidths = SQUEEZENET1_1_WIDTHS): NetLayer[] {
  const layers: NetLayer[] = [
    { index: 0, name: 'conv1', kind: 'conv', conv: { inChannels: 3, outChannels: w.conv1, kernel: 3, stride: 2, padding: 0 } },
    { index: 1, name: 'relu1', kind: 'relu' },
  ];
  const pool = (index: number, k: number): NetLayer => ({ index, name: `pool${k}`, kind: 'pool', pool: { kernel: 3, stride: 2, ceilMode: true } });
  let cin = w.conv1;
  let index = 2;
  layers.push(pool(index++, 1));
  w.fire.forEach(([sq, ex], i) => {
    const fireNo = i + 2;
    layers.push({ index: index++, name: `fire${fireNo}`, kind: 'fire', fire: { inChannels: cin, squeeze: sq, expand1x1: ex, expand3x3: ex } });
    cin = 2 * ex;
    if (fireNo === 3 || fireNo === 5) layers.push(pool(index++, fireNo));
  });
  return layers;
}

/** SqueezeNet 1.1 features. Taps: conv1, relu1, pool1, fire2..fire9, pool3, pool5. */
export class SqueezeNet extends TorchvisionFeatures {
  /** @internal use `squeezenet1_1`, `squeezenetFromStateDict` or `randomSqueezeNet` */
  constructor(
    readonly widths: SqueezeWidths,
    params: Map<string, Tensor>,
    normalize: boolean,
  ) {
    super('squeezenet1_1', squeezenetLayers(widths), params, normalize);
  }
}

export interface SqueezeNetOptions extends BackboneOptions {
  /** a checkpoint (path or bytes, any format; `classifier.*` skipped) or tensors by torchvision name; default: `squeezenet1_1-b8a52dc0.pth` in the torch hub cache */
  weights?: BackboneWeightsSource;
  widths?: SqueezeWidths;
}

/**
 * torchvision's SqueezeNet 1.1 features with its ImageNet weights: from `weights` or, by
 * default, `squeezenet1_1-b8a52dc0.pth` in the torch hub cache. Strict key and shape checks.
 * @example const net = await squeezenet1_1({ weights: 'squeezenet1_1-b8a52dc0.pth' });
 */
export async function squeezenet1_1(opts: SqueezeNetOptions = {}): Promise<SqueezeNet> {
  const widths = opts.widths ?? SQUEEZENET1_1_WIDTHS;
  const src = opts.weights ?? (await findTorchvisionWeights('squeezenet1_1'));
  const params = await loadNetParams('squeezenet1_1', squeezenetLayers(widths), src, opts);
  return new SqueezeNet(widths, params, opts.normalize ?? true);
}

/** SqueezeNet 1.1 from tensors by torchvision name (detached handles: the caller keeps them). */
export function squeezenetFromStateDict(tensors: ReadonlyMap<string, Tensor>, opts: BackboneOptions & { widths?: SqueezeWidths } = {}): SqueezeNet {
  const widths = opts.widths ?? SQUEEZENET1_1_WIDTHS;
  return new SqueezeNet(widths, paramsFromStateDict('squeezenet1_1', squeezenetLayers(widths), tensors, opts, false), opts.normalize ?? true);
}

/**
 * SqueezeNet 1.1 with seeded random weights; `widthMultiplier` narrows every layer.
 * @example const tiny = randomSqueezeNet({ widthMultiplier: 1 / 16, dtype: 'float64' });
 */
export function randomSqueezeNet(opts: BackboneOptions & { seed?: number; widthMultiplier?: number } = {}): SqueezeNet {
  const m = opts.widthMultiplier ?? 1;
  const base = SQUEEZENET1_1_WIDTHS;
  const widths: SqueezeWidths = {
    conv1: scaleChannels([base.conv1], m, 'randomSqueezeNet')[0]!,
    fire: base.fire.map(([s, e]) => scaleChannels([s, e], m, 'randomSqueezeNet') as [number, number]),
  };
  return new SqueezeNet(widths, randomNetParams(squeezenetLayers(widths), opts.seed ?? 0, opts.dtype ?? 'float32', opts.device), opts.normalize ?? true);
}
