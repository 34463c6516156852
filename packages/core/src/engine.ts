import type { Backend, Device } from './backend.js';
import { BackendError } from './errors.js';

/**
 * Global engine state: registered backends, the default device, grad mode.
 * Kept in one small module so that every other file reads the same state.
 */
const backends = new Map<Device, Backend>();
let defaultDevice: Device = 'cpu';
let gradEnabled = true;

/**
 * Every copy of this module loaded in the process, so a second copy of @pixgrad/core (a project
 * whose node_modules holds two versions) is reported instead of silently splitting the engine:
 * `init('webgpu')` of @pixgrad/kernels would register with the copy its own import resolves to,
 * and tensors of the other copy would never see it. The other packages take core as a peer
 * dependency so that npm installs one copy.
 */
interface CoreCopy {
  readonly backends: ReadonlyMap<Device, Backend>;
}
const COPIES = Symbol.for('@pixgrad/core loaded copies');
const copies: CoreCopy[] = ((globalThis as { [COPIES]?: CoreCopy[] })[COPIES] ??= []);
if (copies.length > 0) {
  console.warn(
    'pixgrad: a second copy of @pixgrad/core was loaded; tensors of one copy cannot use the backends registered with the other. ' +
      'Install a single copy (`npm ls @pixgrad/core` shows them; `npm dedupe` or matching versions of the @pixgrad packages fixes it).',
  );
}
copies.push({ backends });

export function registerBackend(backend: Backend): void {
  backends.set(backend.device, backend);
}

export function unregisterBackend(device: Device): void {
  backends.delete(device);
  if (defaultDevice === device) defaultDevice = 'cpu';
}

export function getBackend(device: Device): Backend {
  const b = backends.get(device);
  if (!b) {
    if (copies.some((c) => c.backends !== backends && c.backends.has(device))) {
      throw new BackendError(
        `no backend registered for device '${device}' in this copy of @pixgrad/core, but another copy loaded in this process has one: ` +
          'two versions of @pixgrad/core are installed. Install a single copy (`npm ls @pixgrad/core`, `npm dedupe`).',
      );
    }
    throw new BackendError(
      device === 'webgpu'
        ? "no WebGPU backend is registered: call `await init('webgpu')` from '@pixgrad/kernels' first"
        : `no backend registered for device '${device}'`,
    );
  }
  return b;
}

export function hasBackend(device: Device): boolean {
  return backends.has(device);
}

/** The device new tensors go to when none is given (`init('webgpu')` sets it to 'webgpu'). */
export function setDefaultDevice(device: Device): void {
  getBackend(device);
  defaultDevice = device;
}

export function getDefaultDevice(): Device {
  return defaultDevice;
}

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn with gradient recording switched on or off, restoring the previous mode afterwards. */
export function withGradMode<T>(enabled: boolean, fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = enabled;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/**
 * Runs fn without recording a graph: nothing computed inside requires grad (as torch.no_grad).
 * @example const y = noGrad(() => x.mul(2)); // y.requiresGrad === false
 */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}
