/**
 * The one backbone framework: a frozen torchvision `features` Sequential described layer by layer
 * (VGG, AlexNet and SqueezeNet are each a list of `NetLayer`s), strict state-dict checks, loading
 * from any checkpoint format with `classifier.*` skipped, seeded random weights for tests.
 */
import {
  type Device,
  Generator,
  sizeOf,
  ShapeError,
  type Tensor,
  ValueError,
  concat,
  conv2d,
  fmtShape,
  keep,
  maxPool2d,
  relu,
  tensor,
  tidy,
} from '@pixgrad/core';
import {
  FrozenNetwork,
  StateDictMismatchError,
  type WeightsErrorClass,
  checkStateDict,
  deepestTap,
  frozenParam,
  imagenetNormalize,
  readExpectedTensors,
  uniformArray,
} from './backbone-common.js';

/** A convolution of a `features` layer (or of a Fire module's branch). */
export interface ConvSpec {
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride: number;
  padding: number;
}

/** One module of a torchvision `features` Sequential. */
export interface NetLayer {
  /** position in `features` (the N of `features.N...`) */
  index: number;
  /** tap name (`conv1`, `relu1`, `pool1`, `fire2`, ...) */
  name: string;
  kind: 'conv' | 'relu' | 'pool' | 'fire';
  /** conv */
  conv?: ConvSpec;
  /** pool: MaxPool2d(kernel, stride, ceil_mode) */
  pool?: { kernel: number; stride: number; ceilMode: boolean };
  /** fire (SqueezeNet): squeeze 1x1 + ReLU, then ReLU(expand1x1) and ReLU(expand3x3, padding 1) concatenated on channels */
  fire?: { inChannels: number; squeeze: number; expand1x1: number; expand3x3: number };
}

/** State-dict entries a layer list expects, by torchvision name. */
export function netStateDictShapes(layers: readonly NetLayer[], prefix = 'features.'): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const l of layers) {
    if (l.conv) {
      const c = l.conv;
      m.set(`${prefix}${l.index}.weight`, [c.outChannels, c.inChannels, c.kernel, c.kernel]);
      m.set(`${prefix}${l.index}.bias`, [c.outChannels]);
    } else if (l.fire) {
      const f = l.fire;
      const p = `${prefix}${l.index}`;
      m.set(`${p}.squeeze.weight`, [f.squeeze, f.inChannels, 1, 1]);
      m.set(`${p}.squeeze.bias`, [f.squeeze]);
      m.set(`${p}.expand1x1.weight`, [f.expand1x1, f.squeeze, 1, 1]);
      m.set(`${p}.expand1x1.bias`, [f.expand1x1]);
      m.set(`${p}.expand3x3.weight`, [f.expand3x3, f.squeeze, 3, 3]);
      m.set(`${p}.expand3x3.bias`, [f.expand3x3]);
    }
  }
  return m;
}

/** A state dict does not match the architecture: lists every missing, unexpected and mis-shaped key. */
export class BackboneWeightsError extends StateDictMismatchError {
  override name = 'BackboneWeightsError';
}

export interface BackboneOptions {
  /** ImageNet normalisation of [0, 1] inputs before the first conv (default true; LPIPS turns it off and applies its own scaling) */
  normalize?: boolean;
  /** dtype of the weights (default: as stored) */
  dtype?: 'float32' | 'float64';
  /** device of the weights (default: core's default device) */
  device?: Device;
}

/** A checkpoint path, its bytes, or tensors by torchvision name. */
export type BackboneWeightsSource = string | Uint8Array | ArrayBuffer | ReadonlyMap<string, Tensor>;

/**
 * A frozen torchvision `features` network described by `layers` (weights never require
 * gradients; gradients flow to the input). `features(x, taps)` runs it up to the deepest tap.
 */
export class TorchvisionFeatures extends FrozenNetwork {
  private readonly byName = new Map<string, number>();

  /** @internal use the architecture's functions (`vgg16`, `alexnet`, `randomAlexNet`, `squeezenet1_1`, ...) */
  constructor(
    readonly arch: string,
    readonly layers: readonly NetLayer[],
    params: Map<string, Tensor>,
    readonly normalize: boolean,
    /** channels of the input (3 for every pretrained network) */
    readonly inChannels = 3,
  ) {
    super(params);
    for (const l of layers) this.byName.set(l.name, l.index);
  }

  /** Every tap name in network order. */
  get layerNames(): string[] {
    return this.layers.map((l) => l.name);
  }

  /** The name errors give for `features` (e.g. `alexnet.features`). */
  protected get featuresName(): string {
    return `${this.arch}.features`;
  }

  /** Channels of a tap's output. */
  channelsAt(tap: string): number {
    let c = this.inChannels;
    for (const l of this.layers) {
      if (l.conv) c = l.conv.outChannels;
      else if (l.fire) c = l.fire.expand1x1 + l.fire.expand3x3;
      if (l.name === tap) return c;
    }
    throw new ValueError(`${this.arch}.channelsAt: unknown tap ${JSON.stringify(tap)} (choose from ${this.layerNames.join(', ')})`);
  }

