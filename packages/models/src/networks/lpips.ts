/**
 * LPIPS linear heads (Zhang et al. 2018, richzhang/PerceptualSimilarity): one 1x1 conv without
 * bias per backbone tap, `lin{k}.model.1.weight` [1, C_k, 1, 1] in the files the `lpips` package
 * ships (`model.0` is the Dropout of `use_dropout=True`; a head trained without dropout is
 * `lin{k}.model.0.weight`, accepted too).
 */
import { type Device, Generator, PixgradError, type Tensor, ValueError, fmtShape, keep, tensor } from '@pixgrad/core';
import { readCheckpointRaw } from '../checkpoints/checkpoint.js';
import { rawToTensor } from '../checkpoints/load.js';
import { type LpipsNet, type LpipsVersion, findLpipsWeights } from './weights.js';

/** Channels of each tapped layer, as `LPIPS.chns` in the reference. */
export const LPIPS_CHANNELS: Readonly<Record<LpipsNet, readonly number[]>> = {
  vgg: [64, 128, 256, 512, 512],
  alex: [64, 192, 384, 256, 256],
  squeeze: [64, 128, 256, 384, 384, 512, 512],
};

/** The VGG16 taps LPIPS reads (pretrained_networks.vgg16: slices ending at features 3, 8, 15, 22, 29). */
export const LPIPS_VGG_TAPS = ['relu1_2', 'relu2_2', 'relu3_3', 'relu4_3', 'relu5_3'] as const;
/** The AlexNet taps LPIPS reads (pretrained_networks.alexnet: slices ending at features 1, 4, 7, 9, 11). */
export const LPIPS_ALEX_TAPS = ['relu1', 'relu2', 'relu3', 'relu4', 'relu5'] as const;
/** The SqueezeNet 1.1 taps LPIPS reads (pretrained_networks.squeezenet: slices ending at features 1, 4, 7, 9, 10, 11, 12). */
export const LPIPS_SQUEEZE_TAPS = ['relu1', 'fire3', 'fire5', 'fire6', 'fire7', 'fire8', 'fire9'] as const;
/** Each backbone's LPIPS taps. */
export const LPIPS_TAPS: Readonly<Record<LpipsNet, readonly string[]>> = { vgg: LPIPS_VGG_TAPS, alex: LPIPS_ALEX_TAPS, squeeze: LPIPS_SQUEEZE_TAPS };

/** A head file does not match the expected layout; lists missing, unexpected and mis-shaped keys. */
export class LpipsWeightsError extends PixgradError {
  constructor(message: string) {
    super(message);
    this.name = 'LpipsWeightsError';
  }
}

/** The linear heads of one LPIPS variant: `weights[k]` is [1, C_k, 1, 1], non-negative in the released files. */
export class LpipsHeads {
  private disposed = false;
  constructor(
    readonly net: LpipsNet | 'custom',
    readonly version: LpipsVersion,
    readonly weights: readonly Tensor[],
  ) {
    for (const w of weights) keep(w);
  }
  /** C_k of each head */
  get channels(): number[] {
    return this.weights.map((w) => w.shape[1]!);
  }
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const w of this.weights) w.dispose();
  }
}

export interface LoadLpipsHeadsOptions {
  net?: LpipsNet;
  version?: LpipsVersion;
  device?: Device;
  dtype?: 'float32' | 'float64';
}

/**
 * Loads LPIPS heads from `src` (a path, bytes, or tensors by name) or, without `src`, from an
 * installed `lpips` Python package (`findLpipsWeights`). Strict: every `lin{k}` for the net's
 * taps must be present with shape [1, C_k, 1, 1] and nothing else; the error lists missing,
 * unexpected and mis-shaped keys.
 * @example const heads = await loadLpipsHeads('lpips/weights/v0.1/vgg.pth', { net: 'vgg' });
 */
