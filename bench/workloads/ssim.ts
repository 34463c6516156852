import { gradients, tidy } from '@pixgrad/core';
import { gaussian1d, ssim } from '@pixgrad/losses';
import * as tf from '@tensorflow/tfjs';
import { toNchw, toNhwc, uniform, uniform01 } from '../data.js';
import type { PixgradLibrary } from '../libraries/pixgrad.js';
import type { Workload } from '../types.js';
import { pixgradCase, pixgradTensor, tfjsCase } from './common.js';

/**
 * SSIM (Wang et al. 2004: 11x11 Gaussian window, sigma 1.5, applied separably as two depthwise
 * convolutions, 'valid' borders, C1 = 0.01^2, C2 = 0.03^2, mean of the map) of two 1x3xSxS images
 * in [0, 1] (S = 512; 64 in quick mode; y is x plus noise). Forward: the SSIM value.
 * Forward+backward: the value and dSSIM/dx.
 *
 * pixgrad: @pixgrad/losses `ssim` and `gradients`. tfjs: the same formula written with
 * tf.depthwiseConv2d (NHWC, filters [11,1,3,1] then [1,11,3,1]) and tf.valueAndGrad.
 */
const size = (quick: boolean) => (quick ? 64 : 512);
const C1 = 0.01 ** 2, C2 = 0.03 ** 2;

function images(S: number) {
  const x = uniform01(3 * S * S, 21);
  const n = uniform(3 * S * S, 22);
  const y = x.map((v, i) => Math.min(1, Math.max(0, v + 0.2 * n[i]!)));
  return { x, y };
}

/** the SSIM of NHWC images, as @pixgrad/losses computes it */
function tfSsim(x: tf.Tensor4D, y: tf.Tensor4D, gh: tf.Tensor4D, gw: tf.Tensor4D): tf.Scalar {
  const f = (t: tf.Tensor4D) => tf.depthwiseConv2d(tf.depthwiseConv2d(t, gh, 1, 'valid'), gw, 1, 'valid');
  const mu1 = f(x), mu2 = f(y);
  const mu11 = tf.square(mu1), mu22 = tf.square(mu2), mu12 = tf.mul(mu1, mu2);
  const s11 = tf.sub(f(tf.square(x)), mu11);
  const s22 = tf.sub(f(tf.square(y)), mu22);
  const s12 = tf.sub(f(tf.mul(x, y)), mu12);
  const cs = tf.div(tf.add(tf.mul(s12, 2), C2), tf.add(tf.add(s11, s22), C2));
  const lum = tf.div(tf.add(tf.mul(mu12, 2), C1), tf.add(tf.add(mu11, mu22), C1));
  return tf.mean(tf.mul(lum, cs));
}

function ssimWorkload(backward: boolean): Workload {
  return {
    id: backward ? 'ssim-fwdbwd' : 'ssim-fwd',
    name: (quick) => `ssim 11x11 on 2x 1x3x${size(quick)}x${size(quick)} ${backward ? 'fwd+bwd' : 'fwd'}`,
    tolerance: 1e-3,
    impls: {
      pixgrad: (lib, quick) => {
        const { device } = lib as PixgradLibrary;
        const S = size(quick);
        const d = images(S);
        const x = pixgradTensor(d.x, [1, 3, S, S], device, backward);
        const y = pixgradTensor(d.y, [1, 3, S, S], device);
        if (!backward) return pixgradCase(() => [ssim(x, y)], [x, y]);
        return pixgradCase(() => {
          const v = ssim(x, y);
          return [v, tidy(() => gradients(v, [x])[0]!)];
        }, [x, y]);
      },
      tfjs: (_lib, quick) => {
        const S = size(quick);
        const d = images(S);
        const x = tf.tensor4d(toNhwc(d.x, [1, 3, S, S]), [1, S, S, 3]);
        const y = tf.tensor4d(toNhwc(d.y, [1, 3, S, S]), [1, S, S, 3]);
        const g = gaussian1d(11, 1.5);
        const rep = (k: number[]) => k.flatMap((v) => [v, v, v]); // [k, 3] -> depthwise filter [.., .., 3, 1]
        const gh = tf.tensor4d(rep(g), [11, 1, 3, 1]);
        const gw = tf.tensor4d(rep(g), [1, 11, 3, 1]);
        const held = [x, y, gh, gw];
        if (!backward) return tfjsCase(() => [tfSsim(x, y, gh, gw)], held);
        const vg = tf.valueAndGrad((a: tf.Tensor) => tfSsim(a as tf.Tensor4D, y, gh, gw));
        return tfjsCase(
          () => {
            const { value, grad } = vg(x);
            return [value, grad];
          },
          held,
          ([v, dx]) => [v!, toNchw(dx!, [1, S, S, 3])],
        );
      },
    },
  };
}

export const ssimFwdWorkload = ssimWorkload(false);
export const ssimFwdBwdWorkload = ssimWorkload(true);
