/**
 * LPIPS, the Learned Perceptual Image Patch Similarity (Zhang, Isola, Efros, Shechtman and Wang,
 * "The Unreasonable Effectiveness of Deep Features as a Perceptual Metric", CVPR 2018), following
 * the reference implementation richzhang/PerceptualSimilarity (`lpips/lpips.py`) step by step.
 */
import { type Tensor, ValueError, conv2d, resize, tensor, tidy } from '@pixgrad/core';
import {
  AlexNet,
  LPIPS_TAPS,
  LpipsHeads,
  type LpipsNet,
  type LpipsVersion,
  SqueezeNet,
  Vgg,
  type VggWeightsSource,
  alexnet,
  loadLpipsHeads,
  squeezenet1_1,
  vgg16,
} from '@pixgrad/models';
import { type Reduction, checkImage, checkSameShape, reduce, safeSqrt } from './util.js';

/** The reference's ScalingLayer constants (v0.1 only): x' = (x - shift) / scale, per RGB channel. */
export const LPIPS_SHIFT = [-0.03, -0.088, -0.188] as const;
export const LPIPS_SCALE = [0.458, 0.448, 0.45] as const;

/** `normalize_tensor`'s eps: f / (sqrt(sum_c f^2) + eps). */
export const LPIPS_EPS = 1e-10;

export interface LpipsForwardOptions {
  /** inputs are in [0, 1]: map them to [-1, 1] first (2x - 1), as the reference's `normalize=True` (default false: inputs in [-1, 1]) */
  normalize?: boolean;
  /** return the distance map [N, 1, H, W] (each layer's map upsampled bilinearly to the input size) instead of its spatial mean (default false) */
  spatial?: boolean;
  /** 'none' (default) keeps the reference's [N, 1, 1, 1] (or [N, 1, H, W] with spatial); 'mean' / 'sum' reduce over everything */
  reduction?: Reduction;
}

/** An LPIPS backbone: VGG16 (`vgg16()`), AlexNet (`alexnet()`) or SqueezeNet 1.1 (`squeezenet1_1()`), or a random/narrow one of those layouts. */
export type LpipsBackbone = Vgg | AlexNet | SqueezeNet;

/** Which LPIPS net a backbone is. */
export function lpipsNetOf(backbone: LpipsBackbone): LpipsNet {
  if (backbone instanceof Vgg) return 'vgg';
  if (backbone instanceof AlexNet) return 'alex';
  if (backbone instanceof SqueezeNet) return 'squeeze';
  throw new ValueError(`LpipsModel: the backbone must be a Vgg, AlexNet or SqueezeNet, got ${Object.prototype.toString.call(backbone)}`);
}

/**
 * A loaded LPIPS network: a backbone (VGG16, AlexNet or SqueezeNet 1.1) and the linear heads.
 * `forward` is synchronous, so it can be used inside `tidy`, `grad` and training loops; load once,
 * call many times.
 */
export class LpipsModel {
  /** the backbone's kind: 'vgg', 'alex' or 'squeeze' */
  readonly net: LpipsNet;
  /** the taps the heads read (pretrained_networks.py's slices) */
  readonly taps: readonly string[];

  constructor(
    readonly backbone: LpipsBackbone,
    readonly heads: LpipsHeads,
    readonly version: LpipsVersion = heads.version,
  ) {
    if (version !== '0.0' && version !== '0.1') throw new ValueError(`LpipsModel: unknown version ${JSON.stringify(version)} (use '0.1' or '0.0')`);
    this.net = lpipsNetOf(backbone);
    this.taps = LPIPS_TAPS[this.net];
    const need = this.taps.length;
    const name = { vgg: 'a VGG', alex: 'an AlexNet', squeeze: 'a SqueezeNet' }[this.net];
    if (heads.weights.length !== need) throw new ValueError(`LpipsModel: ${name} backbone needs ${need} heads, got ${heads.weights.length}`);
    const want = this.taps.map((t) => backbone.channelsAt(t));
    const got = heads.channels;
    if (want.some((c, k) => c !== got[k]))
      throw new ValueError(`LpipsModel: the heads have ${got.join(', ')} channels but the ${this.net} backbone's taps have ${want.join(', ')}`);
  }

