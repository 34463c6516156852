import { readFileSync } from 'node:fs';
import { Worker as NodeWorker } from 'node:worker_threads';
import type { Library } from '../types.js';

/**
 * jax-js (@jax-js/jax) on its wasm device with 2 worker threads.
 *
 * jax-js runs its wasm kernels on a pool of Web Workers when SharedArrayBuffer and a global
 * `Worker` exist; Node has neither a global Worker nor blob: URLs that worker_threads can load, so
 * out of the box it is single-threaded here. `installWorkerShim` provides both: the worker source
 * jax-js puts in a Blob is kept when the Blob is made, and `new Worker(blobUrl)` becomes a
 * worker_threads Worker evaluating that source behind a small Web Worker prelude (self,
 * onmessage, postMessage). The pool size is navigator.hardwareConcurrency, set to the machine's 2
 * cores (`PIXGRAD_BENCH_JAX_WORKERS` overrides; 0 keeps jax-js single-threaded).
 */
const WORKERS = Number(process.env['PIXGRAD_BENCH_JAX_WORKERS'] ?? 2);

const PRELUDE = `
const { parentPort } = require('node:worker_threads');
globalThis.self = globalThis;
globalThis.postMessage = (m) => parentPort.postMessage(m);
parentPort.on('message', (data) => { if (typeof self.onmessage === 'function') self.onmessage({ data }); });
`;

let shimmed = false;

function installWorkerShim(): void {
  if (shimmed) return;
  shimmed = true;
  const g = globalThis as Record<string, unknown>;
  // tfjs-backend-wasm's threaded build (emscripten) sets global.Worker to worker_threads' Worker
  // for its own pthreads: keep serving those, by URL
  const Previous = g['Worker'] as (new (url: string | URL, opts?: unknown) => unknown) | undefined;
  const sources = new Map<string, string>();
  const texts = new WeakMap<Blob, string>();
  const BaseBlob = Blob;
  g['Blob'] = class extends BaseBlob {
    constructor(parts?: BlobPart[], opts?: BlobPropertyBag) {
      super(parts, opts);
      if (parts?.every((p) => typeof p === 'string')) texts.set(this, (parts as string[]).join(''));
    }
  };
  const create = URL.createObjectURL.bind(URL);
  URL.createObjectURL = (obj: Blob) => {
    const url = create(obj);
    const text = texts.get(obj);
    if (text !== undefined) sources.set(url, text);
    return url;
  };
  g['Worker'] = class {
    onmessage: ((e: { data: unknown }) => void) | null = null;
    onerror: ((e: { message: string }) => void) | null = null;
    private readonly w!: NodeWorker;
    constructor(url: string | URL, opts?: unknown) {
      const src = sources.get(String(url));
      if (src === undefined) {
        if (Previous) return new Previous(url, opts) as never;
        throw new Error(`bench jax shim: no source for worker ${String(url)}`);
      }
      this.w = new NodeWorker(PRELUDE + src, { eval: true });
      this.w.on('message', (data) => this.onmessage?.({ data }));
      this.w.on('error', (e) => this.onerror?.({ message: e.message }));
      this.w.unref();
    }
    postMessage(m: unknown): void {
      this.w.postMessage(m);
    }
    terminate(): void {
      void this.w.terminate();
    }
  };
  const nav = (g['navigator'] ??= {}) as Record<string, unknown>;
  if (WORKERS > 0) Object.defineProperty(nav, 'hardwareConcurrency', { value: WORKERS, configurable: true });
}

export const jaxWasm: Library = {
  name: '@jax-js/jax',
  backend: 'wasm',
  family: 'jax',
  async setup() {
    if (WORKERS > 0) installWorkerShim();
    const jax = await import('@jax-js/jax');
    const devices = await jax.init('wasm');
    if (!devices.includes('wasm')) return `jax-js has no wasm device here (devices: ${devices.join(', ')})`;
    jax.defaultDevice('wasm');
    return undefined;
  },
  notes: () => [
    `jax-js wasm: ${WORKERS > 0 ? `${WORKERS} worker threads (worker_threads behind a Web Worker shim, bench/libraries/jax.ts)` : 'single-threaded'}`,
  ],
  versions: () => ({
    '@jax-js/jax': (JSON.parse(readFileSync(new URL('../../node_modules/@jax-js/jax/package.json', import.meta.url), 'utf8')) as { version: string }).version,
  }),
};
