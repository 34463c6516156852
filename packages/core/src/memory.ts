import type { BackendCounters, Device } from './backend.js';
import { getBackend, getDefaultDevice, hasBackend } from './engine.js';
import { ValueError } from './errors.js';
import { Tensor, liveCounts } from './tensor.js';

/** The tensors created inside each open `tidy` scope, innermost last. */
const scopes: Set<Tensor>[] = [];

/** @internal record a new tensor in the innermost scope */
export function track(t: Tensor): void {
  scopes[scopes.length - 1]?.add(t);
}

/** @internal remove a tensor from every scope (it is kept, or owned by something else) */
export function untrack(t: Tensor): void {
  for (const s of scopes) s.delete(t);
}

/** Things a tidy function may return: tensors are found inside arrays and plain objects. */
type Container = unknown;

function collect(x: Container, into: Set<Tensor>, seen = new Set<unknown>()): void {
  if (x instanceof Tensor) {
    into.add(x);
  } else if (x !== null && typeof x === 'object' && !seen.has(x)) {
    seen.add(x);
    if (Array.isArray(x)) for (const v of x) collect(v, into, seen);
    else if (x instanceof Map) for (const v of x.values()) collect(v, into, seen);
    else if (Object.getPrototypeOf(x) === Object.prototype) for (const v of Object.values(x)) collect(v, into, seen);
  }
}

/**
 * Runs fn and disposes every tensor it created except those it returns (searched inside arrays,
 * Maps and plain objects) and those passed to `keep`. Returned tensors belong to the enclosing
 * scope. Gradients stored on leaves (`.grad`) belong to the leaf, not the scope.
 * Graph nodes keep what backward needs alive even after the user's handle is disposed.
 * @example const loss = tidy(() => mseLoss(model(x), y)); // intermediates are freed
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Tensor>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
    if (result instanceof Promise) {
      throw new ValueError('tidy: the function returned a Promise; tidy only tracks synchronous work (await outside it)');
    }
  } catch (e) {
    // nothing made inside survives a throw
    scopes.pop();
    for (const t of scope) t.dispose();
    throw e;
  }
  scopes.pop();
  const keepers = new Set<Tensor>();
  collect(result, keepers);
  for (const t of scope) {
    if (!keepers.has(t)) t.dispose();
  }
  for (const t of keepers) if (scope.has(t)) track(t);
  return result;
}

/** Excludes a tensor from the enclosing `tidy` scopes (it lives until disposed). */
export function keep<T extends Tensor>(t: T): T {
  untrack(t);
  return t;
}

/** Disposes every tensor found in x (a tensor, or arrays/Maps/plain objects of them). */
export function dispose(x: Container): void {
  const found = new Set<Tensor>();
  collect(x, found);
  for (const t of found) t.dispose();
}

export interface MemoryInfo {
  /** live tensors, on every device (including those only a graph still holds) */
  tensors: number;
  /** bytes held by live tensors' buffers (aliases counted once) */
  bytes: number;
  /** the same per device, plus what the backend itself reports (buffers, bytes) */
  devices: { device: Device; tensors: number; bytes: number; backend?: { buffers: number; bytes: number } }[];
}

/** A report of live tensors and bytes (and each backend's own buffer count), for leak tests. */
export function memory(): MemoryInfo {
  const devices = liveCounts().map((c) => ({ ...c, ...(hasBackend(c.device) ? { backend: getBackend(c.device).memory() } : {}) }));
  return {
    tensors: devices.reduce((n, d) => n + d.tensors, 0),
    bytes: devices.reduce((n, d) => n + d.bytes, 0),
    devices,
  };
}

/**
 * Kernels run and buffers allocated on a device's backend since it was made (cumulative; take the
 * difference around the work to count it). On WebGPU a dispatch is one compute pass dispatch; on
 * the CPU one kernel call. Pending elementwise work (see LazyBackend) is counted when it runs.
 * @example const c0 = counters('webgpu'); ssim(x, y).dataSync(); counters('webgpu').dispatches - c0.dispatches
 */
export function counters(device: Device = getDefaultDevice()): BackendCounters {
  return getBackend(device).counters();
}
