/// <reference types="@webgpu/types" preserve="true" />
import { BackendError, LazyBackend, registerBackend, setDefaultDevice } from '@pixgrad/core';
import { GpuContext } from './context.js';
import { type GpuBuf, WebGPUBackend } from './backend.js';

/** What `adapterInfo()` reports about the adapter the WebGPU backend runs on. */
export interface AdapterInfo {
  /** human-readable adapter name (e.g. "llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)" or a GPU model) */
  name: string;
  vendor: string;
  architecture: string;
  description: string;
  /** what the adapter reports as its fallback flag (Dawn does not set it for lavapipe) */
  isFallbackAdapter: boolean;
  /** a CPU implementation of WebGPU (lavapipe/llvmpipe, SwiftShader, WARP): the flag, or a name that says so */
  software: boolean;
  /** the device's limits (maxStorageBufferBindingSize, maxComputeWorkgroupSizeX, ...) */
  limits: Record<string, number>;
}

interface Current {
  backend: WebGPUBackend;
  /** what the engine registers: the kernels behind the fusion layer (made at the first init) */
  engine?: LazyBackend<GpuBuf>;
  adapter: GPUAdapter;
  info: AdapterInfo;
}

let current: Current | undefined;
/**
 * The GPU object from Dawn's `create()`. It must stay reachable for as long as any device made
 * from it is used: when it is garbage-collected Dawn tears the instance down under live devices
 * (a segfault, not an error).
 */
let gpuRoot: GPU | undefined;
let pending: Promise<Current | undefined> | undefined;

const HOW_TO_GET_AN_ADAPTER =
  'Install a GPU driver with Vulkan support (Metal on macOS, D3D12 on Windows), or, on a Linux machine without a GPU, ' +
  "Mesa's lavapipe (software Vulkan, version 23.1 or newer): on Debian bookworm add bookworm-backports to apt's sources and run " +
  '`apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1`. In a browser, use one with WebGPU ' +
  '(Chrome/Edge 113+, or Chromium started with --enable-unsafe-webgpu); `init()` without an argument falls back to the CPU backend.';

/** What a Node user without Dawn must do. */
export const INSTALL_WEBGPU = "WebGPU in Node needs the 'webgpu' package (Dawn), an optional peer dependency of @pixgrad/kernels: run `npm install webgpu`";

const isNode = (): boolean => typeof process !== 'undefined' && !!process.versions?.node;

/** The GPU entry point: `navigator.gpu` in browsers, Dawn (the `webgpu` package) in Node. */
async function getGpu(): Promise<GPU | undefined> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return nav.gpu;
  if (!isNode()) return undefined;
  // A variable specifier keeps bundlers from pulling the Node-only addon into browser builds.
  const spec = 'webgpu';
  try {
    const mod = (await import(/* @vite-ignore */ spec)) as { create(flags: string[]): GPU };
    return mod.create([]);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') throw new BackendError(`${INSTALL_WEBGPU}.`);
    throw new BackendError(`could not load the 'webgpu' package (Dawn for Node): ${(e as Error).message}. ${HOW_TO_GET_AN_ADAPTER}`);
  }
}

function limitsOf(l: GPUSupportedLimits): Record<string, number> {
  const out: Record<string, number> = {};
  // GPUSupportedLimits exposes its fields as prototype getters
  for (let p: object | null = l; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const k of Object.getOwnPropertyNames(p)) {
      const v = (l as unknown as Record<string, unknown>)[k];
      if (typeof v === 'number') out[k] = v;
    }
  }
  return out;
}

