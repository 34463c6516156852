/**
 * Every primitive on the WebGPU device against the CPU device (the table: primitives-suite.ts), through the engine (so through the
 * fusion layer, as users run them), on shapes and values fast-check generates. `DEVICE_CASES` is a
 * `Record<PrimName, ...>`: a new primitive without its row does not compile. The kernel suites
 * beside this file test each family at the Backend level in more depth (special values, int32,
 * every geometry); this table guarantees that none is left out.
 *
 * Tolerances (|gpu - cpu| <= atol + rtol |cpu|): unary ops as elementwise.test.ts; div, pow,
 * atan2 as there; sums, products, matmul and convolutions atol 1e-5, rtol 1e-4 (another summation
 * order); everything else exact.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { IndexError, type Tensor, gather, scatterAdd, tensor, tidy } from '@pixgrad/core';
import { init } from '../src/index.js';
import { openGpu } from './harness.js';
import { primitiveSuite } from './primitives-suite.js';

const gpu = await openGpu();

describe.skipIf(!gpu)('every primitive: webgpu device vs cpu device', () => {
  afterAll(() => init('cpu'));
  primitiveSuite('webgpu');
});

describe.skipIf(!gpu)('out-of-range indices: the same IndexError on both devices', () => {
  afterAll(() => init('cpu'));
  const cases: [string, (device: 'cpu' | 'webgpu') => Tensor][] = [
    ['gather', (device) => tidy(() => gather(tensor([1, 2, 3], { device }), 0, tensor([0, 7], { dtype: 'int32', device })))],
    [
      'gather',
      (device) =>
        tidy(() =>
          gather(
            tensor(
              [
                [1, 2],
                [3, 4],
              ],
              { device },
            ),
            1,
            tensor([[0], [-1]], { dtype: 'int32', device }),
          ),
        ),
    ],
    ['scatterAdd', (device) => tidy(() => scatterAdd(tensor([0, 0, 0], { device }), 0, tensor([3], { dtype: 'int32', device }), tensor([5], { device })))],
  ];
  it.each(cases)('%s', async (op, run) => {
    let cpuError: unknown;
    try {
      run('cpu').dispose();
    } catch (e) {
      cpuError = e;
    }
    expect(cpuError).toBeInstanceOf(IndexError);
    const y = run('webgpu'); // WGSL cannot throw: the kernel clamps and raises a flag
    await expect(y.data()).rejects.toThrow(IndexError);
    y.dispose();
    // the same words as the CPU's message, naming the op, the index and the dimension
    const words = (cpuError as Error).message.match(/^(\w+): index (-?\d+) is out of range for dimension (\d+) of size (\d+)/)!;
    expect(words[1]).toBe(op);
    const again = run('webgpu');
    await expect(again.data()).rejects.toThrow(
      new RegExp(`^${op}: index ${words[2]} is out of range for dimension ${words[3]} of size ${words[4]} \\(1 out-of-range index;`),
    );
    again.dispose();
    // the flag was reset: a good gather reads normally afterwards
    const ok = tidy(() => gather(tensor([1, 2, 3], { device: 'webgpu' }), 0, tensor([2, 0], { dtype: 'int32', device: 'webgpu' })));
    expect(Array.from(await ok.data())).toEqual([3, 1]);
    ok.dispose();
  });
});
