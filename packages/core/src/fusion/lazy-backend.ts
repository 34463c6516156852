import type { Backend, BackendCounters, BackendMemory, Device, View } from '../backend.js';
import type { DataArray, DType } from '../dtype.js';
import { type Shape, contiguousStrides, shapesEqual, sizeOf } from '../shape.js';
import { type ExprNode, type FusedProgram, broadcastLeafStrides, isContiguousLeaf, isScalarLeaf, rangeDims } from './program.js';
import { evaluateUnfused } from './unfused.js';

/**
 * What a backend offers the fusion layer (LazyBackend, below): kernels for whole programs, and
 * the limits and preferences that shape them.
 */
export interface FusionKernels<B> {
  /** Realises a program into a new buffer of its shape and result dtype. */
  fused?(p: FusedProgram<B>): B;
  /** Reduces a program's values over the sorted `axes` (result keeps them as size 1), as `reduce`. */
  fusedReduce?(op: Parameters<Backend<B>['reduce']>[0], p: FusedProgram<B>, axes: readonly number[]): B;
  /** Throws the backend's own error for a dtype it cannot hold (checked when work is deferred, not at the read). */
  checkDType?(dtype: DType, op: string): void;
  /** Reduce plain buffers with fusedReduce too (the CPU: its generated loops beat the generic odometer over non-trailing axes). */
  readonly fuseAllReductions?: boolean;
  /** Most leaves (buffers read) and nodes one fused kernel may hold; defaults 8 and 64. */
  readonly fusionLimits?: { maxLeaves: number; maxNodes: number };
}

let nextStoreId = 1;

/** A materialised buffer of the wrapped backend, shared by handles and pending expressions. */
class Stored<B> {
  readonly id = nextStoreId++;
  refs = 1;
  constructor(
    readonly owner: Backend<B>,
    readonly buf: B,
    readonly length: number,
  ) {}
  retain(): this {
    this.refs++;
    return this;
  }
  release(): void {
    if (--this.refs === 0) this.owner.dispose(this.buf);
  }
}

interface PendingLeaf<B> {
  readonly store: Stored<B>;
  readonly dtype: DType;
  readonly strides: readonly number[];
  readonly offset: number;
  /** may be read outside its buffer (a padded read, discarded by the pad's select) */
  readonly guard?: boolean;
}

interface Pending<B> {
  readonly shape: Shape;
  readonly nodes: readonly ExprNode[];
  readonly leaves: readonly PendingLeaf<B>[];
}

/** A handle of the fusion layer: a materialised buffer, or an expression not yet computed. */
export class LazyBuf<B> {
  /** @internal how many programs have read this pending value (see REUSE_COST) */
  uses = 0;
  /** @internal */
  constructor(
    public store: Stored<B> | null,
    public pending: Pending<B> | null,
    readonly dtype: DType,
  ) {}
  /** Whether the value is still an expression (no buffer holds it yet). */
  get isPending(): boolean {
    return this.pending !== null;
  }
}

/**
 * A pending value read by a second program is computed once into a buffer when it costs more
 * than this (in roughly the time of an add): recomputing a shared subexpression in every kernel
 * that reads it is free for a scale or an offset but not for CIEDE2000's powers and arctangents,
 * where it multiplied the work 7x. Writing and reading the buffer costs about 2 adds.
 */
const REUSE_COST = 6;
const OP_COST: Partial<Record<string, number>> = {
  exp: 8,
  log: 8,
  log1p: 8,
  expm1: 8,
  sin: 8,
  cos: 8,
  tanh: 8,
  sigmoid: 8,
  softplus: 12,
  pow: 12,
  atan2: 12,
  sqrt: 2,
  rsqrt: 2,
  div: 2,
  reciprocal: 2,
};

function cost<B>(p: Pending<B>): number {
  let c = 0;
  for (const n of p.nodes) c += n.k === 'unary' || n.k === 'binary' ? (OP_COST[n.op] ?? 1) : n.k === 'leaf' || n.k === 'const' ? 0 : 1;
  return c;
}

/** Builds one program, sharing identical nodes and leaves (hash-consing). */
class Builder<B> {
  readonly nodes: ExprNode[] = [];
  readonly leaves: PendingLeaf<B>[] = [];
  private readonly nodeIds = new Map<string, number>();
  private readonly leafIds = new Map<string, number>();
  constructor(readonly shape: Shape) {}

