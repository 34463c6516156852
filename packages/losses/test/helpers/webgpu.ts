/**
 * The WebGPU-vs-CPU harness the losses' WebGPU suites share: the adapter probe, deterministic
 * inputs, collecting a value and its gradients from one device, the tolerance check, and the
 * suite wrapper that skips with a one-line reason without an adapter (fails when CI is set).
 * Tolerance: |gpu - cpu| <= 1e-4 * max|cpu| + 1e-6 over each output / gradient tensor.
 */
import { describe, expect, it } from 'vitest';
import { type Device, type Tensor, gradients, tidy } from '@pixgrad/core';
import { init } from '@pixgrad/kernels';

let gpu = false;
let why = '';
try {
  gpu = (await init('webgpu')) === 'webgpu';
} catch (e) {
  why = (e as Error).message.split(/\.\s|\n/)[0] ?? '';
}

/** Deterministic float32 data in [lo, hi) (xorshift32). */
export function data(n: number, seed: number, lo = 0, hi = 1): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return lo + (s / 4294967296) * (hi - lo);
  });
}

/** [out's values, then each of d sum(out) / d wrt] as arrays, after checking out is on `device`; frees out and the gradients. */
export async function valueAndGradients(device: Device, out: Tensor, wrt: Tensor[]): Promise<number[][]> {
  expect(out.device).toBe(device);
  const gs = gradients(
    tidy(() => out.sum()),
    wrt,
  );
  const res = [Array.from(await out.data()), ...(await Promise.all(gs.map(async (g) => Array.from(await g.data()))))];
  for (const t of [out, ...gs]) t.dispose();
  return res;
}

/** Every element of got within 1e-4 * max|want| + 1e-6 of want (and want not all zero when `nonVacuous`); names the worst element. */
export function close(name: string, got: number[], want: number[], nonVacuous = false): void {
  expect(got.length, name).toBe(want.length);
  const scale = Math.max(...want.map(Math.abs), 0);
  if (nonVacuous) expect(scale, `${name}: not vacuous`).toBeGreaterThan(0);
  const tol = 1e-4 * scale + 1e-6;
  let worst = 0;
  let at = -1;
  got.forEach((g, i) => {
    const e = Math.abs(g - want[i]!);
    if (!(e <= worst)) {
      worst = e;
      at = i;
    }
  });
  expect(worst <= tol, `${name}: element ${at}: webgpu ${got[at]} vs cpu ${want[at]} (error ${worst}, tolerance ${tol})`).toBe(true);
}

/**
 * A describe block that runs only with a WebGPU adapter (or when CI is set, where a missing
 * adapter fails its first test); otherwise warns once that `what` is skipped and why.
 */
export function describeWebgpu(title: string, what: string, body: () => void): void {
  if (!gpu && !process.env['CI']) console.warn(`skipping the ${what}: no WebGPU adapter (${why}); run scripts/setup-webgpu.sh`);
  describe.skipIf(!gpu && !process.env['CI'])(title, () => {
    it('has an adapter', () => {
      expect(gpu, `no WebGPU adapter in CI: ${why}`).toBe(true);
    });
    body();
  });
}