  /**
   * Runs the network on x [N, 3, H, W] (values in [0, 1] when `normalize` is on) and returns the
   * requested taps by name, in the order asked, stopping after the deepest. Weights are cast to
   * x's dtype when they differ (cached). Intermediates are freed; the results are the caller's.
   */
  features(x: Tensor, taps: readonly string[], opts: { normalize?: boolean } = {}): Map<string, Tensor> {
    const op = this.featuresName;
    this.checkAlive(op);
    const deepest = deepestTap(op, this.byName, taps, this.layerNames, op.startsWith(this.arch) ? '' : ` for ${this.arch}`);
    if (x.rank !== 4 || x.shape[1] !== this.inChannels) throw new ShapeError(`${op}: input must be [N, ${this.inChannels}, H, W], got ${fmtShape(x.shape)}`);
    if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new ValueError(`${op}: input must be float32 or float64, got ${x.dtype}`);
    const normalize = opts.normalize ?? this.normalize;
    if (normalize && this.inChannels !== 3) throw new ValueError(`${op}: ImageNet normalisation needs 3 input channels, got ${this.inChannels}`);
    const p = this.paramsFor(x.dtype);
    const want = new Set(taps);
    return tidy(() => {
      const out = new Map<string, Tensor>();
      let h = x;
      if (normalize) h = imagenetNormalize(h);
      for (const l of this.layers) {
        if (l.index > deepest) break;
        try {
          if (l.conv) {
            const k = `features.${l.index}`;
            h = conv2d(h, p.get(`${k}.weight`)!, { bias: p.get(`${k}.bias`)!, stride: l.conv.stride, padding: l.conv.padding });
          } else if (l.kind === 'relu') h = relu(h);
          else if (l.pool) {
            const k = l.pool.kernel;
            if (h.shape[2]! < k || h.shape[3]! < k) {
              throw new ShapeError(
                `${op}: ${l.name} needs at least ${k}x${k} input, got ${fmtShape(h.shape)} (the image ${fmtShape(x.shape)} is too small for ${l.name}; taps ${taps.join(', ')})`,
              );
            }
            h = maxPool2d(h, { kernelSize: k, stride: l.pool.stride, ceilMode: l.pool.ceilMode });
          } else if (l.fire) {
            const k = `features.${l.index}`;
            const s = relu(conv2d(h, p.get(`${k}.squeeze.weight`)!, { bias: p.get(`${k}.squeeze.bias`)! }));
            const e1 = relu(conv2d(s, p.get(`${k}.expand1x1.weight`)!, { bias: p.get(`${k}.expand1x1.bias`)! }));
            const e3 = relu(conv2d(s, p.get(`${k}.expand3x3.weight`)!, { bias: p.get(`${k}.expand3x3.bias`)!, padding: 1 }));
            h = concat([e1, e3], 1);
          }
        } catch (e) {
          if (e instanceof ShapeError && !e.message.startsWith(op))
            throw new ShapeError(`${op}: the image ${fmtShape(x.shape)} is too small for ${l.name} (taps ${taps.join(', ')}): ${e.message}`);
          throw e;
        }
        if (want.has(l.name)) out.set(l.name, h);
      }
      return new Map(taps.map((t) => [t, out.get(t)!] as const));
    });
  }
}

/** Checks `tensors` against `layers` strictly (classifier.* ignored) and makes frozen, kept handles (cast/moved as asked). */
export function paramsFromStateDict(
  what: string,
  layers: readonly NetLayer[],
  tensors: ReadonlyMap<string, Tensor>,
  opts: BackboneOptions,
  owned: boolean,
  errors: WeightsErrorClass = BackboneWeightsError,
): Map<string, Tensor> {
  const expected = netStateDictShapes(layers);
  checkStateDict(what, expected, tensors, errors);
  const out = new Map<string, Tensor>();
  for (const k of expected.keys()) out.set(k, frozenParam(tensors.get(k)!, opts, owned));
  if (owned) for (const [k, t] of tensors) if (!expected.has(k)) t.dispose();
  return out;
}

/**
 * Loads a network's weights from a checkpoint (path or bytes; any format): only the expected
 * `features.*` tensors are read, `classifier.*` is skipped without being read, anything else is
 * reported as unexpected. A Map is checked and used as it is (the caller keeps it).
 */
export async function loadNetParams(
  what: string,
  layers: readonly NetLayer[],
  src: BackboneWeightsSource,
  opts: BackboneOptions,
  errors: WeightsErrorClass = BackboneWeightsError,
): Promise<Map<string, Tensor>> {
  if (src instanceof Map) return paramsFromStateDict(what, layers, src, opts, false, errors);
  if (!(typeof src === 'string' || src instanceof Uint8Array || src instanceof ArrayBuffer)) {
    throw new ValueError(`${what}: weights must be a path, bytes or a Map of tensors, got ${Object.prototype.toString.call(src)}`);
  }
  const label = typeof src === 'string' ? `${what} ${src}` : what;
  const tensors = await readExpectedTensors(label, netStateDictShapes(layers), src, opts.device, errors);
  return paramsFromStateDict(label, layers, tensors, { ...(opts.dtype ? { dtype: opts.dtype } : {}) }, true, errors);
}

/** Seeded random weights for `layers`: convs uniform with torchvision-like variance (2 / (k^2 out)), biases uniform with std 0.05. */
export function randomNetParams(layers: readonly NetLayer[], seed: number, dtype: 'float32' | 'float64', device?: Device): Map<string, Tensor> {
  const g = new Generator(seed);
  const out = new Map<string, Tensor>();
  for (const [name, shape] of netStateDictShapes(layers)) {
    const n = sizeOf(shape);
    const a = shape.length === 4 ? Math.sqrt(3) * Math.sqrt(2 / (shape[2]! * shape[3]! * shape[0]!)) : Math.sqrt(3) * 0.05;
    out.set(name, keep(tensor(uniformArray(g, n, a, dtype), { shape, dtype, ...(device !== undefined ? { device } : {}) })));
  }
  return out;
}

/** Scales channel counts (ceil, at least 1). */
export function scaleChannels(cs: readonly number[], m: number, op: string): number[] {
  if (!(m > 0) || !Number.isFinite(m)) throw new ValueError(`${op}: widthMultiplier must be a positive number, got ${m}`);
  return cs.map((c) => Math.max(1, Math.ceil(c * m)));
}
