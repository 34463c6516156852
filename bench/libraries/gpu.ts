/// <reference types="@webgpu/types" />
/**
 * One Dawn GPU object for the whole process, shared by pixgrad's WebGPU backend and tfjs-webgpu so
 * both run on the same adapter. It is installed as `navigator.gpu` (pixgrad's `init` and tfjs both
 * look there first) and kept reachable here for the life of the process: when Dawn's GPU object is
 * garbage-collected it tears the instance down under live devices (a segfault, not an error).
 */
let gpu: GPU | undefined;
let failure: string | undefined;

export async function sharedGpu(): Promise<GPU | string> {
  if (gpu) return gpu;
  if (failure) return failure;
  try {
    const mod = (await import('webgpu')) as unknown as { create(flags: string[]): GPU; globals: Record<string, unknown> };
    // GPUBufferUsage, GPUShaderStage, GPUMapMode, ...: tfjs-webgpu reads them as globals
    for (const [k, v] of Object.entries(mod.globals)) if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
    gpu = mod.create([]);
    const nav = ((globalThis as { navigator?: object }).navigator ??= {}) as { gpu?: GPU };
    Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true, enumerable: true });
    return gpu;
  } catch (e) {
    failure = `the 'webgpu' package (Dawn) did not load: ${(e as Error).message}`;
    return failure;
  }
}
