/**
 * The WebGPU elementwise shaders against the CPU reference backend: the properties and their
 * tolerances are in elementwise-suite.ts, shared with the wasm device.
 */
import { describe } from 'vitest';
import { openGpu } from './harness.js';
import { elementwiseSuite } from './elementwise-suite.js';

const gpu = await openGpu();

describe.skipIf(!gpu)('webgpu elementwise vs cpu', () => elementwiseSuite(gpu!));