export async function loadLpipsHeads(
  src?: string | Uint8Array | ArrayBuffer | ReadonlyMap<string, Tensor>,
  opts: LoadLpipsHeadsOptions = {},
): Promise<LpipsHeads> {
  const net = opts.net ?? 'vgg';
  const version = opts.version ?? '0.1';
  if (!(net in LPIPS_CHANNELS)) throw new ValueError(`loadLpipsHeads: unknown net ${JSON.stringify(net)} (use 'vgg', 'alex' or 'squeeze')`);
  if (version !== '0.0' && version !== '0.1') throw new ValueError(`loadLpipsHeads: unknown version ${JSON.stringify(version)} (use '0.1' or '0.0')`);
  const source = src ?? (await findLpipsWeights(net, version));
  let tensors: Map<string, Tensor>;
  let owned: boolean;
  if (source instanceof Map) {
    tensors = source as Map<string, Tensor>;
    owned = false;
  } else {
    const raw = await readCheckpointRaw(source as string | Uint8Array | ArrayBuffer);
    tensors = new Map([...raw.tensors].map(([k, t]) => [k, rawToTensor(t, opts.device !== undefined ? { device: opts.device } : {})]));
    owned = true;
  }
  const what = typeof source === 'string' ? `LPIPS ${net} v${version} heads ${source}` : `LPIPS ${net} v${version} heads`;
  try {
    return lpipsHeadsFromTensors(tensors, {
      net,
      version,
      what,
      ...(opts.dtype ? { dtype: opts.dtype } : {}),
      ...(opts.device !== undefined ? { device: opts.device } : {}),
    });
  } finally {
    if (owned) for (const t of tensors.values()) t.dispose();
  }
}

/**
 * Heads from tensors by name (`lin{k}.model.1.weight` or `lin{k}.model.0.weight`), checked as
 * `loadLpipsHeads` does. The heads hold their own copies (detached, frozen).
 */
export function lpipsHeadsFromTensors(
  tensors: ReadonlyMap<string, Tensor>,
  opts: { net?: LpipsNet; version?: LpipsVersion; what?: string; dtype?: 'float32' | 'float64'; device?: Device; channels?: readonly number[] } = {},
): LpipsHeads {
  const net = opts.net ?? 'vgg';
  const version = opts.version ?? '0.1';
  const chns = opts.channels ?? LPIPS_CHANNELS[net];
  const what = opts.what ?? `LPIPS ${net} v${version} heads`;
  const missing: string[] = [];
  const misshaped: string[] = [];
  const used = new Set<string>();
  const weights: Tensor[] = [];
  chns.forEach((c, k) => {
    const key = [`lin${k}.model.1.weight`, `lin${k}.model.0.weight`].find((n) => tensors.has(n));
    if (!key) {
      missing.push(`lin${k}.model.1.weight`);
      return;
    }
    used.add(key);
    const t = tensors.get(key)!;
    const s = t.shape;
    if (s.length !== 4 || s[0] !== 1 || s[1] !== c || s[2] !== 1 || s[3] !== 1) {
      misshaped.push(`${key} expected ${fmtShape([1, c, 1, 1])} got ${fmtShape(s)}`);
      return;
    }
    if (t.dtype !== 'float32' && t.dtype !== 'float64') {
      misshaped.push(`${key} must be float, got ${t.dtype}`);
      return;
    }
    let w = t.detach();
    if (opts.device !== undefined && w.device !== opts.device) {
      const m = w.to(opts.device);
      w.dispose();
      w = m;
    }
    const c2 = w.cast(opts.dtype ?? w.dtype);
    w.dispose();
    weights.push(c2);
  });
  const unexpected = [...tensors.keys()].filter((k) => !used.has(k));
  if (missing.length + misshaped.length + unexpected.length > 0) {
    for (const w of weights) w.dispose();
    const parts: string[] = [];
    if (missing.length) parts.push(`missing keys: ${missing.join(', ')}`);
    if (unexpected.length) parts.push(`unexpected keys: ${unexpected.join(', ')}`);
    if (misshaped.length) parts.push(`mis-shaped keys: ${misshaped.join(', ')}`);
    throw new LpipsWeightsError(`${what}: ${parts.join('; ')}`);
  }
  return new LpipsHeads(opts.channels ? 'custom' : net, version, weights);
}

/**
 * Seeded random heads for tests: |N(0, 1)| / C_k per weight (non-negative, as the released heads,
 * which training clamps at 0), for any channel counts (e.g. a narrow random backbone's).
 */
export function randomLpipsHeads(
  channels: readonly number[],
  opts: { seed?: number; dtype?: 'float32' | 'float64'; version?: LpipsVersion; device?: Device } = {},
): LpipsHeads {
  const g = new Generator(opts.seed ?? 0);
  const weights = channels.map((c) =>
    tensor(
      Float64Array.from({ length: c }, () => Math.abs(g.normal()) / c),
      { shape: [1, c, 1, 1], dtype: opts.dtype ?? 'float32', ...(opts.device !== undefined ? { device: opts.device } : {}) },
    ),
  );
  return new LpipsHeads('custom', opts.version ?? '0.1', weights);
}
