/**
 * Test-only writers of VGG checkpoints in torchvision's layout: legacy (torch.save before 1.6,
 * the format of torchvision's own vgg16-397923af.pth), torch zip and safetensors, built from the
 * opcode builders in ./builders.ts. Plus a streamed writer of a real-size VGG16 file (528 MiB
 * including the classifier) whose classifier storages are holes (sparse), so it costs the disk
 * only the features' 59 MB.
 */
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import type { Tensor } from '@pixgrad/core';
import { serializeSafetensors } from '../src/checkpoints/safetensors-write.js';
import type { RawTensor } from '../src/checkpoints/raw-tensor.js';
import { legacyFile, stateDictPickle, torchZip, type TensorSpec } from './builders.js';

function f32Bytes(t: Tensor): Uint8Array {
  const d = t.dataSync();
  const f = d instanceof Float32Array ? d : Float32Array.from(d as ArrayLike<number>);
  return new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
}

function specs(state: ReadonlyMap<string, Tensor>): [string, TensorSpec][] {
  return [...state].map(([name, t], i) => [name, { storageType: 'FloatStorage', key: String(i), numel: t.size, shape: [...t.shape] }]);
}

/** A legacy torch.save stream of float32 tensors. */
export function legacyBytes(state: ReadonlyMap<string, Tensor>): Uint8Array {
  const s = specs(state);
  const ts = [...state.values()];
  return legacyFile(
    stateDictPickle(s, 'legacy'),
    s.map(([, spec], i) => [spec.key, spec.numel, f32Bytes(ts[i]!)]),
  );
}

/** A torch >= 1.6 zip checkpoint of float32 tensors (top folder `vgg16`, as torch names it after the file stem). */
export function zipBytes(state: ReadonlyMap<string, Tensor>, prefix = 'vgg16'): Uint8Array {
  const s = specs(state);
  const ts = [...state.values()];
  return torchZip(
    stateDictPickle(s, 'zip'),
    s.map(([, spec], i) => [spec.key, f32Bytes(ts[i]!)]),
    { prefix },
  );
}

/** safetensors bytes of float32 tensors. */
export function safetensorsBytes(state: ReadonlyMap<string, Tensor>): Uint8Array {
  const raw = new Map<string, RawTensor>();
  for (const [k, t] of state)
    raw.set(k, { dtype: 'float32', sourceDtype: 'float32', shape: [...t.shape], data: new Float32Array(f32Bytes(t).slice().buffer) } as RawTensor);
  return serializeSafetensors(raw, { format: 'pt' });
}

/** torchvision VGG16 state-dict shapes (features and classifier), in torchvision's key order. */
export function vgg16FullShapes(): [string, number[]][] {
  const cfg = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'] as const;
  const out: [string, number[]][] = [];
  let idx = 0;
  let cin = 3;
  for (const v of cfg) {
    if (v === 'M') {
      idx++;
      continue;
    }
    out.push([`features.${idx}.weight`, [v, cin, 3, 3]], [`features.${idx}.bias`, [v]]);
    cin = v;
    idx += 2;
  }
  out.push(
    ['classifier.0.weight', [4096, 25088]],
    ['classifier.0.bias', [4096]],
    ['classifier.3.weight', [4096, 4096]],
    ['classifier.3.bias', [4096]],
    ['classifier.6.weight', [1000, 4096]],
    ['classifier.6.bias', [1000]],
  );
  return out;
}

/** Deterministic pseudo-random float32 values in [-0.05, 0.05) (an LCG: fast enough for 15M values). */
export function fillValues(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 4294967296 - 0.5) * 0.1;
  }
  return out;
}

/**
 * Writes a real-size torchvision VGG16 checkpoint in the legacy format (138,357,544 float32
 * parameters, 553 MB): the feature storages with `fillValues(numel, seed + k)` data, the
 * classifier storages as holes (their 8-byte counts are written; their bytes never are), so the
 * file is sparse. Returns the file size and the features' values by name.
 */
export function writeRealSizeVgg16Legacy(path: string, seed = 1): { size: number; features: Map<string, Float32Array> } {
  const shapes = vgg16FullShapes();
  const s: [string, TensorSpec][] = shapes.map(([name, shape], i) => [
    name,
    { storageType: 'FloatStorage', key: String(i), numel: shape.reduce((a, b) => a * b, 1), shape },
  ]);
  const withKeys = legacyFile(
    stateDictPickle(s, 'legacy'),
    s.map(([, spec]) => [spec.key, spec.numel, new Uint8Array(0)]),
  );
  // withKeys = header + (8-byte count, no data) per storage; split off the counts to write them in place.
  const headerLen = withKeys.length - 8 * s.length;
  const fd = openSync(path, 'w');
  const features = new Map<string, Float32Array>();
  try {
    writeSync(fd, withKeys, 0, headerLen, 0);
    let pos = headerLen;
    s.forEach(([name, spec], k) => {
      const count = new Uint8Array(8);
      new DataView(count.buffer).setBigInt64(0, BigInt(spec.numel), true);
      writeSync(fd, count, 0, 8, pos);
      pos += 8;
      if (name.startsWith('features.')) {
        const v = fillValues(spec.numel, seed + k);
        features.set(name, v);
        writeSync(fd, new Uint8Array(v.buffer), 0, v.byteLength, pos);
      }
      pos += spec.numel * 4;
    });
    ftruncateSync(fd, pos);
    return { size: pos, features };
  } finally {
    closeSync(fd);
  }
}
