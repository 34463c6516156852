/**
 * VGG16 / VGG19 feature networks in torchvision's layout (`features.N.weight` / `features.N.bias`),
 * for perceptual, style, texture and topology losses and as the LPIPS backbone, on the backbone
 * framework of torchvision-features.ts (as AlexNet and SqueezeNet).
 */
import { type Device, type Tensor, ValueError } from '@pixgrad/core';
import { StateDictMismatchError } from './backbone-common.js';
import {
  type NetLayer,
  TorchvisionFeatures,
  loadNetParams,
  netStateDictShapes,
  paramsFromStateDict,
  randomNetParams,
  scaleChannels,
} from './torchvision-features.js';
import { findVggWeights } from './weights.js';

/** The torchvision architectures defined here. */
export type VggArch = 'vgg16' | 'vgg19';

/** A VGG layer configuration as in torchvision's `cfgs`: output channels of each 3x3 conv, 'M' for a 2x2 max pool. */
export type VggConfig = readonly (number | 'M')[];

/** torchvision `cfgs['D']` (VGG16) and `cfgs['E']` (VGG19). */
export const VGG_CONFIGS: Readonly<Record<VggArch, VggConfig>> = {
  vgg16: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
  vgg19: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M'],
};

/** ImageNet statistics torchvision's VGG weights were trained with (inputs in [0, 1]). */
export { IMAGENET_MEAN, IMAGENET_STD } from './backbone-common.js';

/** One module of `features` (a `NetLayer` named `conv{block}_{k}`, `relu{block}_{k}` or `pool{block}`), with a conv's channels at hand. */
export interface VggLayer extends NetLayer {
  kind: 'conv' | 'relu' | 'pool';
  /** conv only */
  inChannels?: number;
  /** conv only */
  outChannels?: number;
}

/**
 * The modules of torchvision's `make_layers(cfg)` (no batch norm): each number is
 * Conv2d(c_in, c, 3, padding=1) then ReLU, each 'M' MaxPool2d(2, 2); named block by block
 * (`conv1_1`, `relu1_1`, `conv1_2`, ..., `pool1`, `conv2_1`, ...).
 */
export function vggLayers(config: VggConfig, inChannels = 3): VggLayer[] {
  const out: VggLayer[] = [];
  let block = 1;
  let k = 1;
  let cin = inChannels;
  for (const v of config) {
    if (v === 'M') {
      out.push({ index: out.length, name: `pool${block}`, kind: 'pool', pool: { kernel: 2, stride: 2, ceilMode: false } });
      block++;
      k = 1;
      continue;
    }
    if (!Number.isInteger(v) || v < 1)
      throw new ValueError(`vggLayers: channel counts must be positive integers, got ${JSON.stringify(v)} in ${JSON.stringify(config)}`);
    const conv = { inChannels: cin, outChannels: v, kernel: 3, stride: 1, padding: 1 };
    out.push({ index: out.length, name: `conv${block}_${k}`, kind: 'conv', inChannels: cin, outChannels: v, conv });
    out.push({ index: out.length, name: `relu${block}_${k}`, kind: 'relu' });
    cin = v;
    k++;
  }
  return out;
}

/** Expected state-dict entries: `features.N.weight` [out, in, 3, 3] and `features.N.bias` [out]. */
export function vggStateDictShapes(config: VggConfig, inChannels = 3, prefix = 'features.'): Map<string, number[]> {
  return netStateDictShapes(vggLayers(config, inChannels), prefix);
}

/** Strict state-dict check failed: lists every missing, unexpected and mis-shaped key. */
export class VggWeightsError extends StateDictMismatchError {
  override name = 'VggWeightsError';
}

export interface VggCommonOptions {
  /**
   * Subtract the ImageNet mean and divide by the std (inputs in [0, 1]) before the first conv, as
   * torchvision's weights expect (default true). Turn off when the input is already normalised.
   */
  normalize?: boolean;
  /** dtype of the weights (default: as stored, float32 for torchvision files) */
  dtype?: 'float32' | 'float64';
  /** device of the weights (default: core's default device) */
  device?: Device;
}

/** Where weights come from: a file path, the file's bytes, or tensors by torchvision name. */
export type VggWeightsSource = string | Uint8Array | ArrayBuffer | ReadonlyMap<string, Tensor>;

export interface VggOptions extends VggCommonOptions {
  /**
   * A checkpoint (path or bytes; torch zip, legacy or safetensors) or a Map of tensors in
   * torchvision's layout. Default: torchvision's file in the torch hub cache
   * (`$TORCH_HOME/hub/checkpoints`, `~/.cache/torch/hub/checkpoints`), see `findVggWeights`.
   * `classifier.*` entries are skipped (never read from disk); any other key outside
   * `features.*` is an error.
   */
  weights?: VggWeightsSource;
}

export interface RandomVggOptions extends VggCommonOptions {
  /** seed of the weights (default 0) */
  seed?: number;
  /** scale every channel count (ceil, at least 1): e.g. 1/16 gives a 4-channel first block */
  widthMultiplier?: number;
  /** input channels (default 3) */
  inChannels?: number;
}

/**
 * A frozen VGG feature extractor (torchvision's `vgg16().features` / `vgg19().features`).
 * Weights never require gradients; gradients flow to the input only. Taps: `conv1_1`, `relu1_1`,
 * ..., `pool5`; conv taps are before the ReLU, relu taps after it (torchvision's in-place ReLU
 * overwrites the conv output; here both are available).
 * @example
 * const vgg = await vgg16();
 * const f = vgg.features(img, ['relu2_2', 'relu4_3']);
 * f.get('relu2_2')!.shape; // [1, 128, H/2, W/2]
 */
