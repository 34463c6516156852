import { gradients, tidy } from '@pixgrad/core';
import { gaussian1d, ssim } from '@pixgrad/losses';
import * as tf from '@tensorflow/tfjs';
import type { Array as JaxArray } from '@jax-js/jax';
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
 * tf.depthwiseConv2d (NHWC, filters [11,1,3,1] then [1,11,3,1]) and tf.valueAndGrad. jax-js: the
 * same formula with lax.convGeneralDilated (NCHW, featureGroupCount 3), under jit (and
 * valueAndGrad for the gradient), as a jax user would write it.
 */
const size = (quick: boolean) => (quick ? 64 : 512);
const C1 = 0.01 ** 2,
  C2 = 0.03 ** 2;

function images(S: number) {
  const x = uniform01(3 * S * S, 21);
  const n = uniform(3 * S * S, 22);
  const y = x.map((v, i) => Math.min(1, Math.max(0, v + 0.2 * n[i]!)));
  return { x, y };
}

/** the SSIM of NHWC images, as @pixgrad/losses computes it */
function tfSsim(x: tf.Tensor4D, y: tf.Tensor4D, gh: tf.Tensor4D, gw: tf.Tensor4D): tf.Scalar {
  const f = (t: tf.Tensor4D) => tf.depthwiseConv2d(tf.depthwiseConv2d(t, gh, 1, 'valid'), gw, 1, 'valid');
  const mu1 = f(x),
    mu2 = f(y);
  const mu11 = tf.square(mu1),
    mu22 = tf.square(mu2),
    mu12 = tf.mul(mu1, mu2);
  const s11 = tf.sub(f(tf.square(x)), mu11);
  const s22 = tf.sub(f(tf.square(y)), mu22);
  const s12 = tf.sub(f(tf.mul(x, y)), mu12);
  const cs = tf.div(tf.add(tf.mul(s12, 2), C2), tf.add(tf.add(s11, s22), C2));
  const lum = tf.div(tf.add(tf.mul(mu12, 2), C1), tf.add(tf.add(mu11, mu22), C1));
  return tf.mean(tf.mul(lum, cs));
}

/** the SSIM of NCHW images in jax-js; every argument is consumed (jax-js's ownership rules) */
async function jaxSsimFn(): Promise<(x: JaxArray, y: JaxArray, gh: JaxArray, gw: JaxArray) => JaxArray> {
  const { lax } = await import('@jax-js/jax');
  return (x, y, gh, gw) => {
    const f = (t: JaxArray) =>
      lax.convGeneralDilated(lax.convGeneralDilated(t, gh.ref, [1, 1], 'VALID', { featureGroupCount: 3 }), gw.ref, [1, 1], 'VALID', { featureGroupCount: 3 });
    const mu1 = f(x.ref),
      mu2 = f(y.ref);
    const mu11 = mu1.ref.mul(mu1.ref),
      mu22 = mu2.ref.mul(mu2.ref),
      mu12 = mu1.mul(mu2);
    const s11 = f(x.ref.mul(x.ref)).sub(mu11.ref);
    const s22 = f(y.ref.mul(y.ref)).sub(mu22.ref);
    const s12 = f(x.mul(y)).sub(mu12.ref);
    gh.dispose();
    gw.dispose();
    const cs = s12.mul(2).add(C2).div(s11.add(s22).add(C2));
    const lum = mu12.mul(2).add(C1).div(mu11.add(mu22).add(C1));
    return lum.mul(cs).mean();
  };
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
      jax: async (_lib, quick) => {
        const jax = await import('@jax-js/jax');
        const np = jax.numpy;
        const S = size(quick);
        const d = images(S);
        const g = gaussian1d(11, 1.5);
        const x = np.array(d.x, { shape: [1, 3, S, S] });
        const y = np.array(d.y, { shape: [1, 3, S, S] });
        const gh = np
          .array(Float32Array.from(g.flatMap((v) => [v, v, v])), { shape: [11, 3] })
          .transpose([1, 0])
          .reshape([3, 1, 11, 1]);
        const gw = np
          .array(Float32Array.from(g.flatMap((v) => [v, v, v])), { shape: [11, 3] })
          .transpose([1, 0])
          .reshape([3, 1, 1, 11]);
        const ssimFn = await jaxSsimFn();
        const f = backward ? jax.jit(jax.valueAndGrad(ssimFn)) : jax.jit(ssimFn);
        const once = async (): Promise<Float32Array[]> => {
          const out = f(x.ref, y.ref, gh.ref, gw.ref) as JaxArray | [JaxArray, JaxArray];
          const arrays = Array.isArray(out) ? out : [out];
          return (await Promise.all(arrays.map((a) => a.data()))) as Float32Array[];
        };
        return {
          run: async () => void (await once()),
          outputs: once,
          dispose: () => [x, y, gh, gw].forEach((a) => a.dispose()),
        };
      },
    },
  };
}

export const ssimFwdWorkload = ssimWorkload(false);
export const ssimFwdBwdWorkload = ssimWorkload(true);
