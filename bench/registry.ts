import { pixgradCpu, pixgradWasm, pixgradWebgpu } from './libraries/pixgrad.js';
import { tfjsCpu, tfjsWasm, tfjsWebgpu } from './libraries/tfjs.js';
import { jaxWasm } from './libraries/jax.js';
import type { Library, Workload } from './types.js';
import { conv2dFwdBwdWorkload, conv2dFwdWorkload } from './workloads/conv2d.js';
import { inceptionWorkload } from './workloads/inception.js';
import { matmulWorkload } from './workloads/matmul.js';
import { lpipsWorkload, perceptualWorkload } from './workloads/perceptual.js';
import { ssimFwdBwdWorkload, ssimFwdWorkload } from './workloads/ssim.js';
import { vgg16FwdBwdWorkload, vgg16FwdWorkload } from './workloads/vgg16.js';

/**
 * Everything the benchmark runs. To add a workload, write workloads/<name>.ts implementing each
 * family it supports and list it here; to add a backend, add a Library in libraries/ and list it
 * here: every workload that implements its family runs on it.
 */
export const workloads: readonly Workload[] = [
  matmulWorkload,
  conv2dFwdWorkload,
  conv2dFwdBwdWorkload,
  vgg16FwdWorkload,
  vgg16FwdBwdWorkload,
  ssimFwdWorkload,
  ssimFwdBwdWorkload,
  perceptualWorkload,
  lpipsWorkload,
  inceptionWorkload,
];

/** in this order; the first one that runs a workload is the reference its outputs are checked against */
export const libraries: readonly Library[] = [pixgradCpu, pixgradWebgpu, pixgradWasm, tfjsCpu, tfjsWasm, tfjsWebgpu, jaxWasm];

/** the family whose rows get ratios against the others (the peers) */
export const subject = 'pixgrad';
