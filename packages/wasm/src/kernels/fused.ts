import {
  type FusedProgram,
  type ReduceOp,
  bytesPerElement,
  isScalarLeaf,
  loopGroups,
  mergeLoops,
  programKey,
  rangeDims,
  resultDType,
  sizeOf,
} from '@pixgrad/core';
import type { WasmBackend, WasmBuf } from '../backend.js';
import type { KernelModule, WasmRuntime } from '../runtime.js';
import { type KernelSpec, type LeafKind, REDUCE_PARTS, elementwiseModule, wasmSupports } from './elementwise.js';

/** below this many elements a program runs on one thread */
const THREAD_MIN_ELEMENTS = 1 << 15;

/** The fused elementwise kernels of a runtime: compiled once per program structure and loop nest. */
export class FusedKernels {
  private readonly cache = new Map<string, KernelModule>();
  constructor(private readonly rt: WasmRuntime) {}

  /** Whether the wasm kernels take this program (else the caller runs the CPU kernel). */
  supports(p: FusedProgram<WasmBuf>): boolean {
    return wasmSupports(
      p.nodes,
      p.leaves.map((l) => l.dtype),
    );
  }

  /** Computes an elementwise program into a new buffer (see Backend.fused). */
  fused(be: WasmBackend, p: FusedProgram<WasmBuf>): WasmBuf {
    const order = p.shape.map((_, d) => d);
    const out = be.alloc(sizeOf(p.shape), resultDType(p));
    this.launch(p, order, () => 0, undefined, out.ptr, sizeOf(p.shape));
    return out;
  }

  /** Reduces a program over the sorted axes (see Backend.fusedReduce). */
  fusedReduce(be: WasmBackend, op: ReduceOp, p: FusedProgram<WasmBuf>, axes: readonly number[]): WasmBuf {
    const kept = p.shape.map((_, d) => d).filter((d) => !axes.includes(d));
    const order = [...kept, ...axes];
    const outSize = sizeOf(kept.map((d) => p.shape[d]!));
    const out = be.alloc(outSize, resultDType(p));
    this.launch(p, order, (d) => (axes.includes(d) ? 1 : 0), op, out.ptr, sizeOf(p.shape), axes);
    return out;
  }

  private launch(
    p: FusedProgram<WasmBuf>,
    order: number[],
    base: (d: number) => number,
    op: ReduceOp | undefined,
    outPtr: number,
    size: number,
    axes: readonly number[] = [],
  ): void {
    let nest = mergeLoops(
      order.map((d) => p.shape[d]!),
      p.leaves.map((l) => order.map((d) => l.strides[d]!)),
      loopGroups(p, order, base),
    );
    if (nest.sizes.length === 0) nest = { sizes: [1], strides: p.leaves.map(() => [0]), groups: [0], loopOf: nest.loopOf };
    const D = nest.sizes.length;
    // kept loops come first: the loops of kept dims
    const nKept = nest.loopOf.filter((l, j) => l >= 0 && !axes.includes(order[j]!)).reduce((m, l) => Math.max(m, l + 1), 0);
    const reduce = op && nKept < D ? { op, nKept } : undefined;
    const leaves = p.leaves.map((l, k) => {
      const s = nest.strides[k]![D - 1]!;
      const kind: LeafKind = isScalarLeaf(l.strides, p.shape) ? 'scalar' : s === 1 ? 'contig' : s === 0 ? 'bcast' : 'gather';
      return { dtype: l.dtype as 'float32' | 'bool', kind, guard: !!l.guard };
    });
    const coordLoop = new Map([...rangeDims(p)].map((d) => [d, nest.loopOf[order.indexOf(d)]!] as const));
    const spec: KernelSpec = { nodes: p.nodes, leaves, D, coordLoop, ...(reduce ? { reduce } : {}) };
    const key = `${D}|${reduce ? `${reduce.op}${reduce.nKept}` : ''}|${leaves.map((l) => `${l.dtype[0]}${l.kind}${l.guard ? '?' : ''}`).join(',')}|${[...coordLoop].join(';')}|${programKey(p)}`;
    let mod = this.cache.get(key);
    if (!mod) {
      mod = this.rt.compile(elementwiseModule(this.rt.memoryImport, spec), ['run']);
      this.cache.set(key, mod);
    }
    const threads = size >= THREAD_MIN_ELEMENTS && nest.sizes[0]! > 1 ? this.rt.threads : 1;
    const partial = reduce && reduce.nKept === 0;
    const scratch = partial ? this.rt.alloc(8 * REDUCE_PARTS) : 0;
    const args: number[] = [...nest.sizes];
    p.leaves.forEach((l, k) => {
      const e = bytesPerElement(l.dtype);
      args.push(l.buf.ptr + l.offset * e, ...nest.strides[k]!.map((s) => s * e));
      if (l.guard) args.push(l.buf.ptr, l.buf.ptr + l.buf.length * e);
    });
    args.push(partial ? scratch : outPtr);
    const argPtr = this.rt.alloc(args.length * 4);
    this.rt.i32(argPtr, args.length).set(args);
    try {
      this.rt.run(mod, 'run', [argPtr], threads);
      if (partial) {
        const parts = new Float64Array(this.rt.memory.buffer, scratch, REDUCE_PARTS);
        this.rt.f32(outPtr, 1)[0] = combine(reduce.op, parts);
      }
    } finally {
      this.rt.free_(argPtr);
      if (scratch) this.rt.free_(scratch);
    }
  }
}

/** the partial results of the threads' shares as one */
function combine(op: ReduceOp, parts: Float64Array): number {
  let acc = op === 'sum' ? 0 : op === 'prod' ? 1 : op === 'max' ? -Infinity : Infinity;
  for (const v of parts) {
    if (op === 'sum') acc += v;
    else if (op === 'prod') acc *= v;
    else if (Number.isNaN(v) || Number.isNaN(acc)) acc = NaN;
    else acc = op === 'max' ? Math.max(acc, v) : Math.min(acc, v);
  }
  return acc;
}
