/**
 * The WebGPU kernels (shaders/matmul.wgsl, conv2d*.wgsl, maxpool.wgsl) against the CPU reference
 * backend: the properties and tolerances are in linalg-suite.ts, shared with the wasm device.
 */
import { describe } from 'vitest';
import { openGpu } from './harness.js';
import { linalgSuite } from './linalg-suite.js';

const gpu = await openGpu();

describe.skipIf(!gpu)('webgpu matmul / conv / pool vs cpu', () => linalgSuite(gpu!));
