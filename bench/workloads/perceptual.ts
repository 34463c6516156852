import { gradients, tidy, type Tensor } from '@pixgrad/core';
import { LpipsModel, perceptualLoss } from '@pixgrad/losses';
import { lpipsHeadsFromTensors, vggFromStateDict } from '@pixgrad/models';
import * as tf from '@tensorflow/tfjs';
import { toNchw, toNhwc, uniform, uniform01 } from '../data.js';
import type { PixgradLibrary } from '../libraries/pixgrad.js';
import type { Workload } from '../types.js';
import { pixgradCase, pixgradTensor, pixgradVgg16StateDict, tfjsCase, tfVgg16, tfVggFeatures } from './common.js';

/**
 * The two VGG losses of issue 5, forward+backward to the first image on 1x3xSxS inputs (S = 256;
 * 32 in quick mode), with the seeded random VGG16 weights of the vgg16 workloads:
 *
 * - perceptual: Johnson et al.'s feature reconstruction loss at relu2_2 + relu4_3 (weight 1 each),
 *   mean squared feature difference per tap, ImageNet-normalised inputs in [0, 1]
 *   (@pixgrad/losses `perceptualLoss(x, y, { net, layers: ['relu2_2', 'relu4_3'] })`).
 * - lpips: LPIPS v0.1 with the VGG backbone (scaling layer, taps relu1_2 .. relu5_3, channel
 *   unit-normalisation with eps 1e-10 on the norm, squared difference, 1x1 linear heads, spatial
 *   mean, sum over taps) on inputs in [-1, 1]; seeded non-negative random heads
 *   (@pixgrad/losses `LpipsModel`). Its peak memory during one repetition is reported too.
 *
 * tfjs runs the same networks in NHWC with conv2d + add + relu and tf.valueAndGrad.
 */
const size = (quick: boolean) => (quick ? 32 : 256);
const MEAN = [0.485, 0.456, 0.406],
  STD = [0.229, 0.224, 0.225];
const SHIFT = [-0.03, -0.088, -0.188],
  SCALE = [0.458, 0.448, 0.45];
const LPIPS_TAPS = ['relu1_2', 'relu2_2', 'relu3_3', 'relu4_3', 'relu5_3'];
const LPIPS_CH = [64, 128, 256, 512, 512];

function images(S: number, lpips: boolean) {
  const x = uniform01(3 * S * S, 31);
  const n = uniform(3 * S * S, 32);
  const y = x.map((v, i) => Math.min(1, Math.max(0, v + 0.2 * n[i]!)));
  // LPIPS takes images in [-1, 1]
  return lpips ? { x: x.map((v) => 2 * v - 1), y: y.map((v) => 2 * v - 1) } : { x, y };
}
const heads = () => LPIPS_CH.map((c, k) => uniform01(c, 300 + k).map((v) => v * 0.1));

const slowSkip = (lib: { family: string; backend: string }, quick: boolean, slow: boolean) =>
  !quick && !slow && lib.family === 'tfjs' && lib.backend === 'cpu'
    ? 'tfjs cpu would take minutes (two VGG16 passes and a conv backward); --slow runs it'
    : undefined;

export const perceptualWorkload: Workload = {
  id: 'perceptual',
  name: (quick) => `perceptual relu2_2+relu4_3 on 1x3x${size(quick)}x${size(quick)} fwd+bwd`,
  // float32 through two VGG16 passes and back: see relativeDifference for the measured error
  tolerance: 5e-3,
  skip: slowSkip,
  impls: {
    pixgrad: (lib, quick) => {
      const { device } = lib as PixgradLibrary;
      const S = size(quick);
      const sd = pixgradVgg(device);
      const net = vggFromStateDict('vgg16', sd, { device });
      const d = images(S, false);
      const x = pixgradTensor(d.x, [1, 3, S, S], device, true);
      const y = pixgradTensor(d.y, [1, 3, S, S], device);
      const c = pixgradCase(() => {
        const v = perceptualLoss(x, y, { net, layers: ['relu2_2', 'relu4_3'] });
        return [v, tidy(() => gradients(v, [x])[0]!)];
      }, [x, y, ...sd.values()]);
      return { ...c, dispose: () => (c.dispose(), net.dispose()) };
    },
    tfjs: (_lib, quick) => {
      const S = size(quick);
      const net = tfVgg16();
      const d = images(S, false);
      const x = tf.tensor4d(toNhwc(d.x, [1, 3, S, S]), [1, S, S, 3]);
      const y = tf.tensor4d(toNhwc(d.y, [1, 3, S, S]), [1, S, S, 3]);
      const mean = tf.tensor1d(MEAN),
        std = tf.tensor1d(STD);
      const taps = ['relu2_2', 'relu4_3'];
      const loss = (a: tf.Tensor): tf.Scalar => {
        const fa = tfVggFeatures(net, tf.div(tf.sub(a, mean), std) as tf.Tensor4D, taps, false);
        const fb = tfVggFeatures(net, tf.div(tf.sub(y, mean), std) as tf.Tensor4D, taps, false);
        return taps.map((t) => tf.mean(tf.squaredDifference(fa.get(t)!, fb.get(t)!)) as tf.Scalar).reduce((p, q) => tf.add(p, q));
      };
      const vg = tf.valueAndGrad(loss);
      return tfjsCase(
        () => {
          const { value, grad } = vg(x);
          return [value, grad];
        },
        [x, y, mean, std, ...net.held],
        ([v, dx]) => [v!, toNchw(dx!, [1, S, S, 3])],
      );
    },
  },
};

