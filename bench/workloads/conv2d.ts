import { conv2d, gradients, tensor, type Tensor } from '@pixgrad/core';
import * as tf from '@tensorflow/tfjs-core';
import { permute, uniform } from '../data.js';
import type { PixgradLibrary } from '../libraries/pixgrad.js';
import type { Workload } from '../types.js';

/**
 * conv2d 3x3, 64 -> 64 channels, stride 1, padding 1 ('same'), on a 1x64xSxS float32 image
 * (S = 64; 32 in quick mode), forward and backward: y = conv(x, w), then dL/dx and dL/dw for a
 * fixed cotangent dy (the two backward convolutions a training step or a perceptual-loss gradient
 * runs). One repetition includes reading y, dx and dw back.
 *
 * pixgrad runs its public ops: conv2d, then gradients(y, [x, w], { gradOutputs: [dy] }).
 * tfjs runs NHWC (its native layout; inputs are the same values transposed) with tf.conv2d and
 * then the two kernels tfjs's own Conv2D gradient calls, Conv2DBackpropInput and
 * Conv2DBackpropFilter, through tf.engine().runKernel: tfjs-core's npm bundle does not register
 * its gradients (only the @tensorflow/tfjs umbrella package imports register_all_gradients), so
 * tf.grads cannot be used with tfjs-core + tfjs-backend-cpu alone; the kernels are the same.
 */
const C = 64, K = 3;
const size = (quick: boolean) => (quick ? 32 : 64);

function inputs(S: number) {
  return { x: uniform(C * S * S, 11), w: uniform(C * C * K * K, 12).map((v) => v / 24), dy: uniform(C * S * S, 13) };
}

export const conv2dWorkload: Workload = {
  id: 'conv2d',
  name: (quick) => `conv2d ${K}x${K} ${C}->${C} on 1x${C}x${size(quick)}x${size(quick)} fwd+bwd`,
  impls: {
    pixgrad: (lib, quick) => {
      const { device } = lib as PixgradLibrary;
      const S = size(quick);
      const d = inputs(S);
      const x = tensor(d.x, { shape: [1, C, S, S], dtype: 'float32', device, requiresGrad: true });
      const w = tensor(d.w, { shape: [C, C, K, K], dtype: 'float32', device, requiresGrad: true });
      const dy = tensor(d.dy, { shape: [1, C, S, S], dtype: 'float32', device });
      const once = async (): Promise<Float32Array[]> => {
        const y: Tensor = conv2d(x, w, { padding: 1 });
        const grads = gradients(y, [x, w], { gradOutputs: [dy] });
        try {
          return (await Promise.all([y, ...grads].map((t) => t.data()))) as Float32Array[];
        } finally {
          [y, ...grads].forEach((t) => t.dispose());
        }
      };
      return {
        run: async () => void (await once()),
        outputs: once,
        dispose: () => [x, w, dy].forEach((t) => t.dispose()),
      };
    },
    tfjs: (_lib, quick) => {
      const S = size(quick);
      const d = inputs(S);
      // NCHW -> NHWC, OIHW -> HWIO
      const x = tf.tensor4d(permute(d.x, [1, C, S, S], [0, 2, 3, 1]), [1, S, S, C]);
      const w = tf.tensor4d(permute(d.w, [C, C, K, K], [2, 3, 1, 0]), [K, K, C, C]);
      const dy = tf.tensor4d(permute(d.dy, [1, C, S, S], [0, 2, 3, 1]), [1, S, S, C]);
      const attrs: tf.NamedAttrMap = { strides: 1, pad: 'same', dataFormat: 'NHWC' };
      const compute = (): tf.Tensor[] => [
        tf.conv2d(x, w, 1, 'same'),
        tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: x.shape }) as tf.Tensor,
        tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: w.shape }) as tf.Tensor,
      ];
      const once = async (): Promise<Float32Array[]> => {
        const ts = compute();
        try {
          return (await Promise.all(ts.map((t) => t.data()))) as Float32Array[];
        } finally {
          tf.dispose(ts);
        }
      };
      return {
        run: async () => void (await once()),
        outputs: async () => {
          const [y, dx, dw] = await once();
          // back to pixgrad's layouts: NHWC -> NCHW, HWIO -> OIHW
          return [permute(y!, [1, S, S, C], [0, 3, 1, 2]), permute(dx!, [1, S, S, C], [0, 3, 1, 2]), permute(dw!, [K, K, C, C], [3, 2, 0, 1])];
        },
        dispose: () => tf.dispose([x, w, dy]),
      };
    },
  },
};
