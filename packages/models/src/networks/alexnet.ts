/**
 * AlexNet's feature network in torchvision's layout (`features.N.weight` / `bias`), the LPIPS
 * 'alex' backbone, on the backbone framework of torchvision-features.ts.
 */
import { ValueError, type Tensor } from '@pixgrad/core';
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

/** Channel counts of AlexNet's five convs (torchvision's `alexnet().features`). */
export const ALEXNET_CHANNELS = [64, 192, 384, 256, 256] as const;

/**
 * torchvision's `alexnet().features` (Krizhevsky 2014 "one weird trick" variant):
 *   0 conv1 11x11/4 pad 2, 1 relu1, 2 pool1 3/2, 3 conv2 5x5 pad 2, 4 relu2, 5 pool2 3/2,
 *   6 conv3 3x3 pad 1, 7 relu3, 8 conv4, 9 relu4, 10 conv5, 11 relu5, 12 pool5 3/2.
 */
export function alexnetLayers(channels: readonly number[] = ALEXNET_CHANNELS): NetLayer[] {
  if (channels.length !== 5 || channels.some((c) => !Number.isInteger(c) || c < 1))
    throw new ValueError(`alexnetLayers: 5 positive channel counts expected, got ${JSON.stringify(channels)}`);
  const [c1, c2, c3, c4, c5] = channels as [number, number, number, number, number];
  const conv = (index: number, k: number, inC: number, outC: number, kernel: number, stride: number, padding: number): NetLayer => ({
    index,
    name: `conv${k}`,
    kind: 'conv',
    conv: { inChannels: inC, outChannels: outC, kernel, stride, padding },
  });
  const pool = (index: number, k: number): NetLayer => ({ index, name: `pool${k}`, kind: 'pool', pool: { kernel: 3, stride: 2, ceilMode: false } });
  const r = (index: number, k: number): NetLayer => ({ index, name: `relu${k}`, kind: 'relu' });
  return [
    conv(0, 1, 3, c1, 11, 4, 2),
    r(1, 1),
    pool(2, 1),
    conv(3, 2, c1, c2, 5, 1, 2),
    r(4, 2),
    pool(5, 2),
    conv(6, 3, c2, c3, 3, 1, 1),
    r(7, 3),
    conv(8, 4, c3, c4, 3, 1, 1),
    r(9, 4),
    conv(10, 5, c4, c5, 3, 1, 1),
    r(11, 5),
    pool(12, 5),
  ];
}

/** AlexNet's feature network. Taps: conv1..conv5, relu1..relu5, pool1, pool2, pool5. */
export class AlexNet extends TorchvisionFeatures {
  /** @internal use `alexnet`, `alexnetFromStateDict` or `randomAlexNet` */
  constructor(
    readonly channels: readonly number[],
    params: Map<string, Tensor>,
    normalize: boolean,
  ) {
    super('alexnet', alexnetLayers(channels), params, normalize);
  }
}

export interface AlexNetOptions extends BackboneOptions {
  /** a checkpoint (path or bytes, any format; `classifier.*` skipped) or tensors by torchvision name; default: `alexnet-owt-7be5be79.pth` in the torch hub cache */
  weights?: BackboneWeightsSource;
  /** channel counts of the five convs (default torchvision's 64, 192, 384, 256, 256) */
  channels?: readonly number[];
}

/**
 * torchvision's AlexNet features with its ImageNet weights: from `weights` or, by default,
 * `alexnet-owt-7be5be79.pth` in the torch hub cache (`findTorchvisionWeights('alexnet')`).
 * Strict: every conv's weight and bias with the right shapes and nothing else but `classifier.*`.
 * @example const net = await alexnet({ weights: '~/models/alexnet-owt-7be5be79.pth' });
 */
export async function alexnet(opts: AlexNetOptions = {}): Promise<AlexNet> {
  const channels = opts.channels ?? ALEXNET_CHANNELS;
  const src = opts.weights ?? (await findTorchvisionWeights('alexnet'));
  const params = await loadNetParams('alexnet', alexnetLayers(channels), src, opts);
  return new AlexNet(channels, params, opts.normalize ?? true);
}

/** AlexNet from tensors by torchvision name (used through detached handles: the caller keeps them). */
export function alexnetFromStateDict(tensors: ReadonlyMap<string, Tensor>, opts: BackboneOptions & { channels?: readonly number[] } = {}): AlexNet {
  const channels = opts.channels ?? ALEXNET_CHANNELS;
  return new AlexNet(channels, paramsFromStateDict('alexnet', alexnetLayers(channels), tensors, opts, false), opts.normalize ?? true);
}

/**
 * AlexNet with seeded random weights (tests, benchmarks); `widthMultiplier` narrows every conv.
 * @example const tiny = randomAlexNet({ widthMultiplier: 1 / 16, dtype: 'float64' }); // 4, 12, 24, 16, 16 channels
 */
export function randomAlexNet(opts: BackboneOptions & { seed?: number; widthMultiplier?: number } = {}): AlexNet {
  const channels = scaleChannels(ALEXNET_CHANNELS, opts.widthMultiplier ?? 1, 'randomAlexNet');
  return new AlexNet(channels, randomNetParams(alexnetLayers(channels), opts.seed ?? 0, opts.dtype ?? 'float32', opts.device), opts.normalize ?? true);
}
