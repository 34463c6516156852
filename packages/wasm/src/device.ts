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
