import * as tf from '@tensorflow/tfjs-core';
import type { Library } from '../types.js';

/**
 * TensorFlow.js on one backend. Every tfjs backend shares tfjs-core's engine, so `setup` switches
 * the engine to this backend; the harness calls it before building each case.
 */
function tfjs(backend: string, load: () => Promise<unknown>, pkg: string): Library {
  let pkgVersion = '';
  return {
    name: '@tensorflow/tfjs',
    backend,
    family: 'tfjs',
    async setup() {
      try {
        const mod = (await load()) as { version_cpu?: string; version_webgpu?: string; version_wasm?: string };
        pkgVersion = mod.version_cpu ?? mod.version_webgpu ?? mod.version_wasm ?? '';
        if (!(await tf.setBackend(backend))) return `tfjs could not initialise its ${backend} backend`;
        await tf.ready();
        return undefined;
      } catch (e) {
        return `${pkg} did not load: ${(e as Error).message}`;
      }
    },
    versions: () => ({ '@tensorflow/tfjs-core': tf.version_core, [pkg]: pkgVersion }),
  };
}

/** tfjs's pure-JavaScript cpu backend (no native bindings, no WebAssembly) */
export const tfjsCpu = tfjs('cpu', () => import('@tensorflow/tfjs-backend-cpu'), '@tensorflow/tfjs-backend-cpu');
