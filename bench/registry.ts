import { pixgradCpu } from './libraries/pixgrad.js';
import { tfjsCpu } from './libraries/tfjs.js';
import type { Library, Workload } from './types.js';
import { conv2dWorkload } from './workloads/conv2d.js';
import { matmulWorkload } from './workloads/matmul.js';
import { vgg16Workload } from './workloads/vgg16.js';

/**
 * Everything the benchmark runs. To add a workload, write workloads/<name>.ts implementing each
 * family it supports and list it here; to add a backend (pixgrad webgpu, tfjs wasm or webgpu),
 * add a Library in libraries/ and list it here: every workload that implements its family runs on it.
 */
export const workloads: readonly Workload[] = [matmulWorkload, conv2dWorkload, vgg16Workload];

export const libraries: readonly Library[] = [pixgradCpu, tfjsCpu];

/** the row each other row is compared with (the ratio column) */
export const baseline = { library: '@tensorflow/tfjs', backend: 'cpu' } as const;