export const lpipsWorkload: Workload = {
  id: 'lpips',
  name: (quick) => `lpips vgg v0.1 on 1x3x${size(quick)}x${size(quick)} fwd+bwd`,
  // float32 through two VGG16 passes and back: see relativeDifference for the measured error
  tolerance: 5e-3,
  peakMemory: true,
  skip: slowSkip,
  impls: {
    pixgrad: (lib, quick) => {
      const { device } = lib as PixgradLibrary;
      const S = size(quick);
      const sd = pixgradVgg(device);
      const backbone = vggFromStateDict('vgg16', sd, { normalize: false, device });
      const hw = new Map(heads().map((h, k) => [`lin${k}.model.1.weight`, pixgradTensor(h, [1, h.length, 1, 1], device)] as const));
      const model = new LpipsModel(backbone, lpipsHeadsFromTensors(hw, { device }), '0.1');
      const d = images(S, true);
      const x = pixgradTensor(d.x, [1, 3, S, S], device, true);
      const y = pixgradTensor(d.y, [1, 3, S, S], device);
      const c = pixgradCase(() => {
        const v = tidy(() => model.forward(x, y).sum());
        return [v, tidy(() => gradients(v, [x])[0]!)];
      }, [x, y, ...sd.values(), ...hw.values()]);
      return { ...c, dispose: () => (c.dispose(), model.dispose()) };
    },
    tfjs: (_lib, quick) => {
      const S = size(quick);
      const net = tfVgg16();
      const d = images(S, true);
      const x = tf.tensor4d(toNhwc(d.x, [1, 3, S, S]), [1, S, S, 3]);
      const y = tf.tensor4d(toNhwc(d.y, [1, 3, S, S]), [1, S, S, 3]);
      const shift = tf.tensor1d(SHIFT),
        scale = tf.tensor1d(SCALE);
      const lins = heads().map((h) => tf.tensor4d(h, [1, 1, h.length, 1]));
      const unit = (f: tf.Tensor4D) => tf.div(f, tf.add(tf.sqrt(tf.sum(tf.square(f), 3, true)), 1e-10));
      const lpips = (a: tf.Tensor): tf.Scalar => {
        const f0 = tfVggFeatures(net, tf.div(tf.sub(a, shift), scale) as tf.Tensor4D, LPIPS_TAPS, false);
        const f1 = tfVggFeatures(net, tf.div(tf.sub(y, shift), scale) as tf.Tensor4D, LPIPS_TAPS, false);
        return LPIPS_TAPS.map((t, k) => {
          const dd = tf.square(tf.sub(unit(f0.get(t)!), unit(f1.get(t)!))) as tf.Tensor4D;
          return tf.mean(tf.conv2d(dd, lins[k]!, 1, 'valid')) as tf.Scalar;
        }).reduce((p, q) => tf.add(p, q));
      };
      const vg = tf.valueAndGrad(lpips);
      return tfjsCase(
        () => {
          const { value, grad } = vg(x);
          return [value, grad];
        },
        [x, y, shift, scale, ...lins, ...net.held],
        ([v, dx]) => [v!, toNchw(dx!, [1, S, S, 3])],
      );
    },
  },
};

function pixgradVgg(device: PixgradLibrary['device']): Map<string, Tensor> {
  return pixgradVgg16StateDict(device);
}