export class Vgg extends TorchvisionFeatures {
  declare readonly arch: VggArch | 'custom';
  declare readonly layers: readonly VggLayer[];

  /** @internal use `vgg16`, `vgg19`, `vggFromStateDict` or `randomVgg` */
  constructor(
    arch: VggArch | 'custom',
    readonly config: VggConfig,
    inChannels: number,
    params: Map<string, Tensor>,
    normalize: boolean,
  ) {
    super(arch, vggLayers(config, inChannels), params, normalize, inChannels);
  }

  protected override get featuresName(): string {
    return 'Vgg.features';
  }
}

function resolveConfig(arch: VggArch | VggConfig): { arch: VggArch | 'custom'; config: VggConfig } {
  if (typeof arch === 'string') {
    const config = VGG_CONFIGS[arch];
    if (!config) throw new ValueError(`vgg: unknown architecture ${JSON.stringify(arch)} (use 'vgg16' or 'vgg19')`);
    return { arch, config };
  }
  return { arch: 'custom', config: arch };
}

/**
 * A VGG from tensors in torchvision's layout (`features.N.weight`/`bias`), checked strictly:
 * every conv's weight [out, in, 3, 3] and bias [out] must be there with those shapes, and no
 * other key may be (except `classifier.*`, which is ignored). The error lists every missing,
 * unexpected and mis-shaped key. The tensors are used as they are (no copy) through detached
 * handles, so the model never requires gradients; they stay the caller's to dispose.
 * @example const vgg = vggFromStateDict('vgg16', await loadCheckpoint('vgg16.safetensors'));
 */
export function vggFromStateDict(arch: VggArch | VggConfig, tensors: ReadonlyMap<string, Tensor>, opts: VggCommonOptions & { inChannels?: number } = {}): Vgg {
  const { arch: name, config } = resolveConfig(arch);
  const inChannels = opts.inChannels ?? 3;
  const params = paramsFromStateDict(`vggFromStateDict(${name})`, vggLayers(config, inChannels), tensors, opts, false, VggWeightsError);
  return new Vgg(name, config, inChannels, params, opts.normalize ?? true);
}

/**
 * A VGG of any configuration (an architecture name or a torchvision-style config, e.g. a narrow
 * test network) from a checkpoint path, its bytes, or a Map of tensors, checked strictly as
 * `vggFromStateDict`. `vgg16`/`vgg19` are this with their configs and weight discovery.
 * @example const tiny = await loadVgg([4, 4, 'M', 8, 8, 'M'], 'tiny.safetensors');
 */
export async function loadVgg(arch: VggArch | VggConfig, weights: VggWeightsSource, opts: VggCommonOptions = {}): Promise<Vgg> {
  // only `features.*` is read; `classifier.*` (VGG16's 411 MB of fully connected weights) is skipped without being read
  const { arch: name, config } = resolveConfig(arch);
  const params = await loadNetParams(`${name} weights`, vggLayers(config), weights, opts, VggWeightsError);
  return new Vgg(name, config, 3, params, opts.normalize ?? true);
}

async function build(arch: VggArch, opts: VggOptions): Promise<Vgg> {
  const w = opts.weights ?? (await findVggWeights(arch));
  return loadVgg(arch, w, opts);
}

/**
 * torchvision's VGG16 feature network (13 convs: `relu1_2`, `relu2_2`, `relu3_3`, `relu4_3`,
 * `relu5_3`, ...; Simonyan and Zisserman 2015) with its ImageNet weights: from `weights` (a path,
 * bytes or a Map in torchvision's layout, any checkpoint format) or, by default, torchvision's
 * `vgg16-397923af.pth` in the torch hub cache. Input in [0, 1], ImageNet-normalised inside
 * (`normalize: false` to skip).
 * @example
 * const vgg = await vgg16({ weights: '~/models/vgg16-397923af.pth' });
 * const { relu2_2 } = Object.fromEntries(vgg.features(img, ['relu2_2']));
 */
export function vgg16(opts: VggOptions = {}): Promise<Vgg> {
  return build('vgg16', opts);
}

/** torchvision's VGG19 feature network (16 convs, `conv5_4`/`relu5_4` deepest); as `vgg16`, default file `vgg19-dcbb9e9d.pth`. */
export function vgg19(opts: VggOptions = {}): Promise<Vgg> {
  return build('vgg19', opts);
}

/**
 * A VGG with seeded random weights, for tests and benchmarks: conv weights uniform on [-a, a]
 * with a = sqrt(3) std, std = sqrt(2 / (9 out)) (the variance of torchvision's VGG init,
 * kaiming_normal_ with mode 'fan_out'; uniform because it is several times faster to draw for
 * 15M weights), biases uniform with std 0.05 (torchvision uses 0; non-zero biases exercise
 * loading). `widthMultiplier` shrinks every channel count (ceil, at least 1) for fast gradient
 * checks. Same seed, same weights, in any dtype.
 * @example const tiny = randomVgg('vgg16', { widthMultiplier: 1 / 16, dtype: 'float64', seed: 1 }); // 4..32 channels
 */
export function randomVgg(arch: VggArch | VggConfig, opts: RandomVggOptions = {}): Vgg {
  const { arch: name, config: base } = resolveConfig(arch);
  const m = opts.widthMultiplier ?? 1;
  const widths = scaleChannels(
    base.filter((v): v is number => v !== 'M'),
    m,
    'randomVgg',
  );
  const config = m === 1 ? base : base.map((v) => (v === 'M' ? v : widths.shift()!));
  const inChannels = opts.inChannels ?? 3;
  const params = randomNetParams(vggLayers(config, inChannels), opts.seed ?? 0, opts.dtype ?? 'float32', opts.device);
  return new Vgg(name, config, inChannels, params, opts.normalize ?? true);
}
