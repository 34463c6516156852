import { BackendError, LazyBackend, registerBackend, setDefaultDevice, wasm } from '@pixgrad/core';
import { WasmBackend } from './backend.js';
import { WasmRuntime } from './runtime.js';

export interface WasmInitOptions {
  /** threads (the main thread included); default the machine's logical cores, 1 where memory cannot be shared */
  threads?: number;
  /** make 'wasm' the default device (default true) */
  makeDefault?: boolean;
}

let current: { backend: WasmBackend; engine: LazyBackend<unknown> } | undefined;

/**
 * Starts the wasm device (its memory and workers) and registers it with @pixgrad/core as 'wasm'.
 * A second call returns the running device (its options are those of the first call).
 * Throws a BackendError where the engine has no WebAssembly SIMD.
 */
export async function initWasm(opts: WasmInitOptions = {}): Promise<WasmBackend> {
  if (!current) {
    if (!wasm.hasWasmSimd()) {
      throw new BackendError('the wasm device needs WebAssembly with SIMD (Node 16.4+, Chrome 91+, Firefox 89+, Safari 16.4+); use the cpu device');
    }
    const backend = new WasmBackend(await WasmRuntime.create(opts.threads === undefined ? {} : { threads: opts.threads }));
    current = { backend, engine: new LazyBackend(backend) as LazyBackend<unknown> };
  }
  registerBackend(current.engine);
  if (opts.makeDefault ?? true) setDefaultDevice('wasm');
  return current.backend;
}

/** The running wasm backend (after initWasm). */
export function wasmBackend(): WasmBackend {
  if (!current) throw new BackendError("the wasm device is not started: call `await initWasm()` from '@pixgrad/wasm' first");
  return current.backend;
}

/** What chooseDevice needs of @pixgrad/kernels (passed in, so that this package never imports it). */
export interface WebGPUModule {
  init(kind?: 'cpu' | 'webgpu'): Promise<'cpu' | 'webgpu'>;
  probeWebGPU(): Promise<boolean>;
  adapterInfo(): { name: string; software: boolean } | undefined;
}

export interface DeviceChoice {
  device: 'webgpu' | 'wasm' | 'cpu';
  /** one line saying why, for a log or a CLI notice */
  reason: string;
}

/**
 * Picks and starts the fastest device here: WebGPU on a hardware adapter, else the wasm device,
 * else the CPU backend, and says which and why. A software WebGPU adapter (lavapipe, SwiftShader)
 * runs on the same cores as the wasm device and measured slower on every workload in bench/
 * (bench/README.md), so it is not chosen. Pass `webgpu: () => import('@pixgrad/kernels')` to
 * consider WebGPU (this package does not depend on it).
 *
 * @example
 * const { device, reason } = await chooseDevice({ webgpu: () => import('@pixgrad/kernels') });
 */
export async function chooseDevice(opts: { webgpu?: () => Promise<WebGPUModule>; threads?: number } = {}): Promise<DeviceChoice> {
  let why = 'no WebGPU backend installed';
  if (opts.webgpu) {
    try {
      const k = await opts.webgpu();
      if (await k.probeWebGPU()) {
        await k.init('webgpu');
        const info = k.adapterInfo();
        if (info && !info.software) return { device: 'webgpu', reason: `WebGPU on ${info.name}` };
        why = `the WebGPU adapter is a software one (${info?.name ?? 'unknown'}), slower than wasm here`;
        await k.init('cpu');
      } else why = 'no WebGPU adapter';
    } catch (e) {
      why = `WebGPU unavailable (${(e as Error).message.split('\n')[0]})`;
    }
  }
  try {
    const be = await initWasm(opts.threads === undefined ? {} : { threads: opts.threads });
    return { device: 'wasm', reason: `wasm SIMD on ${be.rt.threads} thread${be.rt.threads === 1 ? '' : 's'}: ${why}` };
  } catch (e) {
    setDefaultDevice('cpu');
    return { device: 'cpu', reason: `the CPU backend: ${why}, and ${(e as Error).message}` };
  }
}
