/**
 * The wasm device's matmul, conv2d (and gradients) and maxPool2d against the CPU reference
 * backend: the same fast-check properties and tolerances as the WebGPU kernels
 * (kernels/test/linalg-suite.ts), on 2 threads.
 */
import { describe } from 'vitest';
import { linalgSuite } from '../../kernels/test/linalg-suite.js';
import { WasmBackend, WasmRuntime } from '../src/index.js';

const wasm = new WasmBackend(await WasmRuntime.create({ threads: 2 }));

describe('wasm matmul / conv / pool vs cpu', () => linalgSuite(wasm));
