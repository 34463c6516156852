import { readFileSync } from 'node:fs';
import { setDefaultDevice, type Device } from '@pixgrad/core';
import type { Library, PeakMemory } from '../types.js';
import { sharedGpu } from './gpu.js';

const version = (pkg: string): string =>
  (JSON.parse(readFileSync(new URL(`../../packages/${pkg}/package.json`, import.meta.url), 'utf8')) as { version: string }).version;
const dawnVersion = (): string =>
  (JSON.parse(readFileSync(new URL('../../node_modules/webgpu/package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** pixgrad on one of its devices; the workloads put their tensors on `device`. */
export interface PixgradLibrary extends Library {
  readonly family: 'pixgrad';
  readonly device: Device;
}

export const pixgradCpu: PixgradLibrary = {
  name: 'pixgrad',
  backend: 'cpu',
  family: 'pixgrad',
  device: 'cpu',
  setup: async () => {
    // models/losses create their constants on the default device
    setDefaultDevice('cpu');
    return undefined;
  },
  versions: () => ({ '@pixgrad/core': version('core') }),
};

/** the GpuContext fields the peak-memory probe reads (liveBytes is public; the pool is not) */
interface CtxProbe {
  liveBytes: number;
  alloc(bytes: number, forQueueWrite?: boolean): unknown;
  pool?: { pooledBytes: number };
}

let adapterName = '';

export const pixgradWebgpu: PixgradLibrary = {
  name: 'pixgrad',
  backend: 'webgpu',
  family: 'pixgrad',
  device: 'webgpu',
  async setup() {
    const gpu = await sharedGpu();
    if (typeof gpu === 'string') return gpu;
    try {
      const k = await import('@pixgrad/kernels');
      await k.init('webgpu');
      adapterName = k.adapterInfo()?.name ?? '';
      return undefined;
    } catch (e) {
      return `init('webgpu') failed: ${(e as Error).message.split('\n')[0]}`;
    }
  },
  async peakMemory(run) {
    const { webgpuBackend } = await import('@pixgrad/kernels');
    const ctx = webgpuBackend().ctx as unknown as CtxProbe;
    await webgpuBackend().sync();
    const base = ctx.liveBytes;
    let peak = base;
    const alloc = ctx.alloc;
    // sample after every allocation: live bytes only grow there
    ctx.alloc = function (this: CtxProbe, bytes: number, forQueueWrite?: boolean) {
      const buf = alloc.call(this, bytes, forQueueWrite);
      if (this.liveBytes > peak) peak = this.liveBytes;
      return buf;
    };
    try {
      await run();
    } finally {
      delete (ctx as Partial<CtxProbe>).alloc; // back to the prototype's method
    }
    const p: PeakMemory = {
      peakBytes: peak,
      baseBytes: base,
      source:
        "pixgrad: the WebGPU backend's live buffer bytes (memory().devices[].backend.bytes), highest value after any allocation, inputs and weights included",
    };
    if (ctx.pool) p.allocatedBytes = ctx.liveBytes + ctx.pool.pooledBytes;
    return p;
  },
  notes: () => [`pixgrad webgpu adapter: ${adapterName}`],
  versions: () => ({ '@pixgrad/core': version('core'), '@pixgrad/kernels': version('kernels'), webgpu: dawnVersion() }),
};

let wasmThreads = 0;

/** pixgrad's wasm device, on PIXGRAD_BENCH_WASM_THREADS threads (default 2, as tfjs wasm and jax-js here) */
export const pixgradWasm: PixgradLibrary = {
  name: 'pixgrad',
  backend: 'wasm',
  family: 'pixgrad',
  device: 'wasm',
  async setup() {
    try {
      const { initWasm } = await import('@pixgrad/wasm');
      const be = await initWasm({ threads: Number(process.env['PIXGRAD_BENCH_WASM_THREADS'] ?? 2) });
      wasmThreads = be.rt.threads;
      setDefaultDevice('wasm');
      return undefined;
    } catch (e) {
      return `initWasm failed: ${(e as Error).message.split('\n')[0]}`;
    }
  },
  async peakMemory(run) {
    const { wasmBackend } = await import('@pixgrad/wasm');
    const be = wasmBackend();
    const base = be.memory().bytes;
    let peak = base;
    const alloc = be.alloc.bind(be);
    be.alloc = (n, dtype) => {
      const b = alloc(n, dtype);
      peak = Math.max(peak, be.memory().bytes);
      return b;
    };
    try {
      await run();
    } finally {
      delete (be as Partial<typeof be>).alloc; // back to the prototype's method
    }
    return {
      peakBytes: peak,
      baseBytes: base,
      allocatedBytes: be.rt.heapBytes(),
      source: "pixgrad: the wasm device's live buffer bytes, highest value after any allocation, inputs and weights included; allocated: the heap",
    };
  },
  notes: () => [`pixgrad wasm: ${wasmThreads} threads`],
  versions: () => ({ '@pixgrad/core': version('core'), '@pixgrad/wasm': version('wasm') }),
};
