/**
 * Every primitive on the wasm device against the CPU device, through the engine (so through the
 * fusion layer and the generated wasm kernels), with the WebGPU device's table of cases and
 * tolerances (kernels/test/primitives-suite.ts): a new primitive without its row does not compile.
 */
import { afterAll, describe } from 'vitest';
import { setDefaultDevice } from '@pixgrad/core';
import { primitiveSuite } from '../../kernels/test/primitives-suite.js';
import { initWasm } from '../src/index.js';

await initWasm({ threads: 2, makeDefault: false });

describe('every primitive: wasm device vs cpu device', () => {
  afterAll(() => setDefaultDevice('cpu'));
  primitiveSuite('wasm');
});
