/**
 * Full-width Inception-v3 weights made by the counter hash of scripts/gen-inception-reference.py,
 * so tests compare against PyTorch without committing a 95 MB state dict, and the CLI tests get a
 * real-size weights file to load.
 */
import { type Tensor, tensor } from '@pixgrad/core';
import { type InceptionVariant, inceptionStateDictShapes } from '../src/index.js';
import { zipBytes } from './vgg-files.js';

function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(s)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

/** The generator's hash_uniform: fmix32 of a Weyl sequence seeded by the key. */
export function hashUniform(key: string, n: number): Float64Array {
  const seed = fnv1a32(key);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let h = (Math.imul(i, 0x9e3779b1) + seed) >>> 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b) >>> 0;
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    h ^= h >>> 16;
    out[i] = (h >>> 0) / 2 ** 32;
  }
  return out;
}

/** The generator's hash_value: the same float32 weights as the Python side. */
export function hashWeights(variant: InceptionVariant): Map<string, Tensor> {
  const m = new Map<string, Tensor>();
  for (const [k, shape] of inceptionStateDictShapes(variant)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const u = hashUniform(k, n);
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const s = 2 * u[i]! - 1;
      if (k.endsWith('conv.weight')) v[i] = s * Math.sqrt(3) * Math.sqrt(2 / (shape[1]! * shape[2]! * shape[3]!));
      else if (k.endsWith('bn.weight')) v[i] = 1 + 0.2 * s;
      else if (k.endsWith('bn.running_var')) v[i] = 1 + 0.5 * u[i]!;
      else if (k.endsWith('fc.weight')) v[i] = s * Math.sqrt(3 / shape[1]!);
      else v[i] = 0.1 * s;
    }
    m.set(k, tensor(v, { shape }));
  }
  return m;
}

/** A torch zip checkpoint (`torch.save` layout) of `hashWeights(variant)`. */
export function hashWeightsFile(variant: InceptionVariant = 'fid'): Uint8Array {
  const w = hashWeights(variant);
  try {
    return zipBytes(w, 'pt_inception');
  } finally {
    for (const t of w.values()) t.dispose();
  }
}
