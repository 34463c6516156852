/**
 * The wasm device's runtime: one WebAssembly.Memory that holds every buffer, an allocator over
 * it, the kernel modules (all importing that memory) and a pool of workers that run a kernel's
 * share of the work on the other cores.
 *
 * Threads: where SharedArrayBuffer exists (Node; a cross-origin-isolated page) the memory is
 * shared and each worker instantiates every kernel module over it. A kernel takes (tid, nthreads,
 * ...args) and computes its own share. The main thread writes the job (module, function, args)
 * into a control block at the start of the memory, bumps a sequence number with Atomics and runs
 * share 0 itself; each worker wakes on the sequence number, runs its share and stores the number
 * back in its own done word. Elsewhere the memory is not shared and the runtime uses one thread.
 *
 * Memory: buffers are 64-byte aligned blocks from a best-fit free list whose neighbouring free
 * blocks merge (see alloc); past them the heap's top grows the memory. wasm32 addresses at most
 * 4 GiB: past that allocation throws WasmOutOfMemoryError.
 */
import { PixgradError } from '@pixgrad/core';
import { host } from '#host';

/** Thrown when the wasm memory cannot hold a new buffer (wasm32's 4 GiB limit, or the host refusing to grow). */
export class WasmOutOfMemoryError extends PixgradError {
  constructor(
    readonly requestedBytes: number,
    readonly heapBytes: number,
    readonly limitBytes: number,
  ) {
    super(
      `wasm device: out of memory allocating ${requestedBytes} bytes with ${heapBytes} bytes already in the heap, limit ${limitBytes} bytes ` +
        `(a wasm32 memory addresses at most 4 GiB). Dispose tensors you no longer need, use tidy(), or compute in smaller batches.`,
    );
    this.name = 'WasmOutOfMemoryError';
  }
}

const PAGE = 65536;
/** wasm32's limit: 65536 pages of 64 KiB */
const MAX_PAGES = 65536;
const ALIGN = 64;
/** bytes every block keeps past its end, so SIMD kernels may read a vector past a buffer's last element */
const SLACK = 32;
/** a free block is split when it is at least this much larger than the request */
const SPLIT_MIN = 4096;
/** the control block: sequence number, job, and one done word per worker (first page) */
const CTL_SEQ = 0;
const CTL_MODULE = 1;
const CTL_FUNC = 2;
const CTL_NARGS = 3;
const CTL_STOP = 4;
const CTL_ARGS = 8;
const MAX_ARGS = 32;
const CTL_DONE = CTL_ARGS + MAX_ARGS;
const HEAP_BASE = PAGE;
/** below this many multiply-adds a kernel runs on one thread */
const THREAD_MIN_WORK = 1 << 18;

/** A compiled kernel module: its functions by name, on the main thread (and in every worker). */
export interface KernelModule {
  readonly id: number;
  readonly exports: Record<string, (...args: number[]) => unknown>;
  readonly names: readonly string[];
}

export interface RuntimeOptions {
  /** threads to use (main thread included); default: the machine's logical cores (1 where memory cannot be shared) */
  threads?: number;
  /** the most bytes the heap may hold (default and at most wasm32's 4 GiB less the control page) */
  maxBytes?: number;
}

/** The worker's program, as source: it is started from a string, so no file has to ship beside the bundle. */
const WORKER_SOURCE = `
let mem, ctl, index, last = 0, pending = false;
const modules = [];
function loop() {
  pending = false;
  for (;;) {
    Atomics.wait(ctl, ${CTL_SEQ}, last);
    const seq = Atomics.load(ctl, ${CTL_SEQ});
    if (seq === last) continue;
    if (Atomics.load(ctl, ${CTL_STOP})) return;
    const m = modules[ctl[${CTL_MODULE}]];
    if (!m) { pending = true; return; } // its module is in a message not yet read: return to the event loop
    last = seq;
    const f = m[ctl[${CTL_FUNC}]];
    const n = ctl[${CTL_NARGS}];
    const args = new Array(n);
    args[0] = index;
    for (let i = 1; i < n; i++) args[i] = ctl[${CTL_ARGS} + i];
    try { f(...args); } catch (e) { console.error('pixgrad wasm worker', index, e); }
    Atomics.store(ctl, ${CTL_DONE} + index, seq);
    Atomics.notify(ctl, ${CTL_DONE} + index);
  }
}
function onMessage(d) {
  if (d.type === 'init') {
    mem = d.memory; index = d.index; ctl = new Int32Array(mem.buffer, 0, ${PAGE / 4});
    last = d.seq; // the jobs after this message are this worker's, even those posted before it starts
    reply('ready');
    loop();
  } else if (d.type === 'module') {
    const inst = new WebAssembly.Instance(d.module, { env: { memory: mem } });
    modules[d.id] = d.names.map((n) => inst.exports[n]);
    if (pending) loop();
  }
}
`;

interface PoolWorker {
  postMessage(m: unknown): void;
  terminate(): unknown;
}

