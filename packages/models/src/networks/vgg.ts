/**
 * VGG16 / VGG19 feature networks in torchvision's layout (`features.N.weight` / `features.N.bias`),
 * for perceptual, style, texture and topology losses and as the LPIPS backbone.
 */
import { type DType, type Device, Generator, ShapeError, type Tensor, ValueError, conv2d, fmtShape, keep, maxPool2d, relu, tensor, tidy } from '@pixgrad/core';
import { StateDictMismatchError, checkStateDict, deepestTap, frozenParam, imagenetNormalize, readExpectedTensors, uniformArray } from './backbone-common.js';
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

/** One module of `features`: its index in torchvision's Sequential and its conventional name. */
export interface VggLayer {
  /** position in `features` (the N of `features.N.weight`) */
  index: number;
  /** `conv{block}_{k}`, `relu{block}_{k}` or `pool{block}` */
  name: string;
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
      out.push({ index: out.length, name: `pool${block}`, kind: 'pool' });
      block++;
      k = 1;
      continue;
    }
    if (!Number.isInteger(v) || v < 1)
      throw new ValueError(`vggLayers: channel counts must be positive integers, got ${JSON.stringify(v)} in ${JSON.stringify(config)}`);
    out.push({ index: out.length, name: `conv${block}_${k}`, kind: 'conv', inChannels: cin, outChannels: v });
    out.push({ index: out.length, name: `relu${block}_${k}`, kind: 'relu' });
    cin = v;
    k++;
  }
  return out;
}

/** Expected state-dict entries: `features.N.weight` [out, in, 3, 3] and `features.N.bias` [out]. */
export function vggStateDictShapes(config: VggConfig, inChannels = 3, prefix = 'features.'): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const l of vggLayers(config, inChannels)) {
    if (l.kind !== 'conv') continue;
    m.set(`${prefix}${l.index}.weight`, [l.outChannels!, l.inChannels!, 3, 3]);
    m.set(`${prefix}${l.index}.bias`, [l.outChannels!]);
  }
  return m;
}

/** Strict state-dict check failed: lists every missing, unexpected and mis-shaped key. */
export class VggWeightsError extends StateDictMismatchError {
  override name = 'VggWeightsError';
}

interface ConvParams {
  weight: Tensor;
  bias: Tensor;
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
 * Weights never require gradients; gradients flow to the input only.
 */
export class Vgg {
  readonly layers: readonly VggLayer[];
  readonly normalize: boolean;
  private readonly params = new Map<number, ConvParams>();
  private readonly casts = new Map<string, Map<number, ConvParams>>();
  private readonly byName = new Map<string, number>();
  private disposed = false;

  /** @internal use `vgg16`, `vgg19`, `vggFromStateDict` or `randomVgg` */
  constructor(
    readonly arch: VggArch | 'custom',
    readonly config: VggConfig,
    readonly inChannels: number,
    params: Map<number, ConvParams>,
    normalize: boolean,
  ) {
    this.layers = vggLayers(config, inChannels);
    this.normalize = normalize;
    for (const [i, p] of params) this.params.set(i, p);
    for (const l of this.layers) this.byName.set(l.name, l.index);
  }

  /** Every tap name in network order (`conv1_1`, `relu1_1`, ..., `pool5`). */
  get layerNames(): string[] {
    return this.layers.map((l) => l.name);
  }

  /** dtype of the stored weights */
  get dtype(): DType {
    return this.params.values().next().value!.weight.dtype;
  }

  /** The weights by torchvision name (`features.0.weight`, ...): the model's own tensors, not copies. */
  stateDict(): Map<string, Tensor> {
    const m = new Map<string, Tensor>();
    for (const [i, p] of this.params) {
      m.set(`features.${i}.weight`, p.weight);
      m.set(`features.${i}.bias`, p.bias);
    }
    return m;
  }

  private paramsFor(dtype: DType): Map<number, ConvParams> {
    if (dtype === this.dtype) return this.params;
    let c = this.casts.get(dtype);
    if (!c) {
      c = new Map();
      for (const [i, p] of this.params) c.set(i, { weight: keep(p.weight.cast(dtype)), bias: keep(p.bias.cast(dtype)) });
      this.casts.set(dtype, c);
    }
    return c;
  }

  /**
   * Runs the network on x [N, C, H, W] (C = 3 for torchvision weights; values in [0, 1] when
   * `normalize` is on) and returns the requested taps by name, stopping after the deepest one.
   * Conv taps are before the ReLU, relu taps after it (torchvision's in-place ReLU overwrites
   * the conv output; here both are available). Intermediates are freed; the returned tensors are
   * the caller's. Weights are cast to x's dtype when they differ (cached).
   * @example
   * const vgg = await vgg16();
   * const f = vgg.features(img, ['relu2_2', 'relu4_3']);
   * f.get('relu2_2')!.shape; // [1, 128, H/2, W/2]
   */
  features(x: Tensor, taps: readonly string[], opts: { normalize?: boolean } = {}): Map<string, Tensor> {
    if (this.disposed) throw new ValueError('Vgg.features: the network was disposed');
    const deepest = deepestTap('Vgg.features', this.byName, taps, this.layerNames, ` for ${this.arch}`);
    if (x.rank !== 4 || x.shape[1] !== this.inChannels) {
      throw new ShapeError(`Vgg.features: input must be [N, ${this.inChannels}, H, W], got ${fmtShape(x.shape)}`);
    }
    if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new ValueError(`Vgg.features: input must be float32 or float64, got ${x.dtype}`);
    const normalize = opts.normalize ?? this.normalize;
    if (normalize && this.inChannels !== 3) throw new ValueError(`Vgg.features: ImageNet normalisation needs 3 input channels, got ${this.inChannels}`);
    const params = this.paramsFor(x.dtype);
    const want = new Set(taps);
    return tidy(() => {
      const out = new Map<string, Tensor>();
      let h = x;
      if (normalize) h = imagenetNormalize(h);
      for (const l of this.layers) {
        if (l.index > deepest) break;
        if (l.kind === 'conv') {
          const p = params.get(l.index)!;
          h = conv2d(h, p.weight, { bias: p.bias, padding: 1 });
        } else if (l.kind === 'relu') h = relu(h);
        else {
          if (h.shape[2]! < 2 || h.shape[3]! < 2) {
            throw new ShapeError(
              `Vgg.features: ${l.name} needs at least 2x2 input, got ${fmtShape(h.shape)} (the image ${fmtShape(x.shape)} is too small for tap ${taps.join(', ')})`,
            );
          }
          h = maxPool2d(h, { kernelSize: 2, stride: 2 });
        }
        if (want.has(l.name)) out.set(l.name, h);
      }
      // in the order asked for
      return new Map(taps.map((t) => [t, out.get(t)!] as const));
    });
  }