  add(n: ExprNode): number {
    // numbers by String: JSON would write -0 as 0 and NaN and the infinities as null
    const key = JSON.stringify(n, (_k, v: unknown) => (typeof v === 'number' ? (Object.is(v, -0) ? '-0' : String(v)) : v));
    let id = this.nodeIds.get(key);
    if (id === undefined) {
      id = this.nodes.length;
      this.nodes.push(n);
      this.nodeIds.set(key, id);
    }
    return id;
  }

  leaf(store: Stored<B>, dtype: DType, strides: readonly number[], offset: number, guard = false): number {
    const key = `${store.id}|${strides.join(',')}|${offset}|${guard}`;
    let leaf = this.leafIds.get(key);
    if (leaf === undefined) {
      leaf = this.leaves.length;
      this.leaves.push({ store, dtype, strides, offset, ...(guard ? { guard } : {}) });
      this.leafIds.set(key, leaf);
    }
    return this.add({ k: 'leaf', dtype, leaf });
  }

  /**
   * Copies p's nodes in, each leaf re-addressed by `at` and each coordinate range an inRange node
   * tests moved by `range` (into a larger rank, or shifted by a pad); returns the id of p's result.
   */
  import(p: Pending<B>, at: (l: PendingLeaf<B>) => Address, range: (r: Range) => Range = (r) => r): number {
    const ids: number[] = [];
    for (const n of p.nodes) {
      let id: number;
      switch (n.k) {
        case 'leaf': {
          const l = p.leaves[n.leaf]!;
          const a = at(l);
          id = this.leaf(l.store, l.dtype, a.strides, a.offset, a.guard ?? l.guard);
          break;
        }
        case 'const':
          id = this.add(n);
          break;
        case 'unary':
          id = this.add({ ...n, x: ids[n.x]! });
          break;
        case 'cast':
          id = this.add({ ...n, x: ids[n.x]! });
          break;
        case 'binary':
          id = this.add({ ...n, a: ids[n.a]!, b: ids[n.b]! });
          break;
        case 'compare':
          id = this.add({ ...n, a: ids[n.a]!, b: ids[n.b]! });
          break;
        case 'where':
          id = this.add({ ...n, c: ids[n.c]!, a: ids[n.a]!, b: ids[n.b]! });
          break;
        case 'inRange':
          id = this.add({ ...n, dims: n.dims.map(range) });
          break;
      }
      ids.push(id);
    }
    return ids[ids.length - 1]!;
  }

  /** The program so far, with every leaf's store retained (the pending value's own references). */
  finish(): Pending<B> {
    for (const l of this.leaves) l.store.retain();
    return { shape: this.shape, nodes: this.nodes, leaves: this.leaves };
  }
}

type Address = { strides: readonly number[]; offset: number; guard?: boolean };
type Range = readonly [d: number, lo: number, hi: number];

/**
 * How each leaf of p is read through the view (outShape, strides, offset) of p's value (element
 * strides into p's dense row-major value, as Backend.strided), or null when that needs a division
 * per element. Exact when every leaf reads in flat order (or one element); otherwise each output
 * dim must walk one dim of p within its bounds (permute, slice, flip, expand, size-1 reshapes).
 */
