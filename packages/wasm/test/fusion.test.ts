/**
 * The fusion layer on the wasm device: random programs (elementwise ops, scalars, broadcasts,
 * views, reductions; packages/core/test/fusion-programs.ts) through the registered device (one
 * generated wasm kernel per realised expression) against the same programs through the bare
 * WasmBackend (one kernel per op). Both compute every op with the same f32x4 functions and round
 * every node to float32, and WebAssembly has no fast-math, so elementwise results are equal bit
 * for bit; reductions sum in float64 lanes in another order than the CPU kernel the bare backend
 * uses for a plain reduce, so they agree to float32 rounding (rtol 1e-6).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { type DataArray, getBackend, registerBackend, setDefaultDevice } from '@pixgrad/core';
import { initWasm } from '../src/index.js';
import { arbCase, build, readAll } from '../../core/test/fusion-programs.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 60);

function expectNear(got: DataArray[], want: DataArray[]): void {
  expect(got.length).toBe(want.length);
  got.forEach((g, k) => {
    const w = want[k]!;
    expect(g.length).toBe(w.length);
    for (let i = 0; i < g.length; i++) {
      const a = g[i]!,
        b = w[i]!;
      if (Number.isNaN(b)) expect(a, `tensor ${k} [${i}]`).toBeNaN();
      else if (!Number.isFinite(b)) expect(a, `tensor ${k} [${i}]`).toBe(b);
      else expect(Math.abs(a - b), `tensor ${k} [${i}]: ${a} vs ${b}`).toBeLessThanOrEqual(1e-30 + 1e-6 * Math.abs(b));
    }
  });
}

describe('fused wasm programs against one kernel per op', () => {
  afterAll(() => setDefaultDevice('cpu'));

  it('random elementwise/view/reduce programs, float32 (fast-check)', async () => {
    const raw = await initWasm();
    const fused = getBackend('wasm');
    try {
      await fc.assert(
        fc.asyncProperty(arbCase(['float32']), async (c) => {
          registerBackend(raw);
          const want = await readAll(build(c, 'wasm'));
          registerBackend(fused);
          const got = await readAll(build(c, 'wasm'));
          expectNear(got, want);
        }),
        { numRuns: RUNS },
      );
    } finally {
      registerBackend(fused);
    }
  });
});
