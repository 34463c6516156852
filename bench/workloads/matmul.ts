import { matmul } from '@pixgrad/core';
import * as tf from '@tensorflow/tfjs';
import { uniform } from '../data.js';
import type { PixgradLibrary } from '../libraries/pixgrad.js';
import type { Workload } from '../types.js';
import { pixgradCase, pixgradTensor, tfjsCase } from './common.js';

/**
 * matmul n x n x n, forward only: C = A . B on float32 [n, n] matrices (n = 1024; 256 in quick
 * mode). One repetition includes reading C back. 2 n^3 flops.
 */
const size = (quick: boolean) => (quick ? 256 : 1024);

export const matmulWorkload: Workload = {
  id: 'matmul',
  name: (quick) => `matmul ${size(quick)}x${size(quick)}x${size(quick)} fwd`,
  flops: (quick) => 2 * size(quick) ** 3,
  impls: {
    pixgrad: (lib, quick) => {
      const { device } = lib as PixgradLibrary;
      const N = size(quick);
      const a = pixgradTensor(uniform(N * N, 1), [N, N], device);
      const b = pixgradTensor(uniform(N * N, 2), [N, N], device);
      return pixgradCase(() => [matmul(a, b)], [a, b]);
    },
    tfjs: (_lib, quick) => {
      const N = size(quick);
      const a = tf.tensor2d(uniform(N * N, 1), [N, N]);
      const b = tf.tensor2d(uniform(N * N, 2), [N, N]);
      return tfjsCase(() => [tf.matMul(a, b)], [a, b]);
    },
  },
};