function viewOf<B>(p: Pending<B>, outShape: Shape, strides: readonly number[], offset: number): ((l: PendingLeaf<B>) => Address) | null {
  // coordinates an inRange node tests do not survive a reshape or a view
  if (rangeDims(p).size > 0) return null;
  const zeros = outShape.map(() => 0);
  if (p.leaves.every((l) => isScalarLeaf(l.strides, p.shape) || isContiguousLeaf(l.strides, p.shape))) {
    return (l) => (isScalarLeaf(l.strides, p.shape) ? { strides: zeros, offset: l.offset } : { strides, offset: l.offset + offset });
  }
  const c = contiguousStrides(p.shape);
  const start: number[] = [];
  let rem = offset;
  for (let e = 0; e < p.shape.length; e++) {
    start.push(Math.floor(rem / c[e]!));
    rem -= start[e]! * c[e]!;
  }
  const lo = [...start],
    hi = [...start];
  const dim: number[] = [],
    step: number[] = [];
  for (let d = 0; d < outShape.length; d++) {
    const n = outShape[d]!,
      s = strides[d]!;
    if (n === 1 || s === 0) {
      dim.push(-1);
      step.push(0);
      continue;
    }
    const e = p.shape.findIndex((m, k) => m > 1 && s % c[k]! === 0);
    if (e < 0) return null;
    const k = s / c[e]!;
    dim.push(e);
    step.push(k);
    if (k > 0) hi[e]! += k * (n - 1);
    else lo[e]! += k * (n - 1);
  }
  if (p.shape.some((n, e) => lo[e]! < 0 || hi[e]! >= n)) return null;
  return (l) => ({
    strides: dim.map((e, d) => (e < 0 ? 0 : step[d]! * l.strides[e]!)),
    offset: l.offset + start.reduce((acc, o, e) => acc + o * l.strides[e]!, 0),
  });
}

/**
 * The fusion layer: a Backend that wraps a backend's kernels and keeps elementwise work pending.
 *
 * unary, binary, compare, where, cast, fill (a JS number operand), strided views (expand,
 * permute, slice, flip) and constant pads (where the wrapped backend has `fused`) return a handle
 * holding a small expression over materialised buffers instead of a buffer. The expression is
 * realised by one kernel (`fused` on the wrapped backend) when something needs memory: a conv,
 * matmul, concat, gather, pooling, a read, or an expression that outgrows the backend's limits.
 * A reduction takes its pending producer into the same kernel (`fusedReduce`). A backend without
 * those two methods gets the same results from its single kernels (`evaluateUnfused`), the
 * specification the fused kernels are tested against.
 *
 * It lives at the Backend seam because handles are opaque to the engine: autodiff, memory scopes
 * and every primitive are unchanged, and VJPs (ordinary ops) fuse the same way. Buffers are
 * reference counted: a pending expression holds the buffers it reads, so disposing an input the
 * expression still needs is safe; everything is released when the last handle goes. Values kept
 * across steps (parameters, optimiser state, gradients) `settle` into their own buffer.
 */
export class LazyBackend<B> implements Backend<LazyBuf<B>> {
  readonly device: Device;
  readonly readSync?: (x: View<LazyBuf<B>>) => DataArray;
  private readonly maxLeaves: number;
  private readonly maxNodes: number;

  constructor(readonly inner: Backend<B> & FusionKernels<B>) {
    this.device = inner.device;
    this.maxLeaves = inner.fusionLimits?.maxLeaves ?? 8;
    this.maxNodes = inner.fusionLimits?.maxNodes ?? 64;
    const readSync = inner.readSync?.bind(inner);
    if (readSync) this.readSync = (x) => readSync(this.realise(x));
  }

  // ---------------------------------------------------------------- handles

  private wrap(buf: B, length: number, dtype: DType): LazyBuf<B> {
    return new LazyBuf(new Stored(this.inner, buf, length), null, dtype);
  }

  private pending(p: Pending<B>, dtype: DType): LazyBuf<B> {
    return new LazyBuf<B>(null, p, dtype);
  }

  /** The handle's buffer as the wrapped backend's view, computing it first if it is pending. */
  realise(x: View<LazyBuf<B>>): View<B> {
    return { buf: this.materialise(x.buf).buf, shape: x.shape, dtype: x.dtype };
  }

  private materialise(h: LazyBuf<B>): Stored<B> {
    if (h.store) return h.store;
    const p = h.pending!;
    h.store = this.evaluate(p, h.dtype);
    h.pending = null;
    for (const l of p.leaves) l.store.release();
    return h.store;
  }

  private evaluate(p: Pending<B>, dtype: DType): Stored<B> {
    const size = sizeOf(p.shape);
    const only = p.nodes.length === 1 ? p.nodes[0]! : null;
    if (only?.k === 'leaf') {
      const l = p.leaves[only.leaf]!;
      // a view that reads its whole buffer in order is that buffer
      if (l.offset === 0 && l.store.length === size && isContiguousLeaf(l.strides, p.shape)) return l.store.retain();
      return new Stored(this.inner, this.inner.strided({ buf: l.store.buf, shape: [l.store.length], dtype: l.dtype }, p.shape, l.strides, l.offset), size);
    }
    if (only?.k === 'const' || size === 0) {
      return new Stored(this.inner, this.inner.fill(size, only?.k === 'const' ? only.value : 0, dtype), size);
    }
    const prog = this.program(p);
    const buf = this.inner.fused ? this.inner.fused(prog) : evaluateUnfused(this.inner, prog);
    return new Stored(this.inner, buf, size);
  }