export class WasmRuntime {
  readonly memory: WebAssembly.Memory;
  readonly shared: boolean;
  readonly threads: number;
  private readonly workers: PoolWorker[] = [];
  /** kernel modules are compiled after the workers start, each sent to them with its id */
  private nextModule = 0;
  private heapEnd = HEAP_BASE;
  /** the highest the heap's top has been: the memory in use, whatever was freed since */
  private peakEnd = HEAP_BASE;
  /** free blocks below the top, sorted by address, never adjacent (merged) */
  private readonly freeList: { ptr: number; size: number }[] = [];
  /** each allocated block's size */
  private readonly sizes = new Map<number, number>();
  private seq = 0;
  private ctl: Int32Array;
  private disposed = false;

  private constructor(
    memory: WebAssembly.Memory,
    shared: boolean,
    threads: number,
    private readonly maxBytes: number,
  ) {
    this.memory = memory;
    this.shared = shared;
    this.threads = threads;
    this.ctl = new Int32Array(memory.buffer, 0, PAGE / 4);
  }

  /** A runtime with `threads` threads (workers started and initialised before it resolves). */
  static async create(opts: RuntimeOptions = {}): Promise<WasmRuntime> {
    const canShare = typeof SharedArrayBuffer === 'function' && (typeof crossOriginIsolated === 'undefined' || crossOriginIsolated);
    const cores = host.cores();
    const want = Math.max(1, Math.floor(opts.threads ?? cores));
    let memory: WebAssembly.Memory | undefined;
    if (canShare && want > 1) {
      for (const max of [MAX_PAGES, MAX_PAGES / 2, MAX_PAGES / 8]) {
        try {
          memory = new WebAssembly.Memory({ initial: 2, maximum: max, shared: true });
          break;
        } catch {
          // a host that cannot reserve that much address space: try less
        }
      }
    }
    const shared = memory !== undefined;
    memory ??= new WebAssembly.Memory({ initial: 2, maximum: MAX_PAGES });
    const maxBytes = Math.min(opts.maxBytes ?? Infinity, MAX_PAGES * PAGE - HEAP_BASE);
    const rt = new WasmRuntime(memory, shared, shared ? want : 1, maxBytes);
    if (shared && !(await rt.startWorkers(want - 1))) {
      // workers refused (a policy against blob: workers, say): the same memory on one thread
      for (const w of rt.workers) void w.terminate();
      return new WasmRuntime(memory, true, 1, maxBytes);
    }
    return rt;
  }

  /**
   * Starts n workers and resolves when each has its memory and is waiting for jobs (the first
   * job must not be posted before: a page's main thread spinning on a job would keep a browser
   * from starting the worker at all), with false when one could not start.
   */
  private startWorkers(n: number): Promise<boolean> {
    const ready: Promise<boolean>[] = [];
    for (let i = 1; i <= n; i++) {
      ready.push(
        new Promise((resolve) => {
          const w = host.startWorker(
            WORKER_SOURCE,
            (m) => m === 'ready' && resolve(true),
            () => resolve(false),
          );
          w.postMessage({ type: 'init', memory: this.memory, index: i, seq: this.seq });
          this.workers.push(w);
        }),
      );
    }
    return Promise.all(ready).then((ok) => ok.every(Boolean));
  }

  /** Compiles a kernel module (importing env.memory) and sends it to every worker. */
  compile(bytes: Uint8Array<ArrayBuffer>, names: readonly string[]): KernelModule {
    const module = new WebAssembly.Module(bytes);
    const inst = new WebAssembly.Instance(module, { env: { memory: this.memory } });
    const id = this.nextModule++;
    for (const w of this.workers) w.postMessage({ type: 'module', id, module, names });
    const exports: Record<string, (...args: number[]) => unknown> = {};
    for (const n of names) exports[n] = inst.exports[n] as (...args: number[]) => unknown;
    return { id, exports, names };
  }

  /** Memory limits a module must import with. */
  get memoryImport(): { import: true; minPages: number; maxPages: number; shared: boolean } {
    // an import's maximum bounds the memory's from above: wasm32's limit accepts every memory made here
    return { import: true, minPages: 1, maxPages: MAX_PAGES, shared: this.shared };
  }

  /** The threads for a kernel of `work` multiply-adds: all of them, or one below THREAD_MIN_WORK (waking the others costs more). */
  threadsFor(work: number): number {
    return work >= THREAD_MIN_WORK ? this.threads : 1;
  }

  /**
   * Runs kernel `name` of module `m` as fn(tid, nthreads, ...args) on `threads` threads (at most
   * this runtime's), returning when every share is done.
   */
  run(m: KernelModule, name: string, args: readonly number[], threads = this.threads): void {
    const nth = Math.max(1, Math.min(threads, this.threads));
    const f = m.exports[name]!;
    if (nth === 1) {
      f(0, 1, ...args);
      return;
    }
    const ctl = this.ctl;
    const n = args.length + 2;
    if (n > MAX_ARGS) throw new Error(`wasm kernel ${name}: ${n} arguments (at most ${MAX_ARGS})`);
    ctl[CTL_MODULE] = m.id;
    ctl[CTL_FUNC] = m.names.indexOf(name);
    ctl[CTL_NARGS] = n;
    ctl[CTL_ARGS + 1] = nth;
    for (let i = 0; i < args.length; i++) ctl[CTL_ARGS + 2 + i] = args[i]!;
    const seq = (this.seq = (this.seq + 1) | 0);
    // workers beyond nth get the job too and see tid >= nthreads: their share is empty
    Atomics.store(ctl, CTL_SEQ, seq);
    Atomics.notify(ctl, CTL_SEQ);
    f(0, nth, ...args);
    const canBlock = host.canBlock;
    for (let w = 1; w < this.threads; w++) {
      for (;;) {
        const d = Atomics.load(ctl, CTL_DONE + w);
        if (d === seq) break;
        if (canBlock) Atomics.wait(ctl, CTL_DONE + w, d, 1000);
      }
    }
  }

