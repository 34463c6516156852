/**
 * What every pretrained network shares (VGG, AlexNet and SqueezeNet through `TorchvisionFeatures`
 * in torchvision-features.ts, and Inception-v3): the `FrozenNetwork` base class (weights by
 * torchvision name, per-dtype casts, disposal), the strict state-dict check, reading only the
 * expected tensors from a checkpoint, frozen parameter handles, seeded uniform weights, ImageNet
 * normalisation and tap resolution. Each network keeps its own error class and messages.
 */
import { type DType, type Device, type Generator, PixgradError, type Tensor, ValueError, fmtShape, keep, tensor } from '@pixgrad/core';
import { readCheckpointRaw } from '../checkpoints/checkpoint.js';
import { rawToTensor } from '../checkpoints/load.js';
import type { RawTensor } from '../checkpoints/raw-tensor.js';

/** ImageNet statistics torchvision's weights were trained with (inputs in [0, 1]). */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

/** A key whose tensor has another shape than the architecture's. */
export interface MisshapedKey {
  key: string;
  expected: number[];
  got: number[];
}

/**
 * What every strict state-dict check throws (through a subclass naming the network:
 * `VggWeightsError`, `BackboneWeightsError`, `InceptionWeightsError`): every missing, unexpected
 * and mis-shaped key.
 */
export class StateDictMismatchError extends PixgradError {
  constructor(
    message: string,
    readonly missing: string[],
    readonly unexpected: string[],
    readonly misshaped: MisshapedKey[],
  ) {
    super(message);
    this.name = 'StateDictMismatchError';
  }
}

/** The error a strict check throws (`VggWeightsError`, `BackboneWeightsError`). */
export type WeightsErrorClass = new (message: string, missing: string[], unexpected: string[], misshaped: MisshapedKey[]) => Error;

/**
 * Throws `ErrorClass` listing every missing, unexpected (plus `unexpectedExtra`, keys seen but not
 * read) and mis-shaped key of `got` against `expected`; returns when they match exactly.
 */
export function strictCheck(
  what: string,
  expected: ReadonlyMap<string, number[]>,
  got: ReadonlyMap<string, readonly number[]>,
  ErrorClass: WeightsErrorClass,
  unexpectedExtra: string[] = [],
): void {
  const missing = [...expected.keys()].filter((k) => !got.has(k));
  const unexpected = [...got.keys()].filter((k) => !expected.has(k)).concat(unexpectedExtra);
  const misshaped: MisshapedKey[] = [];
  for (const [k, shape] of got) {
    const e = expected.get(k);
    if (e && (e.length !== shape.length || e.some((d, i) => d !== shape[i]))) misshaped.push({ key: k, expected: e, got: [...shape] });
  }
  if (missing.length + unexpected.length + misshaped.length === 0) return;
  const parts: string[] = [];
  if (missing.length) parts.push(`missing keys (${missing.length}): ${missing.join(', ')}`);
  if (unexpected.length) parts.push(`unexpected keys (${unexpected.length}): ${unexpected.join(', ')}`);
  if (misshaped.length)
    parts.push(`mis-shaped keys (${misshaped.length}): ${misshaped.map((m) => `${m.key} expected ${fmtShape(m.expected)} got ${fmtShape(m.got)}`).join(', ')}`);
  throw new ErrorClass(`${what}: the weights do not match the architecture: ${parts.join('; ')}`, missing, unexpected, misshaped);
}

/** Checks a state dict strictly against `expected` (`classifier.*` ignored) and that every expected tensor is float32 or float64. */
export function checkStateDict(
  what: string,
  expected: ReadonlyMap<string, number[]>,
  tensors: ReadonlyMap<string, Tensor>,
  ErrorClass: WeightsErrorClass,
): void {
  const got = new Map<string, readonly number[]>();
  for (const [k, t] of tensors) if (!k.startsWith('classifier.')) got.set(k, t.shape);
  strictCheck(what, expected, got, ErrorClass);
  for (const k of expected.keys()) {
    const t = tensors.get(k)!;
    if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new ValueError(`${what}: ${k} must be float32 or float64, got ${t.dtype}`);
  }
}

/**
 * Reads the `expected` tensors of a checkpoint (path or bytes; any format) as raw host arrays:
 * only those are read; keys for which `ignore` holds (default `classifier.*`) are skipped without
 * being read, any other key is reported as unexpected. Checked strictly (errors labelled `label`).
 */
export async function readExpectedRaw(
  label: string,
  expected: ReadonlyMap<string, number[]>,
  src: string | Uint8Array | ArrayBuffer,
  ErrorClass: WeightsErrorClass,
  ignore: (key: string) => boolean = (k) => k.startsWith('classifier.'),
): Promise<Map<string, RawTensor>> {
  const seen: string[] = [];
  const raw = await readCheckpointRaw(src, {
    filter: (n) => {
      seen.push(n);
      return expected.has(n);
    },
  });
  raw.objects = null;
  const got = new Map<string, readonly number[]>();
  for (const [k, t] of raw.tensors) got.set(k, t.shape);
  strictCheck(
    label,
    expected,
    got,
    ErrorClass,
    seen.filter((n) => !expected.has(n) && !ignore(n)),
  );
  return raw.tensors;
}