  private program(p: Pending<B>): FusedProgram<B> {
    return {
      shape: p.shape,
      nodes: p.nodes,
      leaves: p.leaves.map((l) => ({ buf: l.store.buf, dtype: l.dtype, strides: l.strides, offset: l.offset, ...(l.guard ? { guard: true } : {}) })),
    };
  }

  /** x read at each index of the builder's shape (x broadcasts to it) */
  private operand(b: Builder<B>, x: View<LazyBuf<B>>): number {
    const h = x.buf;
    const p = h.pending;
    if (p) {
      // a reshaped pending value (an alias of another shape) is read through a view of it
      const at = shapesEqual(p.shape, x.shape) ? (l: PendingLeaf<B>) => l : viewOf(p, x.shape, contiguousStrides(x.shape), 0);
      const lead = b.shape.length - x.shape.length;
      // a padded dim broadcast from size 1 would need its coordinate pinned to 0: compute it instead
      if (at && [...rangeDims(p)].every((d) => x.shape[d] === b.shape[d + lead])) {
        return b.import(
          p,
          (l) => {
            const a = at(l);
            return { strides: broadcastLeafStrides(a.strides, x.shape, b.shape), offset: a.offset };
          },
          ([d, lo, hi]) => [d + lead, lo, hi],
        );
      }
    }
    const store = this.materialise(h);
    return b.leaf(store, x.dtype, broadcastLeafStrides(contiguousStrides(x.shape), x.shape, b.shape), 0);
  }

  /** Counts a new reader of each pending operand; an expensive one read again is computed once now (REUSE_COST). */
  private use(xs: readonly View<LazyBuf<B>>[]): void {
    for (const h of new Set(xs.map((x) => x.buf))) {
      if (h.pending && ++h.uses > 1 && cost(h.pending) > REUSE_COST) this.materialise(h);
    }
  }

  /**
   * A new pending value: `node` over the operands (see fit).
   */
  private build(op: string, shape: Shape, xs: readonly View<LazyBuf<B>>[], node: (ids: number[]) => ExprNode): LazyBuf<B> {
    const dtype = node(xs.map(() => 0)).dtype;
    this.inner.checkDType?.(dtype, op);
    this.use(xs);
    return this.fit(shape, dtype, xs, (b) => b.add(node(xs.map((x) => this.operand(b, x)))));
  }

  /**
   * The pending value `make` writes into a fresh builder of `shape` (its last node is the result).
   * When the program outgrows the backend's limits, the largest pending operand is realised (its
   * buffer becomes one leaf) and the program is made again.
   */
  private fit(shape: Shape, dtype: DType, xs: readonly View<LazyBuf<B>>[], make: (b: Builder<B>) => void): LazyBuf<B> {
    for (;;) {
      const b = new Builder<B>(shape);
      make(b);
      const pending = xs.filter((x) => x.buf.pending);
      if ((b.leaves.length <= this.maxLeaves && b.nodes.length <= this.maxNodes) || pending.length === 0) {
        return this.pending(b.finish(), dtype);
      }
      this.materialise(pending.sort((u, v) => v.buf.pending!.nodes.length - u.buf.pending!.nodes.length)[0]!.buf);
    }
  }

  // ---------------------------------------------------------------- memory

