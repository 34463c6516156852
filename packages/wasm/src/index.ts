/**
 * @pixgrad/wasm: the wasm device of pixgrad. Kernels are WebAssembly SIMD modules written by
 * TypeScript at run time (no toolchain, no .wasm file), over one memory shared by a pool of
 * workers, so a machine without a GPU computes on every core.
 *
 * @example
 * import { initWasm } from '@pixgrad/wasm';
 * await initWasm(); // registers the 'wasm' device and makes it the default
 */
export { initWasm, wasmBackend, chooseDevice, type WasmInitOptions, type DeviceChoice, type WebGPUModule } from './device.js';
export { WasmBackend, WasmBuf } from './backend.js';
export { WasmRuntime, WasmOutOfMemoryError, type RuntimeOptions } from './runtime.js';
