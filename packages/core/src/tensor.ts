import type { Backend, Device, UnaryParams, View } from './backend.js';
import { bytesPerElement, type DataArray, type DType, isFloat } from './dtype.js';
import { AutodiffError, DisposedError, DTypeError, ValueError, fmtShape } from './errors.js';
import { getBackend } from './engine.js';
import { track, untrack } from './memory.js';
import type { Node } from './prim.js';
import { type Shape, sizeOf } from './shape.js';
import * as ops from './ops/index.js';
import { backward, type BackwardOptions } from './autodiff.js';

/** A value an op accepts where a tensor goes: a tensor, or a JS number used as a scalar of the tensor's dtype. */
export type TensorLike = Tensor | number;

/** Nested JS arrays, as returned by `array()`. */
export type NestedArray = number | boolean | NestedArray[];

/** A backend buffer with a reference count, shared by tensors that alias it (reshape). */
export class Storage {
  refs = 1;
  private constructor(
    readonly backend: Backend,
    readonly buf: unknown,
    readonly bytes: number,
  ) {
    liveBytes.set(backend.device, (liveBytes.get(backend.device) ?? 0) + bytes);
  }

  static wrap(backend: Backend, buf: unknown, shape: Shape, dtype: DType): Storage {
    return new Storage(backend, buf, sizeOf(shape) * bytesPerElement(dtype));
  }

  release(): void {
    if (--this.refs === 0) {
      liveBytes.set(this.backend.device, liveBytes.get(this.backend.device)! - this.bytes);
      this.backend.dispose(this.buf);
    }
  }
}

const liveBytes = new Map<Device, number>();
const liveTensors = new Map<Device, number>();
let nextId = 1;
let internalUse = 0;

/** Live tensors and bytes per device, as counted by the engine (see `memory()`). */
export function liveCounts(): { device: Device; tensors: number; bytes: number }[] {
  const devices = new Set<Device>([...liveBytes.keys(), ...liveTensors.keys()]);
  return [...devices].map((device) => ({ device, tensors: liveTensors.get(device) ?? 0, bytes: liveBytes.get(device) ?? 0 }));
}

/**
 * Runs fn while tensors the user disposed but a graph still holds may be used (backward needs
 * the saved inputs of every node, whatever happened to the user's handles).
 */
export function withInternalUse<T>(fn: () => T): T {
  internalUse++;
  try {
    return fn();
  } finally {
    internalUse--;
  }
}

/** Throws a DisposedError when t can no longer be used by `op`. */
export function assertUsable(t: Tensor, op: string): void {
  if (!(t instanceof Tensor)) throw new ValueError(`${op}: expected a Tensor, got ${t === null ? 'null' : typeof t}`);
  if (t._refs === 0 || (t._disposed && internalUse === 0)) {
    throw new DisposedError(`${op}: tensor #${t.id} ${fmtShape(t.shape)} ${t.dtype} was disposed and cannot be used`);
  }
}

/**
 * An n-dimensional array on a device, with reverse-mode autodiff.
 *
 * Memory is deterministic: a tensor lives until `dispose()` (or the end of the `tidy` scope that
 * made it) and until no recorded graph needs it. Reading values is async on every backend
 * (`await t.data()`); the CPU backend also allows `dataSync()`.
 */
export class Tensor {
  readonly id = nextId++;
  readonly size: number;
  /** @internal */ _node: Node | null = null;
  /** @internal owners: the user's handle (until dispose) plus every graph node that saved this tensor */
  _refs = 1;
  /** @internal */ _disposed = false;
  /** @internal */ _requiresGrad = false;
  /** @internal */ _grad: Tensor | null = null;

  /** @internal use the creation functions (`tensor`, `zeros`, ...) */
  constructor(
    /** @internal */ public _storage: Storage,
    readonly shape: Shape,
    readonly dtype: DType,
  ) {
    this.size = sizeOf(shape);
    liveTensors.set(this.device, (liveTensors.get(this.device) ?? 0) + 1);
    track(this);
  }

  /** @internal a tensor owned by a graph node only (not by the user, not by a scope) */
  static _internal(storage: Storage, shape: Shape, dtype: DType): Tensor {
    const t = new Tensor(storage, shape, dtype);
    untrack(t);
    t._disposed = true;
    return t;
  }

