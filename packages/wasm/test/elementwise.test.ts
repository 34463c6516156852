/**
 * The wasm device's elementwise kernels (each op as a one-node program of the generated f32x4
 * kernels, math.ts's exp, log, sin, ...) against the CPU reference backend, with the WebGPU
 * kernels' properties and tolerances (kernels/test/elementwise-suite.ts): special values, wide
 * ranges, broadcasting.
 */
import { describe } from 'vitest';
import { elementwiseSuite } from '../../kernels/test/elementwise-suite.js';
import { WasmBackend, WasmRuntime } from '../src/index.js';

const wasm = new WasmBackend(await WasmRuntime.create({ threads: 2 }));
// one thread: a memory that is not shared, whose growth detaches earlier views
const single = new WasmBackend(await WasmRuntime.create({ threads: 1 }));

describe('wasm elementwise vs cpu (2 threads)', () => elementwiseSuite(wasm));
describe('wasm elementwise vs cpu (1 thread)', () => elementwiseSuite(single));
