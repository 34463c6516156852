import { matmul, tensor, type Tensor } from '@pixgrad/core';
import * as tf from '@tensorflow/tfjs-core';
import { uniform } from '../data.js';
import type { PixgradLibrary } from '../libraries/pixgrad.js';
import type { Workload } from '../types.js';

/**
 * matmul n x n x n, forward only: C = A . B on float32 [n, n] matrices (n = 512; the same in quick
 * mode, it takes well under a second). One repetition includes reading C back.
 */
const N = 512;

export const matmulWorkload: Workload = {
  id: 'matmul',
  name: () => `matmul ${N}x${N}x${N} fwd`,
  impls: {
    pixgrad: (lib) => {
      const { device } = lib as PixgradLibrary;
      const a = tensor(uniform(N * N, 1), { shape: [N, N], dtype: 'float32', device });
      const b = tensor(uniform(N * N, 2), { shape: [N, N], dtype: 'float32', device });
      const once = async (): Promise<Float32Array> => {
        const c: Tensor = matmul(a, b);
        try {
          return (await c.data()) as Float32Array;
        } finally {
          c.dispose();
        }
      };
      return {
        run: async () => void (await once()),
        outputs: async () => [await once()],
        dispose: () => [a, b].forEach((t) => t.dispose()),
      };
    },
    tfjs: () => {
      const a = tf.tensor2d(uniform(N * N, 1), [N, N]);
      const b = tf.tensor2d(uniform(N * N, 2), [N, N]);
      const once = async (): Promise<Float32Array> => {
        const c = tf.matMul(a, b);
        try {
          return (await c.data()) as Float32Array;
        } finally {
          c.dispose();
        }
      };
      return {
        run: async () => void (await once()),
        outputs: async () => [await once()],
        dispose: () => tf.dispose([a, b]),
      };
    },
  },
};
