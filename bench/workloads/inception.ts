import { type Tensor, tensor } from '@pixgrad/core';
import { inceptionFromStateDict, inceptionStateDictShapes } from '@pixgrad/models';
import * as tf from '@tensorflow/tfjs';
import { toHwio, toNhwc, uniform, uniform01 } from '../data.js';
import type { PixgradLibrary } from '../libraries/pixgrad.js';
import type { Workload } from '../types.js';
import { pixgradCase, pixgradTensor, tfjsCase } from './common.js';

/**
 * Inception-v3 as FID runs it (pytorch-fid's network: FIDInceptionA/C/E blocks, BN folded) to the
 * 2048-d pool_3 features of a batch of 4 images at 299x299 (1 at 75x75 in quick mode), forward:
 * the per-image cost of `pixgrad fid` and of every FID/KID computation. Seeded random weights
 * (He-uniform convs, BN near identity) shared by both libraries.
 *
 * pixgrad: @pixgrad/models' InceptionV3 (inceptionFromStateDict). tfjs: the same 94 folded convs in
 * NHWC with tf.fused.conv2d (conv + bias + ReLU in one kernel); 3x3 stride-1 average pools with
 * 'same' padding (TensorFlow's, which does not count the padding, as the FID network) and Mixed_7c's
 * max pool, concatenated in pytorch-fid's channel order.
 */
const batch = (quick: boolean) => (quick ? 1 : 4);
const size = (quick: boolean) => (quick ? 75 : 299);

/** The shared weights by torchvision name (float32), seeded. */
function stateDict(): Map<string, { data: Float32Array; shape: number[] }> {
  const m = new Map<string, { data: Float32Array; shape: number[] }>();
  let seed = 500;
  for (const [k, shape] of inceptionStateDictShapes('fid')) {
    const n = shape.reduce((a, b) => a * b, 1);
    const u = uniform(n, seed++);
    let data: Float32Array;
    if (k.endsWith('conv.weight')) data = u.map((v) => v * Math.sqrt(6 / (shape[1]! * shape[2]! * shape[3]!)));
    else if (k.endsWith('running_var')) data = u.map((v) => 1 + 0.25 * (v + 1));
    else if (k.endsWith('bn.weight')) data = u.map((v) => 1 + 0.2 * v);
    else if (k === 'fc.weight') data = u.map((v) => v * Math.sqrt(3 / 2048));
    else data = u.map((v) => 0.1 * v);
    m.set(k, { data, shape });
  }
  return m;
}

/** tfjs: folded HWIO filters and biases by BasicConv2d name. */
function tfParams(sd: Map<string, { data: Float32Array; shape: number[] }>) {
  const p = new Map<string, { w: tf.Tensor4D; b: tf.Tensor1D; k: [number, number] }>();
  for (const [k, { data, shape }] of sd) {
    if (!k.endsWith('.conv.weight')) continue;
    const name = k.slice(0, -'.conv.weight'.length);
    const [o, i, kh, kw] = shape as [number, number, number, number];
    const g = sd.get(`${name}.bn.weight`)!.data;
    const beta = sd.get(`${name}.bn.bias`)!.data;
    const mean = sd.get(`${name}.bn.running_mean`)!.data;
    const v = sd.get(`${name}.bn.running_var`)!.data;
    const w = new Float32Array(data.length);
    const b = new Float32Array(o);
    const per = i * kh * kw;
    for (let c = 0; c < o; c++) {
      const s = g[c]! / Math.sqrt(v[c]! + 1e-3);
      for (let j = 0; j < per; j++) w[c * per + j] = data[c * per + j]! * s;
      b[c] = beta[c]! - mean[c]! * s;
    }
    p.set(name, { w: tf.tensor4d(toHwio(w, shape), [kh, kw, i, o]), b: tf.tensor1d(b), k: [kh, kw] });
  }
  return p;
}

/** The stride-2 / unpadded convs (padding 0 in the PyTorch network, 'valid' here); every other conv is 'same'. */
const VALID = new Set([
  'Conv2d_1a_3x3',
  'Conv2d_2a_3x3',
  'Conv2d_4a_3x3',
  'Mixed_6a.branch3x3',
  'Mixed_6a.branch3x3dbl_3',
  'Mixed_7a.branch3x3_2',
  'Mixed_7a.branch7x7x3_4',
]);
const STRIDE2 = new Set(['Conv2d_1a_3x3', 'Mixed_6a.branch3x3', 'Mixed_6a.branch3x3dbl_3', 'Mixed_7a.branch3x3_2', 'Mixed_7a.branch7x7x3_4']);

