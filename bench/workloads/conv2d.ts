import { conv2d, gradients, tidy } from '@pixgrad/core';
import * as tf from '@tensorflow/tfjs';
import { toHwio, toNchw, toNhwc, toOihw, uniform } from '../data.js';
import type { PixgradLibrary } from '../libraries/pixgrad.js';
import type { Workload } from '../types.js';
import { pixgradCase, pixgradTensor, tfjsCase } from './common.js';

/**
 * conv2d 3x3, 64 -> 64 channels, stride 1, padding 1 ('same'), on a 1x64xSxS float32 image
 * (S = 128; 32 in quick mode). Forward: y = conv(x, w). Forward+backward: y, then dL/dx and
 * dL/dw for a fixed cotangent dy (what a training step runs). One repetition reads every result back.
 *
 * pixgrad: conv2d, then gradients(y, [x, w], { gradOutputs: [dy] }). tfjs: NHWC (its native
 * layout; the same values transposed), tf.conv2d and tf.grads with the same dy.
 */
const C = 64,
  K = 3;
const size = (quick: boolean) => (quick ? 32 : 128);

function inputs(S: number) {
  return { x: uniform(C * S * S, 11), w: uniform(C * C * K * K, 12).map((v) => v / 24), dy: uniform(C * S * S, 13) };
}

function conv2dWorkload(backward: boolean): Workload {
  return {
    id: backward ? 'conv2d-fwdbwd' : 'conv2d-fwd',
    name: (quick) => `conv2d ${K}x${K} ${C}->${C} on 1x${C}x${size(quick)}x${size(quick)} ${backward ? 'fwd+bwd' : 'fwd'}`,
    // tfjs cpu's Conv2DBackpropFilter is a per-element TensorBuffer.get loop: ~26 s at 64x64, so minutes at 128x128
    skip: (lib, quick, slow) =>
      backward && !quick && !slow && lib.family === 'tfjs' && lib.backend === 'cpu'
        ? 'tfjs cpu conv2d backward at 128x128 takes minutes (its filter gradient alone ~26 s at 64x64); --slow runs it'
        : undefined,
    impls: {
      pixgrad: (lib, quick) => {
        const { device } = lib as PixgradLibrary;
        const S = size(quick);
        const d = inputs(S);
        const x = pixgradTensor(d.x, [1, C, S, S], device, backward);
        const w = pixgradTensor(d.w, [C, C, K, K], device, backward);
        const dy = pixgradTensor(d.dy, [1, C, S, S], device);
        if (!backward) return pixgradCase(() => [conv2d(x, w, { padding: 1 })], [x, w, dy]);
        return pixgradCase(() => {
          const y = conv2d(x, w, { padding: 1 });
          const [dx, dw] = tidy(() => gradients(y, [x, w], { gradOutputs: [dy] }));
          return [y, dx!, dw!];
        }, [x, w, dy]);
      },
      tfjs: (_lib, quick) => {
        const S = size(quick);
        const d = inputs(S);
        const x = tf.tensor4d(toNhwc(d.x, [1, C, S, S]), [1, S, S, C]);
        const w = tf.tensor4d(toHwio(d.w, [C, C, K, K]), [K, K, C, C]);
        const dy = tf.tensor4d(toNhwc(d.dy, [1, C, S, S]), [1, S, S, C]);
        const nchw = (a: Float32Array) => toNchw(a, [1, S, S, C]);
        if (!backward)
          return tfjsCase(
            () => [tf.conv2d(x, w, 1, 'same')],
            [x, w, dy],
            ([y]) => [nchw(y!)],
          );
        const f = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same');
        return tfjsCase(
          () => {
            const { value, grads } = tf.valueAndGrads(f)([x, w], dy);
            return [value, grads[0]!, grads[1]!];
          },
          [x, w, dy],
          ([y, dx, dw]) => [nchw(y!), nchw(dx!), toOihw(dw!, [K, K, C, C])],
        );
      },
    },
  };
}

export const conv2dFwdWorkload = conv2dWorkload(false);
export const conv2dFwdBwdWorkload = conv2dWorkload(true);
