import type { Backend, Device } from './backend.js';
import { BackendError } from './errors.js';

/**
 * Global engine state: registered backends, the default device, grad mode.
 * Kept in one small module so that every other file reads the same state.
 */
const backends = new Map<Device, Backend>();
let defaultDevice: Device = 'cpu';
let gradEnabled = true;

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
