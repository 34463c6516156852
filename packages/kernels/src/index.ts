/// <reference types="@webgpu/types" preserve="true" />
/**
 * @pixgrad/kernels: the WebGPU backend of pixgrad. Every primitive of @pixgrad/core runs as a WGSL
 * compute shader from `shaders/` (Dawn's `webgpu` package in Node, `navigator.gpu` in browsers).
 *
 * @example
 * import { init, adapterInfo } from '@pixgrad/kernels';
 * await init('webgpu');
 * console.log(adapterInfo()?.name);
 */
export { init, adapterInfo, probeWebGPU, webgpuBackend, type AdapterInfo } from './device.js';
export { WebGPUBackend, GpuBuf } from './backend.js';
export { GpuContext, GpuOutOfMemoryError, DeviceLostError, ShaderError } from './context.js';
export type { KernelDescriptor, DispatchSpec, UniformType, StorageBinding } from './descriptor.js';