  // ---- allocation ----

  /**
   * A 64-byte aligned block of at least `bytes` bytes (plus read slack); its byte address. The
   * smallest free block that fits is used (split when much larger); else the heap's top grows.
   * Freed blocks merge with free neighbours, so buffers of changing sizes reuse the same memory:
   * first use of fresh memory is slow (page faults), and a heap that only grew held 1.2 GiB for
   * a 1080p comparison whose tensors never held more than 150 MiB at once.
   */
  alloc(bytes: number): number {
    const need = Math.ceil((bytes + SLACK) / ALIGN) * ALIGN;
    let best = -1;
    for (let i = 0; i < this.freeList.length; i++) {
      const f = this.freeList[i]!;
      if (f.size >= need && (best < 0 || f.size < this.freeList[best]!.size)) best = i;
    }
    if (best >= 0) {
      const f = this.freeList[best]!;
      if (f.size - need >= SPLIT_MIN) {
        this.sizes.set(f.ptr, need);
        const ptr = f.ptr;
        f.ptr += need;
        f.size -= need;
        return ptr;
      }
      this.freeList.splice(best, 1);
      this.sizes.set(f.ptr, f.size);
      return f.ptr;
    }
    // (a free block never touches the top: free_ lowers the top instead)
    const ptr = this.heapEnd;
    const end = ptr + need;
    if (end - HEAP_BASE > this.maxBytes) throw new WasmOutOfMemoryError(bytes, this.heapBytes(), this.maxBytes);
    if (end > this.memory.buffer.byteLength) this.grow(end, bytes);
    this.heapEnd = end;
    this.peakEnd = Math.max(this.peakEnd, end);
    this.sizes.set(ptr, need);
    return ptr;
  }

  /** Returns a block to the free list, merged with free neighbours (the top of the heap lowers). */
  free_(ptr: number): void {
    const size = this.sizes.get(ptr);
    if (size === undefined) throw new Error(`wasm device: freeing an unknown block at ${ptr}`);
    this.sizes.delete(ptr);
    const list = this.freeList;
    // the first free block after ptr
    let lo = 0,
      hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.ptr < ptr) lo = mid + 1;
      else hi = mid;
    }
    const prev = list[lo - 1];
    const next = list[lo];
    let block: { ptr: number; size: number };
    if (prev && prev.ptr + prev.size === ptr) {
      prev.size += size;
      block = prev;
      if (next && block.ptr + block.size === next.ptr) {
        block.size += next.size;
        list.splice(lo, 1);
      }
    } else if (next && ptr + size === next.ptr) {
      next.ptr = ptr;
      next.size += size;
      block = next;
    } else {
      block = { ptr, size };
      list.splice(lo, 0, block);
    }
    if (block.ptr + block.size === this.heapEnd) {
      list.splice(list.indexOf(block), 1);
      this.heapEnd = block.ptr;
    }
  }

  private grow(end: number, requested: number): void {
    const have = this.memory.buffer.byteLength;
    // grow by at least an eighth, so that a growing heap is not copied (non-shared) once per buffer
    const want = Math.max(end, have + (have >>> 3));
    const pages = Math.ceil((want - have) / PAGE);
    const minPages = Math.ceil((end - have) / PAGE);
    for (const p of [pages, minPages]) {
      if ((have >>> 16) + p > MAX_PAGES) continue;
      try {
        this.memory.grow(p);
        if (this.shared) this.ctl = new Int32Array(this.memory.buffer, 0, PAGE / 4);
        return;
      } catch {
        // try the minimum
      }
    }
    throw new WasmOutOfMemoryError(requested, this.heapBytes(), this.maxBytes);
  }

  /** the most bytes the heap has spanned (free blocks included): what the memory holds for buffers */
  heapBytes(): number {
    return this.peakEnd - HEAP_BASE;
  }

  f32(ptr: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, length);
  }
  i32(ptr: number, length: number): Int32Array {
    return new Int32Array(this.memory.buffer, ptr, length);
  }

  /** Stops the workers; the runtime is not used again. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (!this.shared) return;
    Atomics.store(this.ctl, CTL_STOP, 1);
    Atomics.store(this.ctl, CTL_SEQ, (this.seq + 1) | 0);
    Atomics.notify(this.ctl, CTL_SEQ);
    for (const w of this.workers) void w.terminate();
  }
}