function tfInception(p: ReturnType<typeof tfParams>, x: tf.Tensor4D): tf.Tensor2D {
  const c = (name: string, h: tf.Tensor4D): tf.Tensor4D => {
    const { w, b } = p.get(name)!;
    return tf.fused.conv2d({ x: h, filter: w, bias: b, strides: STRIDE2.has(name) ? 2 : 1, pad: VALID.has(name) ? 'valid' : 'same', activation: 'relu' });
  };
  const chain = (h: tf.Tensor4D, ...names: string[]) => names.reduce((a, n) => c(n, a), h);
  const cat = (ts: tf.Tensor4D[]) => tf.concat(ts, 3);
  const avg = (h: tf.Tensor4D) => tf.avgPool(h, 3, 1, 'same');
  let h = chain(x, 'Conv2d_1a_3x3', 'Conv2d_2a_3x3', 'Conv2d_2b_3x3');
  h = tf.maxPool(h, 3, 2, 'valid');
  h = tf.maxPool(chain(h, 'Conv2d_3b_1x1', 'Conv2d_4a_3x3'), 3, 2, 'valid');
  for (const m of ['Mixed_5b', 'Mixed_5c', 'Mixed_5d']) {
    h = cat([
      c(`${m}.branch1x1`, h),
      chain(h, `${m}.branch5x5_1`, `${m}.branch5x5_2`),
      chain(h, `${m}.branch3x3dbl_1`, `${m}.branch3x3dbl_2`, `${m}.branch3x3dbl_3`),
      c(`${m}.branch_pool`, avg(h)),
    ]);
  }
  h = cat([
    c('Mixed_6a.branch3x3', h),
    chain(h, 'Mixed_6a.branch3x3dbl_1', 'Mixed_6a.branch3x3dbl_2', 'Mixed_6a.branch3x3dbl_3'),
    tf.maxPool(h, 3, 2, 'valid'),
  ]);
  for (const m of ['Mixed_6b', 'Mixed_6c', 'Mixed_6d', 'Mixed_6e']) {
    h = cat([
      c(`${m}.branch1x1`, h),
      chain(h, `${m}.branch7x7_1`, `${m}.branch7x7_2`, `${m}.branch7x7_3`),
      chain(h, `${m}.branch7x7dbl_1`, `${m}.branch7x7dbl_2`, `${m}.branch7x7dbl_3`, `${m}.branch7x7dbl_4`, `${m}.branch7x7dbl_5`),
      c(`${m}.branch_pool`, avg(h)),
    ]);
  }
  h = cat([
    chain(h, 'Mixed_7a.branch3x3_1', 'Mixed_7a.branch3x3_2'),
    chain(h, 'Mixed_7a.branch7x7x3_1', 'Mixed_7a.branch7x7x3_2', 'Mixed_7a.branch7x7x3_3', 'Mixed_7a.branch7x7x3_4'),
    tf.maxPool(h, 3, 2, 'valid'),
  ]);
  for (const m of ['Mixed_7b', 'Mixed_7c']) {
    const b3 = c(`${m}.branch3x3_1`, h);
    const bd = chain(h, `${m}.branch3x3dbl_1`, `${m}.branch3x3dbl_2`);
    const pool = m === 'Mixed_7c' ? tf.maxPool(h, 3, 1, 'same') : avg(h);
    h = cat([
      c(`${m}.branch1x1`, h),
      c(`${m}.branch3x3_2a`, b3),
      c(`${m}.branch3x3_2b`, b3),
      c(`${m}.branch3x3dbl_3a`, bd),
      c(`${m}.branch3x3dbl_3b`, bd),
      c(`${m}.branch_pool`, pool),
    ]);
  }
  return tf.mean(h, [1, 2]) as tf.Tensor2D;
}

export const inceptionWorkload: Workload = {
  id: 'inception',
  name: (quick) => `inception-v3 (FID) to pool_3 on ${batch(quick)}x3x${size(quick)}x${size(quick)} fwd`,
  tolerance: 1e-3,
  skip: (lib, quick, slow) =>
    !quick && !slow && lib.family === 'tfjs' && lib.backend === 'cpu'
      ? "tfjs cpu's direct-loop convolutions need minutes for 23 GFLOP; --slow runs it"
      : undefined,
  impls: {
    pixgrad: async (lib, quick) => {
      const { device } = lib as PixgradLibrary;
      const n = batch(quick);
      const S = size(quick);
      const sd = new Map<string, Tensor>([...stateDict()].map(([k, { data, shape }]) => [k, tensor(data, { shape, device })]));
      const net = await inceptionFromStateDict(sd, { device });
      for (const t of sd.values()) t.dispose();
      const x = pixgradTensor(
        uniform01(n * 3 * S * S, 77).map((v) => 2 * v - 1),
        [n, 3, S, S],
        device,
      );
      const c = pixgradCase(() => [net.features(x, ['2048']).get('2048')!], [x]);
      return { ...c, dispose: () => (c.dispose(), net.dispose()) };
    },
    tfjs: (_lib, quick) => {
      const n = batch(quick);
      const S = size(quick);
      const p = tfParams(stateDict());
      const x = tf.tensor4d(
        toNhwc(
          uniform01(n * 3 * S * S, 77).map((v) => 2 * v - 1),
          [n, 3, S, S],
        ),
        [n, S, S, 3],
      );
      return tfjsCase(() => [tfInception(p, x)], [x, ...[...p.values()].flatMap(({ w, b }) => [w, b])]);
    },
  },
};
