import { gradients, tidy, type Tensor } from '@pixgrad/core';
import { vggFromStateDict } from '@pixgrad/models';
import * as tf from '@tensorflow/tfjs';
import { toNchw, toNhwc, uniform01 } from '../data.js';
import type { PixgradLibrary } from '../libraries/pixgrad.js';
import type { Workload } from '../types.js';
import { pixgradCase, pixgradTensor, pixgradVgg16StateDict, tfjsCase, tfVgg16, tfVggFeatures } from './common.js';

/**
 * VGG16's feature stack (torchvision's `features`, 10 convs with bias + ReLU and 3 max pools) to
 * relu4_3 on a 1x3xSxS image (S = 224; 32 in quick mode), seeded random He-scaled weights, no
 * ImageNet normalisation. Forward: the relu4_3 features. Forward+backward: d(sum of relu4_3)/d(input)
 * with frozen weights, as a perceptual loss runs it.
 *
 * pixgrad: @pixgrad/models' Vgg (vggFromStateDict) and `gradients`. tfjs: the same layers in NHWC;
 * forward with tf.fused.conv2d (conv+bias+relu in one kernel), backward with conv2d + add + relu
 * and tf.grad (the fused op's gradient would also compute every filter gradient).
 */
const size = (quick: boolean) => (quick ? 32 : 224);
const TAP = 'relu4_3';

function vggWorkload(backward: boolean): Workload {
  return {
    id: backward ? 'vgg16-fwdbwd' : 'vgg16-fwd',
    name: (quick) => `vgg16 to ${TAP} on 1x3x${size(quick)}x${size(quick)} ${backward ? 'fwd+bwd to input' : 'fwd'}`,
    tolerance: 1e-3,
    skip: (lib, quick, slow) =>
      !quick && !slow && lib.family === 'tfjs' && lib.backend === 'cpu'
        ? "tfjs cpu's direct-loop convolutions need minutes for 14 GMAC; --slow runs it"
        : undefined,
    impls: {
      pixgrad: (lib, quick) => {
        const { device } = lib as PixgradLibrary;
        const S = size(quick);
        const sd = pixgradVgg16StateDict(device);
        const net = vggFromStateDict('vgg16', sd, { normalize: false, device });
        const x = pixgradTensor(uniform01(3 * S * S, 99), [1, 3, S, S], device, backward);
        const held: Tensor[] = [x, ...sd.values()];
        const c = pixgradCase(
          () => (backward ? [tidy(() => gradients(net.features(x, [TAP]).get(TAP)!.sum(), [x])[0]!)] : [net.features(x, [TAP]).get(TAP)!]),
          held,
        );
        return { ...c, dispose: () => (c.dispose(), net.dispose()) };
      },
      tfjs: (_lib, quick) => {
        const S = size(quick);
        const net = tfVgg16();
        const x = tf.tensor4d(toNhwc(uniform01(3 * S * S, 99), [1, 3, S, S]), [1, S, S, 3]);
        const feats = (a: tf.Tensor4D, fused: boolean) => tfVggFeatures(net, a, [TAP], fused).get(TAP)!;
        if (!backward) {
          return tfjsCase(
            () => [feats(x, true)],
            [x, ...net.held],
            ([f]) => [toNchw(f!, [1, S / 8, S / 8, 512])],
          );
        }
        const g = tf.grad((a: tf.Tensor) => feats(a as tf.Tensor4D, false).sum());
        return tfjsCase(
          () => [g(x)],
          [x, ...net.held],
          ([dx]) => [toNchw(dx!, [1, S, S, 3])],
        );
      },
    },
  };
}

export const vgg16FwdWorkload = vggWorkload(false);
export const vgg16FwdBwdWorkload = vggWorkload(true);
