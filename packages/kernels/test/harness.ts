/**
 * Shared set-up for the WebGPU kernel suites: open the adapter (or decide to skip / fail), and
 * compare a WebGPU kernel with the CPU reference backend at the Backend level.
 *
 * Adapter policy: when no WebGPU adapter can be opened the suites FAIL if `process.env.CI` is set
 * (CI must run them on lavapipe), and otherwise skip with a one-line reason.
 */
import { type Backend, CpuBackend, Generator, type DataArray, type DType, type UnaryOp, type View } from '@pixgrad/core';
import { expect } from 'vitest';
import { init, webgpuBackend, type WebGPUBackend, type GpuBuf } from '../src/index.js';

/** The WebGPU backend, or undefined (after printing why) when the suites should skip. */
export async function openGpu(): Promise<WebGPUBackend | undefined> {
  let ok = false;
  let why = '';
  try {
    ok = (await init('webgpu')) === 'webgpu';
  } catch (e) {
    // first sentence only: the full message explains how to install an adapter
    why = (e as Error).message.split(/\.\s|\n/)[0] ?? '';
  }
  if (ok) return webgpuBackend();
  if (process.env['CI']) {
    throw new Error(`WebGPU kernel suites need an adapter in CI and none was found: ${why}. Run scripts/setup-webgpu.sh (as root) first.`);
  }
  console.warn(`skipping WebGPU kernel tests: no adapter (${why}); run scripts/setup-webgpu.sh to install lavapipe`);
  return undefined;
}

export const cpu = new CpuBackend();

/** Deterministic data from a seed (fast-check picks seeds and shapes; values come from here). */
export function rng(seed: number): () => number {
  const g = new Generator(seed);
  return () => g.uniform();
}

/** Values for a dtype: floats in [lo, hi) with optional special values mixed in. */
export function data(dtype: DType, n: number, seed: number, opts: { lo?: number; hi?: number; specials?: readonly number[] } = {}): DataArray {
  const r = rng(seed);
  const lo = opts.lo ?? -3;
  const hi = opts.hi ?? 3;
  if (dtype === 'bool') return Uint8Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0));
  if (dtype === 'int32') return Int32Array.from({ length: n }, () => Math.floor(lo + r() * (hi - lo)));
  const sp = opts.specials ?? [];
  return Float32Array.from({ length: n }, () => (sp.length && r() < 0.1 ? sp[Math.floor(r() * sp.length)]! : lo + r() * (hi - lo)));
}

export interface Pair<B = GpuBuf> {
  gpu: View<B>;
  cpu: View<DataArray>;
}

/** The same data uploaded to both backends (`gpu`: the device under test, WebGPU or wasm). */
export function both<B>(gpu: Backend<B>, values: DataArray, shape: readonly number[], dtype: DType): Pair<B> {
  return {
    gpu: { buf: gpu.upload(values, dtype), shape, dtype },
    cpu: { buf: cpu.upload(values, dtype), shape, dtype },
  };
}

/** Tolerance: |gpu - cpu| <= atol + rtol * |cpu|; NaN must match NaN, infinities must match exactly. */
export interface Tol {
  atol: number;
  rtol: number;
}

/** Compares a GPU result with the CPU reference, throwing with the first mismatches. */
export function expectClose(what: string, got: DataArray, want: DataArray, tol: Tol): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  const bad: string[] = [];
  for (let i = 0; i < want.length && bad.length < 5; i++) {
    const g = Number(got[i]);
    const w = Number(want[i]);
    if (Number.isNaN(w) ? Number.isNaN(g) : !Number.isFinite(w) ? g === w : Math.abs(g - w) <= tol.atol + tol.rtol * Math.abs(w)) continue;
    bad.push(`[${i}] gpu ${g} cpu ${w}`);
  }
  if (bad.length) throw new Error(`${what}: mismatch beyond atol ${tol.atol} rtol ${tol.rtol}: ${bad.join('; ')}`);
}

/** Reads a device result and the CPU result and compares them; disposes the device buffers listed in `free`. */
export async function check<B>(what: string, gpu: Backend<B>, g: View<B>, c: View<DataArray>, tol: Tol, free: B[] = []): Promise<void> {
  const got = await gpu.read(g);
  const want = await cpu.read(c);
  for (const b of free) gpu.dispose(b);
  gpu.dispose(g.buf);
  expectClose(what, got, want, tol);
}

export const EXACT: Tol = { atol: 0, rtol: 0 };

/** Each unary op's tolerance, float32 on the GPU against the CPU (the reasons: elementwise.test.ts's header). */
export const UNARY_TOL: Record<UnaryOp, Tol> = {
  neg: EXACT,
  abs: EXACT,
  sign: EXACT,
  relu: EXACT,
  leakyRelu: { atol: 0, rtol: 1e-6 },
  floor: EXACT,
  ceil: EXACT,
  round: EXACT,
  clamp: EXACT,
  reciprocal: { atol: 1e-6, rtol: 1e-6 },
  sqrt: { atol: 1e-6, rtol: 1e-6 },
  rsqrt: { atol: 1e-6, rtol: 1e-6 },
  exp: { atol: 1e-6, rtol: 2e-5 },
  log: { atol: 1e-6, rtol: 2e-5 },
  log1p: { atol: 1e-6, rtol: 2e-5 },
  expm1: { atol: 1e-6, rtol: 2e-5 },
  tanh: { atol: 1e-6, rtol: 2e-5 },
  sigmoid: { atol: 1e-6, rtol: 2e-5 },
  softplus: { atol: 1e-6, rtol: 2e-5 },
  sin: { atol: 2e-6, rtol: 0 },
  cos: { atol: 2e-6, rtol: 0 },
};