  upload(data: DataArray, dtype: DType, owned?: boolean): LazyBuf<B> {
    return this.wrap(this.inner.upload(data, dtype, owned), data.length, dtype);
  }
  fill(size: number, value: number, dtype: DType): LazyBuf<B> {
    this.inner.checkDType?.(dtype, 'fill');
    return this.pending({ shape: [size], nodes: [{ k: 'const', dtype, value }], leaves: [] }, dtype);
  }
  read(x: View<LazyBuf<B>>): Promise<DataArray> {
    return this.inner.read(this.realise(x));
  }
  dispose(h: LazyBuf<B>): void {
    if (h.store) h.store.release();
    else for (const l of h.pending!.leaves) l.store.release();
    h.store = null;
    h.pending = { shape: [], nodes: [], leaves: [] };
  }
  settle(h: LazyBuf<B>): void {
    this.materialise(h);
  }
  memory(): BackendMemory {
    return this.inner.memory();
  }
  counters(): BackendCounters {
    return this.inner.counters();
  }

  // ---------------------------------------------------------------- elementwise: pending

  unary: Backend<LazyBuf<B>>['unary'] = (op, x, params) => this.build(op, x.shape, [x], ([a]) => ({ k: 'unary', dtype: x.dtype, op, params, x: a! }));
  binary: Backend<LazyBuf<B>>['binary'] = (op, a, b, outShape) =>
    this.build(op, outShape, [a, b], ([i, j]) => ({ k: 'binary', dtype: a.dtype, op, a: i!, b: j! }));
  compare: Backend<LazyBuf<B>>['compare'] = (op, a, b, outShape) =>
    this.build(op, outShape, [a, b], ([i, j]) => ({ k: 'compare', dtype: 'bool', op, a: i!, b: j! }));
  where: Backend<LazyBuf<B>>['where'] = (c, a, b, outShape) =>
    this.build('where', outShape, [c, a, b], ([i, j, k]) => ({ k: 'where', dtype: a.dtype, c: i!, a: j!, b: k! }));
  cast: Backend<LazyBuf<B>>['cast'] = (x, dtype) => this.build('cast', x.shape, [x], ([a]) => ({ k: 'cast', dtype, x: a! }));

  strided: Backend<LazyBuf<B>>['strided'] = (x, outShape, strides, offset) => {
    this.use([x]);
    const p = x.buf.pending;
    const b = new Builder<B>(outShape);
    const at = p && viewOf(p, outShape, strides, offset);
    if (at) {
      b.import(p, at);
    } else {
      b.leaf(this.materialise(x.buf), x.dtype, strides, offset);
    }
    return this.pending(b.finish(), x.dtype);
  };

  // ---------------------------------------------------------------- reductions: take their producer

  reduce: Backend<LazyBuf<B>>['reduce'] = (op, x, axes) => {
    const p = x.buf.pending;
    const size = sizeOf(x.shape);
    this.use([x]);
    const trailing = axes.every((a, k) => a === x.shape.length - axes.length + k);
    if ((p || (this.inner.fuseAllReductions && !trailing)) && this.inner.fusedReduce && size > 0) {
      const b = new Builder<B>(x.shape);
      this.operand(b, x);
      const q = b.finish();
      const only = q.nodes.length === 1 && q.nodes[0]!.k === 'leaf' ? q.leaves[0]! : null;
      try {
        // a plain buffer needs no program (unless the backend reduces those better as one)
        if (!(only && only.offset === 0 && only.store.length === size && isContiguousLeaf(only.strides, x.shape)) || this.inner.fuseAllReductions) {
          return this.wrap(this.inner.fusedReduce(op, this.program(q), axes), size / sizeOf(axes.map((a) => x.shape[a]!)), x.dtype);
        }
      } finally {
        for (const l of q.leaves) l.store.release();
      }
    }
    return this.wrap(this.inner.reduce(op, this.realise(x), axes), size / sizeOf(axes.map((a) => x.shape[a]!)), x.dtype);
  };

  // ---------------------------------------------------------------- everything else needs memory