async function openDevice(): Promise<Current | undefined> {
  const gpu = (gpuRoot ??= await getGpu());
  if (!gpu) return undefined;
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return undefined;
  const al = adapter.limits;
  // Ask for the adapter's full buffer limits: the defaults (128 MiB bindings, 256 MiB buffers)
  // are far below what most adapters allow.
  // 8-wide subgroups (llvmpipe's SIMD width) enable the subgroup matmul (shaders/matmul_sg.wgsl);
  // other adapters keep the register-tile kernels. PIXGRAD_NO_SUBGROUPS=1 turns it off.
  const ai0 = adapter.info;
  const noSg = typeof process !== 'undefined' && !!process.env?.['PIXGRAD_NO_SUBGROUPS'];
  const sg8 = !noSg && adapter.features.has('subgroups') && ai0.subgroupMinSize === 8 && ai0.subgroupMaxSize === 8;
  const device = await adapter.requestDevice({
    requiredFeatures: sg8 ? ['subgroups' as GPUFeatureName] : [],
    requiredLimits: {
      maxStorageBufferBindingSize: al.maxStorageBufferBindingSize,
      maxBufferSize: al.maxBufferSize,
      maxStorageBuffersPerShaderStage: Math.min(al.maxStorageBuffersPerShaderStage, 10),
      maxComputeWorkgroupStorageSize: al.maxComputeWorkgroupStorageSize,
    },
    label: 'pixgrad',
  });
  const ai = adapter.info;
  const info: AdapterInfo = {
    name: ai.description || ai.device || ai.vendor || 'unknown adapter',
    vendor: ai.vendor,
    architecture: ai.architecture,
    description: ai.description,
    isFallbackAdapter: (ai as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false,
    software:
      ((ai as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false) ||
      /llvmpipe|lavapipe|swiftshader|software|microsoft basic render|\bwarp\b/i.test(`${ai.vendor} ${ai.architecture} ${ai.device} ${ai.description}`),
    limits: limitsOf(device.limits),
  };
  return { backend: new WebGPUBackend(new GpuContext(device, { subgroupSize: sg8 ? 8 : 0 })), adapter, info };
}

/** The WebGPU backend, opening a device on first use (or after the previous one was lost). */
async function webgpu(): Promise<Current | undefined> {
  if (current && current.backend.ctx.lostInfo === undefined) return current;
  current = undefined;
  pending ??= openDevice().finally(() => (pending = undefined));
  current = await pending;
  return current;
}

/**
 * Picks the device new tensors go to and registers its backend with @pixgrad/core.
 *
 * - `init()`: WebGPU when an adapter exists, otherwise the CPU backend (with a one-line notice).
 * - `init('webgpu')`: WebGPU or a BackendError saying how to get an adapter.
 * - `init('cpu')`: the CPU reference backend.
 *
 * Calling it again is cheap; after a lost device it opens a fresh one.
 *
 * @example
 * import { init } from '@pixgrad/kernels';
 * const device = await init();          // 'webgpu' or 'cpu'
 * const x = tensor([1, 2, 3]);           // on that device
 */
export async function init(kind?: 'cpu' | 'webgpu'): Promise<'cpu' | 'webgpu'> {
  if (kind === 'cpu') {
    setDefaultDevice('cpu');
    return 'cpu';
  }
  let c: Current | undefined;
  try {
    c = await webgpu();
  } catch (e) {
    if (kind === 'webgpu')
      throw e instanceof BackendError ? e : new BackendError(`WebGPU initialisation failed: ${(e as Error).message}. ${HOW_TO_GET_AN_ADAPTER}`);
    console.warn(`pixgrad: WebGPU unavailable (${(e as Error).message.split('\n')[0]}); using the CPU backend`);
    setDefaultDevice('cpu');
    return 'cpu';
  }
  if (!c) {
    if (kind === 'webgpu') throw new BackendError(`init('webgpu'): no WebGPU adapter was found. ${HOW_TO_GET_AN_ADAPTER}`);
    console.warn("pixgrad: no WebGPU adapter found; using the CPU backend (init('webgpu') says how to get one)");
    setDefaultDevice('cpu');
    return 'cpu';
  }
  // the engine sees the kernels through the fusion layer: elementwise chains become one dispatch
  c.engine ??= new LazyBackend(c.backend);
  registerBackend(c.engine);
  setDefaultDevice('webgpu');
  return 'webgpu';
}

/**
 * The WebGPU backend after a successful `init`, for callers that use the Backend interface
 * directly (tests, custom kernels); throws when WebGPU is not initialised.
 */
export function webgpuBackend(): WebGPUBackend {
  if (!current) throw new BackendError("the WebGPU backend is not initialised: call `await init('webgpu')` first");
  current.backend.ctx.checkAlive();
  return current.backend;
}

/** Adapter name, vendor, architecture and device limits of the WebGPU backend, or undefined before `init` / on CPU. */
export function adapterInfo(): AdapterInfo | undefined {
  return current?.info;
}

/**
 * Whether a WebGPU adapter can be opened here, without changing the default device. Tests use it
 * to decide between running and skipping (or failing, when CI is set).
 */
export async function probeWebGPU(): Promise<boolean> {
  try {
    return (await webgpu()) !== undefined;
  } catch {
    return false;
  }
}