  /**
   * The per-layer terms (before summing): layer k gives spatial_average(lin_k((n0_k - n1_k)^2))
   * [N, 1, 1, 1], or with `spatial` the map upsampled to [N, 1, H, W].
   */
  layers(x: Tensor, y: Tensor, opts: LpipsForwardOptions = {}): Tensor[] {
    checkImage('lpips', x, 'input', 3);
    checkImage('lpips', y, 'target', 3);
    checkSameShape('lpips', x, y);
    return tidy(() => {
      let in0 = x;
      let in1 = y;
      if (opts.normalize) {
        in0 = in0.mul(2).sub(1);
        in1 = in1.mul(2).sub(1);
      }
      if (this.version === '0.1') {
        // v0.0 - original release had a bug, where input was not scaled (the reference's comment)
        const shift = tensor([...LPIPS_SHIFT], { shape: [1, 3, 1, 1], dtype: x.dtype, device: x.device });
        const scale = tensor([...LPIPS_SCALE], { shape: [1, 3, 1, 1], dtype: x.dtype, device: x.device });
        in0 = in0.sub(shift).div(scale);
        in1 = in1.sub(shift).div(scale);
      }
      const f0 = this.backbone.features(in0, this.taps, { normalize: false });
      const f1 = this.backbone.features(in1, this.taps, { normalize: false });
      const [H, W] = [x.shape[2]!, x.shape[3]!];
      return this.taps.map((tap, k) => {
        const d = unitNormalize(f0.get(tap)!)
          .sub(unitNormalize(f1.get(tap)!))
          .square();
        let w = this.heads.weights[k]!;
        if (w.dtype !== x.dtype) w = w.cast(x.dtype);
        const lin = conv2d(d, w);
        return opts.spatial ? resize(lin, [H, W], { mode: 'bilinear', alignCorners: false }) : lin.mean([2, 3], true);
      });
    });
  }

  /**
   * LPIPS distance: sum over the backbone's taps (5 for VGG16 and AlexNet, 7 for SqueezeNet) of the spatially averaged, head-weighted squared
   * difference of channel-normalised features. Shape [N, 1, 1, 1] ([N, 1, H, W] with `spatial`)
   * unless `reduction` is 'mean' or 'sum'.
   */
  forward(x: Tensor, y: Tensor, opts: LpipsForwardOptions = {}): Tensor {
    const reduction = opts.reduction ?? 'none';
    return tidy(() => {
      const terms = this.layers(x, y, opts);
      let val = terms[0]!;
      for (let l = 1; l < terms.length; l++) val = val.add(terms[l]!);
      return reduce('lpips', val, reduction);
    });
  }

  dispose(): void {
    this.backbone.dispose();
    this.heads.dispose();
  }
}

/**
 * The reference's `normalize_tensor`: f / (sqrt(sum_c f^2) + 1e-10), the eps added to the norm
 * (not inside the root). The value is exactly that; the gradient at a location where every
 * channel is 0 is the zero subgradient (PyTorch gives NaN there: sqrt's derivative at 0).
 */
function unitNormalize(f: Tensor): Tensor {
  return tidy(() => f.div(safeSqrt(f.square().sum(1, true)).add(LPIPS_EPS)));
}

export type LpipsHeadsSource = string | Uint8Array | ArrayBuffer | ReadonlyMap<string, Tensor> | LpipsHeads;
export type LpipsBackboneSource = VggWeightsSource | LpipsBackbone;

export interface LoadLpipsOptions {
  /** the backbone: 'vgg' (default; torchvision's VGG16), 'alex' (AlexNet) or 'squeeze' (SqueezeNet 1.1) */
  net?: LpipsNet;
  /** '0.1' (default) or '0.0' (no scaling layer, and the v0.0 heads) */
  version?: LpipsVersion;
  /** the linear heads: a file (`lpips/weights/v0.1/{net}.pth`), its bytes, tensors by name, or loaded heads; default: an installed `lpips` Python package's file */
  weights?: LpipsHeadsSource;
  /**
   * torchvision's weights of the backbone (path, bytes, Map) or a loaded backbone; default: the
   * torch hub cache's `vgg16-397923af.pth`, `alexnet-owt-7be5be79.pth` or `squeezenet1_1-b8a52dc0.pth`
   */
  backbone?: LpipsBackboneSource;
}

function isBackbone(b: unknown): b is LpipsBackbone {
  return b instanceof Vgg || b instanceof AlexNet || b instanceof SqueezeNet;
}

/**
 * Loads an LPIPS network (backbone + heads) for repeated use.
 * @example
 * const net = await loadLpips({ version: '0.1' }); // finds vgg16-397923af.pth and lpips' vgg.pth
 * const d = net.forward(a, b, { normalize: true }); // [N, 1, 1, 1]
 * const alex = await loadLpips({ net: 'alex', backbone: 'alexnet-owt-7be5be79.pth', weights: 'lpips/weights/v0.1/alex.pth' });
 */
export async function loadLpips(opts: LoadLpipsOptions = {}): Promise<LpipsModel> {
  const net = opts.net ?? (isBackbone(opts.backbone) ? lpipsNetOf(opts.backbone) : 'vgg');
  if (net !== 'vgg' && net !== 'alex' && net !== 'squeeze') throw new ValueError(`lpips: unknown net ${JSON.stringify(net)} (use 'vgg', 'alex' or 'squeeze')`);
  if (isBackbone(opts.backbone) && lpipsNetOf(opts.backbone) !== net)
    throw new ValueError(`lpips: net '${net}' asked for but the backbone is ${lpipsNetOf(opts.backbone)}`);
  const version = opts.version ?? '0.1';
  const heads = opts.weights instanceof LpipsHeads ? opts.weights : await loadLpipsHeads(opts.weights, { net, version });
  try {
    let backbone: LpipsBackbone;
    if (isBackbone(opts.backbone)) backbone = opts.backbone;
    else {
      const w = opts.backbone !== undefined ? { weights: opts.backbone } : {};
      backbone = net === 'vgg' ? await vgg16(w) : net === 'alex' ? await alexnet(w) : await squeezenet1_1(w);
    }
    try {
      return new LpipsModel(backbone, heads, version);
    } catch (e) {
      if (!isBackbone(opts.backbone)) backbone.dispose();
      throw e;
    }
  } catch (e) {
    if (!(opts.weights instanceof LpipsHeads)) heads.dispose();
    throw e;
  }
}

