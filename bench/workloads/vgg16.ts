import { conv2d, gradients, maxPool2d, relu, tensor, tidy, type Tensor } from '@pixgrad/core';
import { uniform } from '../data.js';
import type { PixgradLibrary } from '../libraries/pixgrad.js';
import type { Workload } from '../types.js';

/**
 * VGG16's convolutional stack (torchvision's `features`: thirteen 3x3 convs with bias and ReLU,
 * five 2x2 max pools) on a 1x3xSxS float32 image (S = 64; 32 in quick mode), forward to the last
 * pool and backward to the input, as a perceptual loss uses it (weights frozen). Random He-scaled
 * weights. One repetition includes reading the input gradient back.
 *
 * pixgrad only: tfjs's cpu backend has no fast conv backward (its Conv2DBackpropFilter alone takes
 * about 25 s for one 64-channel 64x64 layer, see the conv2d workload), and this workload needs no
 * weight gradients anyway, so a tfjs row would measure something else.
 */
const CFG = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'] as const;
const size = (quick: boolean) => (quick ? 32 : 64);

export const vgg16Workload: Workload = {
  id: 'vgg16',
  name: (quick) => `vgg16 features on 1x3x${size(quick)}x${size(quick)} fwd+bwd to input`,
  impls: {
    pixgrad: (lib, quick) => {
      const { device } = lib as PixgradLibrary;
      const S = size(quick);
      const params: { w: Tensor; b: Tensor }[] = [];
      let cin = 3, seed = 100;
      for (const v of CFG) {
        if (v === 'M') continue;
        const scale = Math.sqrt(6 / (cin * 9));
        params.push({
          w: tensor(uniform(v * cin * 9, seed++).map((x) => x * scale), { shape: [v, cin, 3, 3], dtype: 'float32', device }),
          b: tensor(uniform(v, seed++).map((x) => x * 0.01), { shape: [v], dtype: 'float32', device }),
        });
        cin = v;
      }
      const x = tensor(uniform(3 * S * S, 99).map((v) => (v + 1) / 2), { shape: [1, 3, S, S], dtype: 'float32', device, requiresGrad: true });
      const once = async (): Promise<Float32Array> => {
        const dx = tidy(() => {
          let h: Tensor = x;
          let k = 0;
          for (const v of CFG) {
            if (v === 'M') h = maxPool2d(h, { kernelSize: 2 });
            else {
              const { w, b } = params[k++]!;
              h = relu(conv2d(h, w, { bias: b, padding: 1 }));
            }
          }
          return gradients(h.sum(), [x])[0]!;
        });
        try {
          return (await dx.data()) as Float32Array;
        } finally {
          dx.dispose();
        }
      };
      return {
        run: async () => void (await once()),
        outputs: async () => [await once()],
        dispose: () => {
          x.dispose();
          params.forEach(({ w, b }) => (w.dispose(), b.dispose()));
        },
      };
    },
  },
};
