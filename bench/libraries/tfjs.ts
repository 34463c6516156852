import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Library, PeakMemory } from '../types.js';
import { sharedGpu } from './gpu.js';

/**
 * TensorFlow.js through its union package '@tensorflow/tfjs' (tfjs-core + cpu backend + the
 * gradient registrations: tfjs-core's own npm bundle registers no gradients, so tf.grad needs the
 * union). Every tfjs backend shares one engine, so `setup` switches the engine to this backend;
 * the harness calls it before building each case.
 */
const require = createRequire(import.meta.url);
const pkgVersion = (pkg: string): string => (JSON.parse(fs.readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')) as { version: string }).version;

function tfjs(backend: string, pkg: string, load: () => Promise<string | undefined>, notes: () => string[] = () => []): Library {
  return {
    name: '@tensorflow/tfjs',
    backend,
    family: 'tfjs',
    async setup() {
      try {
        const why = await load();
        if (why) return why;
        if (!(await tf.setBackend(backend))) return `tfjs could not initialise its ${backend} backend`;
        await tf.ready();
        return undefined;
      } catch (e) {
        return `${pkg} did not load: ${(e as Error).message}`;
      }
    },
    async peakMemory(run): Promise<PeakMemory> {
      const baseBytes = tf.memory().numBytes;
      const info = await tf.profile(run);
      const m = tf.memory() as { numBytesInGPUAllocated?: number };
      return {
        peakBytes: info.peakBytes,
        baseBytes,
        ...(m.numBytesInGPUAllocated !== undefined ? { allocatedBytes: m.numBytesInGPUAllocated } : {}),
        source: 'tfjs: tf.profile(...).peakBytes (bytes of live tensors, inputs and weights included); allocated = tf.memory().numBytesInGPUAllocated',
      };
    },
    notes,
    versions: () => ({ '@tensorflow/tfjs': tf.version.tfjs, [pkg]: pkgVersion(pkg) }),
  };
}

/** tfjs's pure-JavaScript cpu backend (no native bindings, no WebAssembly) */
export const tfjsCpu = tfjs('cpu', '@tensorflow/tfjs-backend-cpu', async () => undefined);

// ------------------------------------------------------------------------------------ wasm

let wasmThreads = 0;
let wasmNote = '';

/**
 * tfjs-backend-wasm (XNNPACK, SIMD) with 2 threads. Its threaded build is switched off in Node by
 * the package (WASM_HAS_MULTITHREAD_SUPPORT returns false when IS_NODE, tfjs issue 3830) and
 * would fail anyway: the pthread worker is handed to worker_threads as a blob: URL, which Node
 * does not load. Three shims make it work: the flag is forced on; the worker script (whose
 * Emscripten prelude supports Node) is written to a temporary .cjs file instead of a blob: URL,
 * pointed at the package's own wasm-out/tfjs-backend-wasm-threaded-simd.js for its main script;
 * and os.cpus() reports 4 entries while the module initialises, because the C++ side caps the
 * thread pool at logical cores / 2 (= 1 on this 2-core machine). PIXGRAD_BENCH_WASM_THREADS=1
 * gives the plain single-threaded SIMD build instead.
 */
async function loadWasm(): Promise<string | undefined> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (tf.findBackend('wasm') && wasmThreads) return undefined;
  const root = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  wasm.setWasmPaths(`${root}/dist/`);
  const want = Number(process.env.PIXGRAD_BENCH_WASM_THREADS ?? 2);
  if (want <= 1) {
    wasm.setThreadsCount(1);
    await tf.setBackend('wasm');
    wasmThreads = wasm.getThreadsCount();
    wasmNote = `tfjs wasm: ${wasmThreads} thread (SIMD build; PIXGRAD_BENCH_WASM_THREADS=${want})`;
    return undefined;
  }
  wasm.setThreadsCount(want);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  const mainScript = path.join(root, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
  const texts = new WeakMap<Blob, string>();
  const OrigBlob = globalThis.Blob;
  const origCreate = URL.createObjectURL;
  const osMod = require('node:os') as typeof os;
  const origCpus = osMod.cpus;
  globalThis.Blob = class extends OrigBlob {
    constructor(parts?: BlobPart[], opts?: BlobPropertyBag) {
      super(parts, opts);
      if (parts?.every((p) => typeof p === 'string')) texts.set(this, parts.join(''));
    }
  };
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pixgrad-bench-tfwasm-'));
  URL.createObjectURL = (b: Blob): string => {
    const text = texts.get(b);
    const anchor = 'if(typeof e.data.urlOrBlob=="string")';
    if (text === undefined || !text.includes(anchor)) return origCreate(b);
    const file = path.join(tmp, 'worker.cjs');
    fs.writeFileSync(file, text.replace(anchor, `if((e.data.urlOrBlob=${JSON.stringify(mainScript)}),true)`));
    return file;
  };
  osMod.cpus = () => [...origCpus(), ...origCpus()];
  try {
    const ok = await tf.setBackend('wasm');
    if (!ok) return 'tfjs wasm: the threaded build did not initialise (set PIXGRAD_BENCH_WASM_THREADS=1 for the single-threaded build)';
  } finally {
    globalThis.Blob = OrigBlob;
    URL.createObjectURL = origCreate;
    osMod.cpus = origCpus;
  }
  wasmThreads = wasm.getThreadsCount();
  wasmNote = `tfjs wasm: ${wasmThreads} threads (threaded SIMD build, made to run in Node by the shims in bench/libraries/tfjs.ts)`;
  return undefined;
}

export const tfjsWasm = tfjs('wasm', '@tensorflow/tfjs-backend-wasm', loadWasm, () => [wasmNote]);

// ------------------------------------------------------------------------------------ webgpu

let webgpuNote = '';

/** tfjs-backend-webgpu on the Dawn adapter pixgrad uses (the shared `navigator.gpu`). */
export const tfjsWebgpu = tfjs(
  'webgpu',
  '@tensorflow/tfjs-backend-webgpu',
  async () => {
    const gpu = await sharedGpu();
    if (typeof gpu === 'string') return gpu;
    await import('@tensorflow/tfjs-backend-webgpu');
    if (!tf.findBackend('webgpu')) {
      if (!(await tf.setBackend('webgpu'))) return 'tfjs could not initialise its webgpu backend';
      const be = tf.backend() as unknown as { adapterInfo?: { vendor?: string; architecture?: string } };
      webgpuNote = `tfjs webgpu adapter: ${be.adapterInfo?.vendor ?? '?'} / ${be.adapterInfo?.architecture ?? '?'} (from the same navigator.gpu)`;
    }
    return undefined;
  },
  () => [webgpuNote],
);