  /** Frees the weights (and their dtype casts). Tensors passed in a Map are the caller's: only the model's handles are released. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const m of [this.params, ...this.casts.values()]) {
      for (const p of m.values()) {
        p.weight.dispose();
        p.bias.dispose();
      }
    }
    this.casts.clear();
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

function finishParams(tensors: Map<string, Tensor>, layers: VggLayer[], prefix: string, opts: VggCommonOptions, owned: boolean): Map<number, ConvParams> {
  const params = new Map<number, ConvParams>();
  for (const l of layers) {
    if (l.kind !== 'conv') continue;
    const take = (k: string): Tensor => frozenParam(tensors.get(`${prefix}${l.index}.${k}`)!, opts, owned);
    params.set(l.index, { weight: take('weight'), bias: take('bias') });
  }
  return params;
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
  checkStateDict(`vggFromStateDict(${name})`, vggStateDictShapes(config, inChannels), tensors, VggWeightsError);
  const layers = vggLayers(config, inChannels);
  return new Vgg(name, config, inChannels, finishParams(tensors as Map<string, Tensor>, layers, 'features.', opts, false), opts.normalize ?? true);
}

/**
 * Reads a VGG checkpoint (path or bytes): only `features.*` tensors are read; `classifier.*`
 * (VGG16's 411 MB of fully connected weights) is skipped without being read from disk. Keys
 * other than `features.*` and `classifier.*` are reported as unexpected without being read.
 */
async function loadVggFile(arch: VggArch | 'custom', config: VggConfig, src: string | Uint8Array | ArrayBuffer, opts: VggCommonOptions): Promise<Vgg> {
  const what = typeof src === 'string' ? `${arch} weights ${src}` : `${arch} weights`;
  const tensors = await readExpectedTensors(what, vggStateDictShapes(config), src, opts.device, VggWeightsError);
  return new Vgg(arch, config, 3, finishParams(tensors, vggLayers(config), 'features.', { ...opts, device: undefined }, true), opts.normalize ?? true);
}

/**
 * A VGG of any configuration (an architecture name or a torchvision-style config, e.g. a narrow
 * test network) from a checkpoint path, its bytes, or a Map of tensors, checked strictly as
 * `vggFromStateDict`. `vgg16`/`vgg19` are this with their configs and weight discovery.
 * @example const tiny = await loadVgg([4, 4, 'M', 8, 8, 'M'], 'tiny.safetensors');
 */
export async function loadVgg(arch: VggArch | VggConfig, weights: VggWeightsSource, opts: VggCommonOptions = {}): Promise<Vgg> {
  const { arch: name, config } = resolveConfig(arch);
  if (typeof weights === 'string' || weights instanceof Uint8Array || weights instanceof ArrayBuffer) return loadVggFile(name, config, weights, opts);
  if (weights instanceof Map) return vggFromStateDict(arch, weights, opts);
  throw new ValueError(`${name}: weights must be a path, bytes or a Map of tensors, got ${Object.prototype.toString.call(weights)}`);
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
  if (!(m > 0) || !Number.isFinite(m)) throw new ValueError(`randomVgg: widthMultiplier must be a positive number, got ${m}`);
  const config = m === 1 ? base : base.map((v) => (v === 'M' ? v : Math.max(1, Math.ceil(v * m))));
  const inChannels = opts.inChannels ?? 3;
  const g = new Generator(opts.seed ?? 0);
  const dtype = opts.dtype ?? 'float32';
  const tensors = new Map<string, Tensor>();
  for (const l of vggLayers(config, inChannels)) {
    if (l.kind !== 'conv') continue;
    const o = l.outChannels!;
    const w = uniformArray(g, o * l.inChannels! * 9, Math.sqrt(3) * Math.sqrt(2 / (9 * o)), dtype);
    const b = uniformArray(g, o, Math.sqrt(3) * 0.05, dtype);
    const dev = opts.device !== undefined ? { device: opts.device } : {};
    tensors.set(`features.${l.index}.weight`, tensor(w, { shape: [o, l.inChannels!, 3, 3], dtype, ...dev }));
    tensors.set(`features.${l.index}.bias`, tensor(b, { shape: [o], dtype, ...dev }));
  }
  const layers = vggLayers(config, inChannels);
  return new Vgg(name, config, inChannels, finishParams(tensors, layers, 'features.', {}, true), opts.normalize ?? true);
}