  get device(): Device {
    return this._storage.backend.device;
  }
  get rank(): number {
    return this.shape.length;
  }
  /** True for tensors not produced by a recorded op (inputs and parameters). */
  get isLeaf(): boolean {
    return this._node === null;
  }
  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Whether gradients flow to this tensor. Settable on leaves only, and only for float dtypes. */
  get requiresGrad(): boolean {
    return this._requiresGrad;
  }
  set requiresGrad(v: boolean) {
    if (!this.isLeaf) {
      throw new AutodiffError(
        `requiresGrad can only be changed on leaf tensors; tensor #${this.id} was computed by ${this._node!.prim.name} (use .detach() to get a leaf)`,
      );
    }
    if (v && !isFloat(this.dtype)) throw new DTypeError(`only float tensors can require gradients; tensor #${this.id} is ${this.dtype}`);
    this._requiresGrad = v;
  }
  /** Sets requiresGrad in place and returns this tensor (chainable). */
  requiresGrad_(v = true): this {
    this.requiresGrad = v;
    return this;
  }

  /** The gradient accumulated by `backward()` on a leaf, or null. */
  get grad(): Tensor | null {
    return this._grad;
  }
  set grad(g: Tensor | null) {
    if (g !== null) {
      assertUsable(g, 'grad');
      if (g.shape.length !== this.shape.length || g.shape.some((d, i) => d !== this.shape[i])) {
        throw new ValueError(`grad: a gradient of shape ${fmtShape(g.shape)} cannot be assigned to a tensor of shape ${fmtShape(this.shape)}`);
      }
      untrack(g);
    }
    if (this._grad && this._grad !== g) this._grad.dispose();
    // a gradient outlives the backward pass that made it: it holds its own buffer
    this._grad = g?._settle() ?? null;
  }
  /** Drops the accumulated gradient (as PyTorch's zero_grad with set_to_none). */
  zeroGrad(): void {
    this.grad = null;
  }

  /** @internal the backend view of this tensor's buffer */
  _view(): View {
    return { buf: this._storage.buf, shape: this.shape, dtype: this.dtype };
  }

  /** @internal drop one owner; at zero, free the buffer and the graph node it held */
  _release(): void {
    const stack: Tensor[] = [this];
    while (stack.length > 0) {
      const t = stack.pop()!;
      if (--t._refs > 0) continue;
      t._storage.release();
      liveTensors.set(t.device, liveTensors.get(t.device)! - 1);
      if (t._grad) {
        const g = t._grad;
        t._grad = null;
        g.dispose();
      }
      const node = t._node;
      if (node && !node.released) {
        node.released = true;
        stack.push(...node.inputs, ...node.extra);
      }
    }
  }

