/**
 * The wasm device's matmul, conv2d (and gradients) and maxPool2d against the CPU reference
 * backend: the same fast-check properties and tolerances as the WebGPU kernels
 * (kernels/test/linalg-suite.ts), on 2 threads and on one.
 */
import { describe } from 'vitest';
import { linalgSuite } from '../../kernels/test/linalg-suite.js';
import { WasmBackend, WasmRuntime } from '../src/index.js';

const wasm = new WasmBackend(await WasmRuntime.create({ threads: 2 }));
// one thread: a memory that is not shared, whose growth detaches earlier views
const single = new WasmBackend(await WasmRuntime.create({ threads: 1 }));

describe('wasm matmul / conv / pool vs cpu (2 threads)', () => linalgSuite(wasm));
describe('wasm matmul / conv / pool vs cpu (1 thread)', () => linalgSuite(single));