export interface LpipsOptions extends LpipsForwardOptions, Omit<LoadLpipsOptions, 'weights' | 'backbone'> {}

/**
 * LPIPS distance between x and y ([N, 3, H, W] in [-1, 1], or [0, 1] with `normalize: true`),
 * exactly as richzhang/PerceptualSimilarity's `LPIPS(net, version)`:
 *   x' = (x - shift) / scale (v0.1 only; shift [-.030, -.088, -.188], scale [.458, .448, .450]),
 *   f_k = the backbone's taps of x' (no ImageNet normalisation): VGG16 relu1_2, relu2_2, relu3_3,
 *         relu4_3, relu5_3 (net 'vgg', default); AlexNet relu1..relu5 ('alex'); SqueezeNet 1.1
 *         relu1, fire3, fire5, fire6, fire7, fire8, fire9 ('squeeze'),
 *   n_k = f_k / (sqrt(sum_c f_k^2) + 1e-10),
 *   d = sum_k mean_{h,w} (w_k * (n_k(x) - n_k(y))^2 summed over c)   (w_k: the 1x1 head),
 * giving [N, 1, 1, 1]; with `spatial` each layer's map is upsampled bilinearly
 * (align_corners=False) to H x W and summed, [N, 1, H, W].
 *
 * Synchronous when given a loaded `LpipsModel` as `weights` (or loaded `LpipsHeads` plus a loaded
 * backbone); otherwise it loads them (heads from an installed `lpips` package, the backbone from
 * the torch hub cache, or the paths given) and returns a Promise. Load once with `loadLpips` for
 * repeated calls.
 * @example
 * const d = await lpips(a, b, { normalize: true }); // discovers the weights
 * const net = await loadLpips();
 * const loss = lpips(out, target, { weights: net, normalize: true, reduction: 'mean' }); // sync, differentiable
 */
export function lpips(x: Tensor, y: Tensor, opts: LpipsOptions & ({ weights: LpipsModel } | { weights: LpipsHeads; backbone: LpipsBackbone })): Tensor;
export function lpips(x: Tensor, y: Tensor, opts?: LpipsOptions & { weights?: LpipsHeadsSource | LpipsModel; backbone?: LpipsBackboneSource }): Promise<Tensor>;
export function lpips(
  x: Tensor,
  y: Tensor,
  opts: LpipsOptions & { weights?: LpipsHeadsSource | LpipsModel; backbone?: LpipsBackboneSource } = {},
): Tensor | Promise<Tensor> {
  const fwd: LpipsForwardOptions = {
    ...(opts.normalize !== undefined ? { normalize: opts.normalize } : {}),
    ...(opts.spatial !== undefined ? { spatial: opts.spatial } : {}),
    ...(opts.reduction !== undefined ? { reduction: opts.reduction } : {}),
  };
  if (opts.weights instanceof LpipsModel) {
    if (opts.version !== undefined && opts.version !== opts.weights.version) {
      throw new ValueError(`lpips: version ${opts.version} asked for but the model is v${opts.weights.version}`);
    }
    return opts.weights.forward(x, y, fwd);
  }
  if (opts.weights instanceof LpipsHeads && isBackbone(opts.backbone)) {
    if (opts.net !== undefined && opts.net !== lpipsNetOf(opts.backbone))
      throw new ValueError(`lpips: net '${opts.net}' asked for but the backbone is ${lpipsNetOf(opts.backbone)}`);
    const model = new LpipsModel(opts.backbone, opts.weights, opts.version ?? opts.weights.version);
    return model.forward(x, y, fwd);
  }
  const load: LoadLpipsOptions = {
    ...(opts.net !== undefined ? { net: opts.net } : {}),
    ...(opts.version !== undefined ? { version: opts.version } : {}),
    ...(opts.weights !== undefined ? { weights: opts.weights as LpipsHeadsSource } : {}),
    ...(opts.backbone !== undefined ? { backbone: opts.backbone } : {}),
  };
  return loadLpips(load).then((model) => {
    try {
      return model.forward(x, y, fwd);
    } finally {
      // free only what was loaded here
      if (!isBackbone(opts.backbone)) model.backbone.dispose();
      if (!(opts.weights instanceof LpipsHeads)) model.heads.dispose();
    }
  });
}