  /** Releases the user's handle. The memory goes once no graph needs it. Calling twice is harmless. */
  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    untrack(this);
    this._release();
  }

  // ---------------------------------------------------------------- reading values

  /** The values as a fresh typed array (row-major). Works on every backend. */
  async data(): Promise<DataArray> {
    assertUsable(this, 'data');
    return this._storage.backend.read(this._view());
  }
  /** Synchronous read; only on backends that allow it (CPU). */
  dataSync(): DataArray {
    assertUsable(this, 'dataSync');
    const b = this._storage.backend;
    if (!b.readSync) throw new ValueError(`dataSync: the ${b.device} backend reads asynchronously; use \`await t.data()\``);
    return b.readSync(this._view());
  }
  /** The values as nested JS arrays (booleans for bool tensors). */
  async array(): Promise<NestedArray> {
    return nest(await this.data(), this.shape, this.dtype);
  }
  arraySync(): NestedArray {
    return nest(this.dataSync(), this.shape, this.dtype);
  }
  /** The single value of a one-element tensor. */
  async item(): Promise<number> {
    this.assertOneElement();
    return (await this.data())[0]!;
  }
  itemSync(): number {
    this.assertOneElement();
    return this.dataSync()[0]!;
  }
  private assertOneElement(): void {
    if (this.size !== 1) throw new ValueError(`item: tensor of shape ${fmtShape(this.shape)} has ${this.size} elements, not 1`);
  }

  /** A copy on another device (not differentiable: the copy is a leaf). Sync when this backend reads synchronously. */
  to(device: Device): Tensor {
    if (device === this.device) return this;
    const data = this.dataSync();
    return fromData(getBackend(device), data, this.shape, this.dtype, true);
  }
  /** A copy on another device, from any backend. */
  async toAsync(device: Device): Promise<Tensor> {
    if (device === this.device) return this;
    return fromData(getBackend(device), await this.data(), this.shape, this.dtype, true);
  }

  toString(): string {
    return `Tensor(${fmtShape(this.shape)}, ${this.dtype}, ${this.device}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }

  // ---------------------------------------------------------------- autodiff

  /**
   * Accumulates d(this)/d(leaf) into every leaf's `.grad`. A non-scalar tensor needs `gradient`
   * (the cotangent, same shape). The graph is released afterwards unless `retainGraph`;
   * `createGraph` records the backward pass itself so the gradients can be differentiated again.
   */
  backward(gradient?: Tensor, opts: BackwardOptions = {}): void {
    backward(this, gradient, opts);
  }
  /** A leaf sharing this tensor's values, cut from the graph. */
  detach(): Tensor {
    assertUsable(this, 'detach');
    this._storage.refs++;
    return new Tensor(this._storage, this.shape, this.dtype);
  }
  /**
   * @internal Makes this leaf hold `other`'s values, keeping the same Tensor object (so every
   * reference to a parameter stays valid): the storage is swapped for `other`'s, shared, not
   * copied (buffers are immutable, so sharing is safe; `other` may be disposed afterwards).
   * This is how optimisers update parameters (PyTorch's in-place `param.add_` under no_grad).
   * Only leaves, with the same shape, dtype and device. A graph recorded before the call that
   * saved this tensor would see the new values, as after an in-place op: step after backward.
   */
  _assign(other: Tensor): void {
    assertUsable(this, '_assign');
    assertUsable(other, '_assign');
    if (!this.isLeaf) throw new AutodiffError(`_assign: tensor #${this.id} was computed by ${this._node!.prim.name}; only leaves can be assigned`);
    if (
      other.dtype !== this.dtype ||
      other.device !== this.device ||
      other.shape.length !== this.shape.length ||
      other.shape.some((d, i) => d !== this.shape[i])
    ) {
      throw new ValueError(
        `_assign: cannot assign ${fmtShape(other.shape)} ${other.dtype} (${other.device}) to tensor #${this.id} ${fmtShape(this.shape)} ${this.dtype} (${this.device})`,
      );
    }
    other._storage.refs++;
    this._storage.release();
    this._storage = other._storage;
    this._settle();
  }

  /**
   * @internal Computes the value now on a backend that defers elementwise work (LazyBackend), so
   * a tensor kept across steps (a parameter, an optimiser's state) holds one buffer, not the
   * expression that made it and every input that expression reads.
   */
  _settle(): this {
    this._storage.backend.settle?.(this._storage.buf);
    return this;
  }
  clone(): Tensor {
    return ops.clone(this);
  }

  // ---------------------------------------------------------------- elementwise
  add(b: TensorLike): Tensor {
    return ops.add(this, b);
  }
  sub(b: TensorLike): Tensor {
    return ops.sub(this, b);
  }
  mul(b: TensorLike): Tensor {
    return ops.mul(this, b);
  }
  div(b: TensorLike): Tensor {
    return ops.div(this, b);
  }
  pow(b: TensorLike): Tensor {
    return ops.pow(this, b);
  }
  maximum(b: TensorLike): Tensor {
    return ops.maximum(this, b);
  }
  minimum(b: TensorLike): Tensor {
    return ops.minimum(this, b);
  }
  atan2(b: TensorLike): Tensor {
    return ops.atan2(this, b);
  }
  eq(b: TensorLike): Tensor {
    return ops.eq(this, b);
  }
  ne(b: TensorLike): Tensor {
    return ops.ne(this, b);
  }
  lt(b: TensorLike): Tensor {
    return ops.lt(this, b);
  }
  le(b: TensorLike): Tensor {
    return ops.le(this, b);
  }
  gt(b: TensorLike): Tensor {
    return ops.gt(this, b);
  }
  ge(b: TensorLike): Tensor {
    return ops.ge(this, b);
  }
  neg(): Tensor {
    return ops.neg(this);
  }
  abs(): Tensor {
    return ops.abs(this);
  }
  sign(): Tensor {
    return ops.sign(this);
  }
  exp(): Tensor {
    return ops.exp(this);
  }
  log(): Tensor {
    return ops.log(this);
  }
  log1p(): Tensor {
    return ops.log1p(this);
  }
  expm1(): Tensor {
    return ops.expm1(this);
  }
  sqrt(): Tensor {
    return ops.sqrt(this);
  }
  rsqrt(): Tensor {
    return ops.rsqrt(this);
  }
  square(): Tensor {
    return ops.square(this);
  }
  reciprocal(): Tensor {
    return ops.reciprocal(this);
  }
  sin(): Tensor {
    return ops.sin(this);
  }
  cos(): Tensor {
    return ops.cos(this);
  }
  tanh(): Tensor {
    return ops.tanh(this);
  }
  sigmoid(): Tensor {
    return ops.sigmoid(this);
  }
  relu(): Tensor {
    return ops.relu(this);
  }
  leakyRelu(slope?: number): Tensor {
    return ops.leakyRelu(this, slope);
  }
  softplus(opts?: { beta?: number; threshold?: number }): Tensor {
    return ops.softplus(this, opts);
  }
  floor(): Tensor {
    return ops.floor(this);
  }
  ceil(): Tensor {
    return ops.ceil(this);
  }
  round(): Tensor {
    return ops.round(this);
  }
  clamp(min?: number | null, max?: number | null): Tensor {
    return ops.clamp(this, min, max);
  }
  cast(dtype: DType): Tensor {
    return ops.cast(this, dtype);
  }

  // ---------------------------------------------------------------- reductions
  sum(axis?: number | readonly number[], keepdim?: boolean): Tensor {
    return ops.sum(this, axis, keepdim);
  }
  mean(axis?: number | readonly number[], keepdim?: boolean): Tensor {
    return ops.mean(this, axis, keepdim);
  }
  max(axis?: number | readonly number[], keepdim?: boolean): Tensor {
    return ops.max(this, axis, keepdim);
  }
  min(axis?: number | readonly number[], keepdim?: boolean): Tensor {
    return ops.min(this, axis, keepdim);
  }
  prod(axis?: number | readonly number[], keepdim?: boolean): Tensor {
    return ops.prod(this, axis, keepdim);
  }
  argmax(axis?: number, keepdim?: boolean): Tensor {
    return ops.argmax(this, axis, keepdim);
  }
  argmin(axis?: number, keepdim?: boolean): Tensor {
    return ops.argmin(this, axis, keepdim);
  }
  var(axis?: number | readonly number[], opts?: ops.VarianceOptions): Tensor {
    return ops.variance(this, axis, opts);
  }
  std(axis?: number | readonly number[], opts?: ops.VarianceOptions): Tensor {
    return ops.std(this, axis, opts);
  }
  logsumexp(axis?: number | readonly number[], keepdim?: boolean): Tensor {
    return ops.logsumexp(this, axis, keepdim);
  }
  softmax(axis?: number): Tensor {
    return ops.softmax(this, axis);
  }
  logSoftmax(axis?: number): Tensor {
    return ops.logSoftmax(this, axis);
  }

  // ---------------------------------------------------------------- movement
  reshape(shape: readonly number[]): Tensor {
    return ops.reshape(this, shape);
  }
  flatten(startDim?: number, endDim?: number): Tensor {
    return ops.flatten(this, startDim, endDim);
  }
  permute(axes: readonly number[]): Tensor {
    return ops.permute(this, axes);
  }
  transpose(dim0?: number, dim1?: number): Tensor {
    return ops.transpose(this, dim0, dim1);
  }
  expand(shape: readonly number[]): Tensor {
    return ops.expand(this, shape);
  }
  squeeze(axis?: number | readonly number[]): Tensor {
    return ops.squeeze(this, axis);
  }
  unsqueeze(axis: number): Tensor {
    return ops.unsqueeze(this, axis);
  }
  slice(spec: ops.SliceSpec): Tensor {
    return ops.slice(this, spec);
  }
  pad(pads: readonly number[], opts?: ops.PadOptions): Tensor {
    return ops.pad(this, pads, opts);
  }
  flip(axes: number | readonly number[]): Tensor {
    return ops.flip(this, axes);
  }
  gather(axis: number, index: Tensor): Tensor {
    return ops.gather(this, axis, index);
  }
  indexSelect(axis: number, index: Tensor): Tensor {
    return ops.indexSelect(this, axis, index);
  }
  matmul(b: Tensor): Tensor {
    return ops.matmul(this, b);
  }
}

/** @internal a new tensor holding `data` on a backend; `owned` gives the array away (see Backend.upload) */
export function fromData(backend: Backend, data: DataArray, shape: Shape, dtype: DType, owned = false): Tensor {
  const buf = backend.upload(data, dtype, owned);
  return new Tensor(Storage.wrap(backend, buf, shape, dtype), shape, dtype);
}

function nest(data: DataArray, shape: Shape, dtype: DType): NestedArray {
  const conv = dtype === 'bool' ? (v: number) => v !== 0 : (v: number) => v;
  if (shape.length === 0) return conv(data[0]!);
  const build = (dim: number, offset: number, stride: number): NestedArray[] => {
    const n = shape[dim]!;
    const inner = stride / Math.max(n, 1);
    const out: NestedArray[] = [];
    for (let i = 0; i < n; i++) {
      out.push(dim === shape.length - 1 ? conv(data[offset + i]!) : build(dim + 1, offset + i * inner, inner));
    }
    return out;
  };
  return build(0, 0, sizeOf(shape));
}

export type { UnaryParams };
