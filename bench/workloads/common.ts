import { tensor, type Device, type Tensor } from '@pixgrad/core';
import * as tf from '@tensorflow/tfjs';
import { toHwio, vgg16Layers, vgg16Weights } from '../data.js';
import type { Case } from '../types.js';

/** A pixgrad case: `compute` builds the results (inside its own tidy scopes), one repetition reads them all back. */
export function pixgradCase(compute: () => Tensor[], held: Tensor[], canonical: (outs: Float32Array[]) => Float32Array[] = (o) => o): Case {
  const once = async (): Promise<Float32Array[]> => {
    const ts = compute();
    try {
      return (await Promise.all(ts.map((t) => t.data()))) as Float32Array[];
    } finally {
      ts.forEach((t) => t.dispose());
    }
  };
  return {
    run: async () => void (await once()),
    outputs: async () => canonical(await once()),
    dispose: () => held.forEach((t) => t.dispose()),
  };
}

/** A tfjs case: `compute` returns the results (call it inside tf.tidy), one repetition reads them all back. */
export function tfjsCase(compute: () => tf.Tensor[], held: tf.Tensor[], canonical: (outs: Float32Array[]) => Float32Array[] = (o) => o): Case {
  const once = async (): Promise<Float32Array[]> => {
    const ts = tf.tidy(compute);
    try {
      return (await Promise.all(ts.map((t) => t.data()))) as Float32Array[];
    } finally {
      tf.dispose(ts);
    }
  };
  return {
    run: async () => void (await once()),
    outputs: async () => canonical(await once()),
    dispose: () => tf.dispose(held),
  };
}

export const pixgradTensor = (data: Float32Array, shape: number[], device: Device, requiresGrad = false): Tensor =>
  tensor(data, { shape, dtype: 'float32', device, requiresGrad });

// ------------------------------------------------------------------------- VGG16 in tfjs

export interface TfVgg {
  /** HWIO filters and biases by torchvision layer index */
  params: Map<number, { w: tf.Tensor4D; b: tf.Tensor1D }>;
  held: tf.Tensor[];
}

/** The shared seeded VGG16 weights as tfjs tensors (HWIO). */
export function tfVgg16(): TfVgg {
  const params = new Map<number, { w: tf.Tensor4D; b: tf.Tensor1D }>();
  for (const [i, { w, b, shape }] of vgg16Weights()) {
    const [o, c, kh, kw] = shape;
    params.set(i, { w: tf.tensor4d(toHwio(w, shape), [kh, kw, c, o]), b: tf.tensor1d(b) });
  }
  return { params, held: [...params.values()].flatMap(({ w, b }) => [w, b]) };
}

/**
 * torchvision's VGG16 `features` on an NHWC image up to the deepest of `taps`, returning the taps.
 * `fused` uses tfjs's fused conv+bias+relu kernel (its fastest forward; its gradient computes
 * the filter and bias gradients eagerly, so backward cases use conv2d + add + relu instead, whose
 * registered gradients run only what the input gradient needs).
 */
export function tfVggFeatures(net: TfVgg, x: tf.Tensor4D, taps: readonly string[], fused: boolean): Map<string, tf.Tensor4D> {
  const layers = vgg16Layers();
  const deepest = Math.max(...taps.map((t) => layers.findIndex((l) => l.name === t)));
  const out = new Map<string, tf.Tensor4D>();
  let h = x;
  for (let k = 0; k <= deepest; k++) {
    const l = layers[k]!;
    if (l.kind === 'conv') {
      const { w, b } = net.params.get(l.index)!;
      const next = layers[k + 1]!;
      if (fused && next.kind === 'relu' && !taps.includes(l.name)) {
        h = tf.fused.conv2d({ x: h, filter: w, bias: b, strides: 1, pad: 'same', activation: 'relu' });
        k++; // the relu is done
        if (taps.includes(next.name)) out.set(next.name, h);
        continue;
      }
      h = tf.add(tf.conv2d(h, w, 1, 'same'), b);
    } else if (l.kind === 'relu') h = tf.relu(h);
    else h = tf.maxPool(h, 2, 2, 'valid');
    if (taps.includes(l.name)) out.set(l.name, h);
  }
  return out;
}

/** The shared seeded VGG16 weights as a Map in torchvision's naming, on a pixgrad device. */
export function pixgradVgg16StateDict(device: Device): Map<string, Tensor> {
  const m = new Map<string, Tensor>();
  for (const [i, { w, b, shape }] of vgg16Weights()) {
    m.set(`features.${i}.weight`, pixgradTensor(w, [...shape], device));
    m.set(`features.${i}.bias`, pixgradTensor(b, [shape[0]], device));
  }
  return m;
}