  argReduce: Backend<LazyBuf<B>>['argReduce'] = (op, x, axis) =>
    this.wrap(this.inner.argReduce(op, this.realise(x), axis), sizeOf(x.shape) / (x.shape[axis] || 1), 'int32');
  /**
   * A pad is pending too: where(inRange, x read at the shifted coordinate, value), so the
   * gradient of a slice (a pad) and the sum of several such gradients (a concat's VJP) are one
   * kernel. Reads outside x at padded positions are discarded by the select (a typed array gives
   * undefined there, WebGPU's robust access a clamped element).
   */
  pad: Backend<LazyBuf<B>>['pad'] = (x, pads, value) => {
    const outShape = x.shape.map((n, d) => n + pads[d]![0] + pads[d]![1]);
    if (!this.inner.fused || sizeOf(outShape) === 0) return this.wrap(this.inner.pad(this.realise(x), pads, value), sizeOf(outShape), x.dtype);
    this.use([x]);
    const shift = (strides: readonly number[], offset: number): Address => ({
      strides,
      offset: offset - pads.reduce((acc, [before], d) => acc + before * strides[d]!, 0),
      guard: true,
    });
    const dims = pads.flatMap(([before, after], d) => (before || after ? [[d, before, before + x.shape[d]!] as const] : []));
    return this.fit(outShape, x.dtype, [x], (b) => {
      const p = x.buf.pending;
      const id =
        p && shapesEqual(p.shape, x.shape)
          ? b.import(
              p,
              (l) => shift(l.strides, l.offset),
              ([d, lo, hi]) => [d, lo + pads[d]![0], hi + pads[d]![0]],
            )
          : b.leaf(this.materialise(x.buf), x.dtype, contiguousStrides(x.shape), shift(contiguousStrides(x.shape), 0).offset, true);
      const cond = b.add({ k: 'inRange', dtype: 'bool', dims });
      const fill = b.add({ k: 'const', dtype: x.dtype, value });
      return b.add({ k: 'where', dtype: x.dtype, c: cond, a: id, b: fill });
    });
  };
  concat: Backend<LazyBuf<B>>['concat'] = (xs, axis, outShape) =>
    this.wrap(
      this.inner.concat(
        xs.map((x) => this.realise(x)),
        axis,
        outShape,
      ),
      sizeOf(outShape),
      xs[0]!.dtype,
    );
  gather: Backend<LazyBuf<B>>['gather'] = (x, axis, index) =>
    this.wrap(this.inner.gather(this.realise(x), axis, this.realise(index)), sizeOf(index.shape), x.dtype);
  scatterAdd: Backend<LazyBuf<B>>['scatterAdd'] = (outShape, axis, index, src) =>
    this.wrap(this.inner.scatterAdd(outShape, axis, this.realise(index), this.realise(src)), sizeOf(outShape), src.dtype);
  matmul: Backend<LazyBuf<B>>['matmul'] = (a, b, transA, transB, outShape) =>
    this.wrap(this.inner.matmul(this.realise(a), this.realise(b), transA, transB, outShape), sizeOf(outShape), a.dtype);
  conv2d: Backend<LazyBuf<B>>['conv2d'] = (x, w, p) => {
    const [N, , H, W] = x.shape as [number, number, number, number];
    const [O, , kh, kw] = w.shape as [number, number, number, number];
    const Ho = Math.floor((H + 2 * p.padding[0] - p.dilation[0] * (kh - 1) - 1) / p.stride[0]) + 1;
    const Wo = Math.floor((W + 2 * p.padding[1] - p.dilation[1] * (kw - 1) - 1) / p.stride[1]) + 1;
    return this.wrap(this.inner.conv2d(this.realise(x), this.realise(w), p), N * O * Ho * Wo, x.dtype);
  };
  conv2dInputGrad: Backend<LazyBuf<B>>['conv2dInputGrad'] = (dy, w, p, hw) =>
    this.wrap(this.inner.conv2dInputGrad(this.realise(dy), this.realise(w), p, hw), dy.shape[0]! * w.shape[1]! * p.groups * hw[0] * hw[1], dy.dtype);
  conv2dWeightGrad: Backend<LazyBuf<B>>['conv2dWeightGrad'] = (x, dy, p, hw) =>
    this.wrap(this.inner.conv2dWeightGrad(this.realise(x), this.realise(dy), p, hw), dy.shape[1]! * (x.shape[1]! / p.groups) * hw[0] * hw[1], x.dtype);
  maxPool2d: Backend<LazyBuf<B>>['maxPool2d'] = (x, p, outHW) => {
    const { values, indices } = this.inner.maxPool2d(this.realise(x), p, outHW);
    const n = x.shape[0]! * x.shape[1]! * outHW[0] * outHW[1];
    return { values: this.wrap(values, n, x.dtype), indices: this.wrap(indices, n, 'int32') };
  };
}