/**
 * `readExpectedRaw` onto `device` as tensors; every tensor must be a float tensor.
 */
export async function readExpectedTensors(
  label: string,
  expected: ReadonlyMap<string, number[]>,
  src: string | Uint8Array | ArrayBuffer,
  device: Device | undefined,
  ErrorClass: WeightsErrorClass,
): Promise<Map<string, Tensor>> {
  const raw = await readExpectedRaw(label, expected, src, ErrorClass);
  const tensors = new Map<string, Tensor>();
  for (const [k, t] of raw) {
    if (t.dtype !== 'float32' && t.dtype !== 'float64') {
      for (const u of tensors.values()) u.dispose();
      throw new ValueError(`${label}: ${k} must be a float tensor, got ${t.sourceDtype}`);
    }
    tensors.set(k, rawToTensor(t, device !== undefined ? { device } : {}));
    raw.delete(k);
  }
  return tensors;
}

/**
 * A kept, frozen handle on `t` moved to `opts.device` and cast to `opts.dtype` where given:
 * `owned` tensors are consumed (intermediates disposed), others are the caller's and are used
 * through a detached handle.
 */
export function frozenParam(t: Tensor, opts: { device?: Device; dtype?: 'float32' | 'float64' }, owned: boolean): Tensor {
  if (!owned) t = t.detach();
  if (opts.device !== undefined && t.device !== opts.device) {
    const moved = t.to(opts.device);
    t.dispose();
    t = moved;
  }
  if (opts.dtype !== undefined && t.dtype !== opts.dtype) {
    const cast = t.cast(opts.dtype);
    t.dispose();
    t = cast;
  }
  return keep(t);
}

/** n values uniform on [-a, a), one 32-bit draw each. */
export function uniformArray(g: Generator, n: number, a: number, dtype: 'float32' | 'float64'): Float32Array | Float64Array {
  const out = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  const k = (2 * a) / 4294967296;
  for (let i = 0; i < n; i++) out[i] = g.nextUint32() * k - a;
  return out;
}

/** (x - mean) / std with the ImageNet statistics, x [N, 3, H, W]. */
export function imagenetNormalize(x: Tensor): Tensor {
  const mean = tensor([...IMAGENET_MEAN], { shape: [1, 3, 1, 1], dtype: x.dtype, device: x.device });
  const std = tensor([...IMAGENET_STD], { shape: [1, 3, 1, 1], dtype: x.dtype, device: x.device });
  return x.sub(mean).div(std);
}

/**
 * The `features` index of the deepest of `taps` (tap name to index in `byName`); a ValueError
 * from `op` when none is asked for or one is unknown (`context` follows the tap in that message).
 */
export function deepestTap(op: string, byName: ReadonlyMap<string, number>, taps: readonly string[], names: readonly string[], context = ''): number {
  if (taps.length === 0) throw new ValueError(`${op}: no taps requested (choose from ${names.join(', ')})`);
  let deepest = -1;
  for (const t of taps) {
    const i = byName.get(t);
    if (i === undefined) throw new ValueError(`${op}: unknown tap ${JSON.stringify(t)}${context} (choose from ${names.join(', ')})`);
    deepest = Math.max(deepest, i);
  }
  return deepest;
}

/**
 * The base of every pretrained network: frozen weights by torchvision name (they never require
 * gradients; gradients flow to the input), cast per input dtype on first use and cached, freed by
 * `dispose`. Subclasses describe the topology and run it in `features`.
 */
export abstract class FrozenNetwork {
  protected readonly params = new Map<string, Tensor>();
  private readonly casts = new Map<string, Map<string, Tensor>>();
  private disposed = false;

  constructor(params: ReadonlyMap<string, Tensor>) {
    for (const [k, t] of params) this.params.set(k, t);
  }

  /** dtype of the stored weights */
  get dtype(): DType {
    return this.params.values().next().value!.dtype;
  }

  /** The weights by torchvision name: the model's own tensors, not copies. */
  stateDict(): Map<string, Tensor> {
    return new Map(this.params);
  }

  /** The weights in `dtype` (the stored ones, or cached casts). */
  protected paramsFor(dtype: DType): Map<string, Tensor> {
    if (dtype === this.dtype) return this.params;
    let c = this.casts.get(dtype);
    if (!c) {
      c = new Map([...this.params].map(([k, t]) => [k, keep(t.cast(dtype))] as const));
      this.casts.set(dtype, c);
    }
    return c;
  }

  /** Throws `${op}: the network was disposed` after `dispose`. */
  protected checkAlive(op: string): void {
    if (this.disposed) throw new ValueError(`${op}: the network was disposed`);
  }

  /** Frees the weights (and their dtype casts). Tensors passed in a Map are the caller's: only the model's handles are released. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const m of [this.params, ...this.casts.values()]) for (const t of m.values()) t.dispose();
    this.casts.clear();
  }
}
