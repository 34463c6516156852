import type { Backend, Device } from './backend.js';
import { allocArray, type DataArray, type DType, inferDType, isDType, isFloat } from './dtype.js';
import { getBackend, getDefaultDevice } from './engine.js';
import { DTypeError, ShapeError, ValueError, fmtShape } from './errors.js';
import { defaultGenerator, type Generator } from './random.js';
import { type Shape, assertValidShape, sizeOf } from './shape.js';
import { type NestedArray, Storage, Tensor, fromData } from './tensor.js';

export interface TensorOptions {
  /** default: float32, or what the data is (Float64Array -> float64, Int32Array -> int32, booleans -> bool) */
  dtype?: DType;
  /** default: the default device ('cpu' until `init('webgpu')`) */
  device?: Device;
  requiresGrad?: boolean;
}

export interface CreateOptions extends TensorOptions {
  /** read flat data as this shape */
  shape?: readonly number[];
}

export interface RandomOptions extends TensorOptions {
  /** a Generator to draw from (default: the global one, see `manualSeed`) */
  generator?: Generator;
}

type Data = number | boolean | NestedArray | readonly number[] | ArrayLike<number>;

function finish(data: DataArray, shape: Shape, dtype: DType, opts: TensorOptions): Tensor {
  const device = opts.device ?? getDefaultDevice();
  // every caller passes a freshly made array, so the backend may keep it
  const t = fromData(getBackend(device), data, shape, dtype, true);
  if (opts.requiresGrad) t.requiresGrad = true;
  return t;
}

function checkDType(op: string, dtype: unknown): DType {
  if (!isDType(dtype)) throw new DTypeError(`${op}: unknown dtype ${JSON.stringify(dtype)} (use float32, float64, int32 or bool)`);
  return dtype;
}

function toArray(values: ArrayLike<number>, dtype: DType): DataArray {
  const out = allocArray(dtype, values.length);
  if (dtype === 'bool') for (let i = 0; i < values.length; i++) out[i] = values[i] ? 1 : 0;
  else if (dtype === 'int32') for (let i = 0; i < values.length; i++) out[i] = Math.trunc(values[i]!);
  else out.set(values);
  return out;
}

/** Constant buffers per backend, by dtype, shape and values (see `constant`). */
const constants = new WeakMap<Backend, Map<string, Storage>>();
const MAX_CONSTANT = 4096;

/**
 * A constant tensor (filter weights, colour matrices) whose buffer is made once per backend,
 * dtype, shape and values and then shared: a loss called every step uploads its Gaussian window
 * once, not once per call. Each call returns a new tensor (dispose it as any other); the shared
 * buffer lives as long as the backend. Up to 4096 values (larger data is uploaded as `tensor`).
 * @example const w = constant([0.25, 0.5, 0.25], { shape: [1, 1, 1, 3] })
 */
export function constant(data: readonly number[], opts: { shape: readonly number[]; dtype?: DType; device?: Device }): Tensor {
  const dtype = checkDType('constant', opts.dtype ?? 'float32');
  const shape = [...opts.shape];
  assertValidShape('constant', shape);
  if (sizeOf(shape) !== data.length) throw new ShapeError(`constant: ${data.length} values do not fill shape ${fmtShape(shape)}`);
  const backend = getBackend(opts.device ?? getDefaultDevice());
  if (data.length > MAX_CONSTANT) return fromData(backend, toArray(data, dtype), shape, dtype, true);
  let perBackend = constants.get(backend);
  if (!perBackend) constants.set(backend, (perBackend = new Map()));
  const key = `${dtype}|${shape.join(',')}|${data.join(',')}`;
  let storage = perBackend.get(key);
  if (!storage) {
    // the cache's own reference keeps the buffer for later calls
    storage = Storage.wrap(backend, backend.upload(toArray(data, dtype), dtype, true), shape, dtype);
    perBackend.set(key, storage);
  }
  storage.refs++;
  return new Tensor(storage, shape, dtype);
}

/** Shape and flat values of nested JS arrays; ragged nesting is a ShapeError. */
function flattenNested(data: NestedArray): { shape: number[]; flat: number[] } {
  const shape: number[] = [];
  let probe: NestedArray = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0]!;
  }
  const flat: number[] = [];
  const walk = (x: NestedArray, dim: number, path: number[]) => {
    if (dim === shape.length) {
      if (Array.isArray(x)) throw new ShapeError(`tensor: ragged nested array at [${path.join(', ')}]: expected a number, found an array`);
      if (typeof x !== 'number' && typeof x !== 'boolean')
        throw new ValueError(`tensor: element at [${path.join(', ')}] is ${typeof x}, not a number or boolean`);
      flat.push(typeof x === 'boolean' ? Number(x) : x);
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[dim]) {
      throw new ShapeError(
        `tensor: ragged nested array at [${path.join(', ')}]: expected ${shape[dim]} elements, found ${Array.isArray(x) ? x.length : 'a scalar'}`,
      );
    }
    x.forEach((v, i) => walk(v, dim + 1, [...path, i]));
  };
  walk(data, 0, []);
  return { shape, flat };
}

/**
 * A tensor from nested arrays, a typed array (read as `shape`, default 1-D) or a scalar.
 * @example tensor([[1, 2], [3, 4]], { dtype: 'float64', requiresGrad: true })
 */
export function tensor(data: Data, opts: CreateOptions = {}): Tensor {
  const dtype = checkDType('tensor', opts.dtype ?? inferDType(data));
  let shape: number[];
  let flat: ArrayLike<number>;
  if (typeof data === 'number' || typeof data === 'boolean') {
    shape = [];
    flat = [Number(data)];
  } else if (Array.isArray(data)) {
    ({ shape, flat } = flattenNested(data as NestedArray));
  } else if (ArrayBuffer.isView(data) || (typeof data === 'object' && data !== null && 'length' in data)) {
    flat = data as ArrayLike<number>;
    shape = [flat.length];
  } else {
    throw new ValueError(`tensor: cannot make a tensor from ${typeof data}`);
  }
  if (opts.shape) {
    assertValidShape('tensor', opts.shape);
    if (sizeOf(opts.shape) !== flat.length) {
      throw new ShapeError(`tensor: ${flat.length} values cannot be read as shape ${fmtShape(opts.shape)} (${sizeOf(opts.shape)} elements)`);
    }
    shape = [...opts.shape];
  }
  return finish(toArray(flat, dtype), shape, dtype, opts);
}

/** A tensor of `shape` filled with `value`. */
export function full(shape: readonly number[], value: number, opts: TensorOptions = {}): Tensor {
  assertValidShape('full', shape);
  const dtype = checkDType('full', opts.dtype ?? 'float32');
  const backend = getBackend(opts.device ?? getDefaultDevice());
  const v = dtype === 'bool' ? Number(value !== 0) : dtype === 'int32' ? Math.trunc(value) : value;
  const t = new Tensor(Storage.wrap(backend, backend.fill(sizeOf(shape), v, dtype), shape, dtype), [...shape], dtype);
  if (opts.requiresGrad) t.requiresGrad = true;
  return t;
}

export function zeros(shape: readonly number[], opts: TensorOptions = {}): Tensor {
  return full(shape, 0, opts);
}
export function ones(shape: readonly number[], opts: TensorOptions = {}): Tensor {
  return full(shape, 1, opts);
}
/** A 0-d tensor. */
export function scalar(value: number, opts: TensorOptions = {}): Tensor {
  return full([], value, opts);
}

function like(t: Tensor, opts: TensorOptions): TensorOptions {
  return { dtype: t.dtype, device: t.device, ...opts };
}
export function zerosLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  return full(t.shape, 0, like(t, opts));
}
export function onesLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  return full(t.shape, 1, like(t, opts));
}
export function fullLike(t: Tensor, value: number, opts: TensorOptions = {}): Tensor {
  return full(t.shape, value, like(t, opts));
}

/**
 * Values from start (inclusive) to stop (exclusive) by step, as numpy.arange; `arange(n)` is 0..n-1.
 * The dtype is int32 when every argument is an integer, float32 otherwise.
 */
export function arange(start: number, stop?: number, step = 1, opts: TensorOptions = {}): Tensor {
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0 || !Number.isFinite(step)) throw new ValueError(`arange: step must be a finite non-zero number, got ${step}`);
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const dtype = opts.dtype ?? ([start, stop, step].every(Number.isInteger) ? 'int32' : 'float32');
  const out = allocArray(checkDType('arange', dtype), n);
  for (let i = 0; i < n; i++) out[i] = start + i * step;
  return finish(out, [n], dtype, opts);
}

/** `num` evenly spaced values from start to stop, both included (as torch.linspace). */
export function linspace(start: number, stop: number, num: number, opts: TensorOptions = {}): Tensor {
  if (!Number.isInteger(num) || num < 0) throw new ValueError(`linspace: num must be a non-negative integer, got ${num}`);
  const dtype = checkDType('linspace', opts.dtype ?? 'float32');
  const out = allocArray(dtype, num);
  const step = num > 1 ? (stop - start) / (num - 1) : 0;
  // the second half counts back from stop so that the last value is exactly stop (as PyTorch)
  for (let i = 0; i < num; i++) out[i] = i < num / 2 ? start + i * step : stop - (num - 1 - i) * step;
  return finish(out, [num], dtype, opts);
}

/** An n x m matrix with ones on the diagonal. */
export function eye(n: number, m = n, opts: TensorOptions = {}): Tensor {
  assertValidShape('eye', [n, m]);
  const dtype = checkDType('eye', opts.dtype ?? 'float32');
  const out = allocArray(dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) out[i * m + i] = 1;
  return finish(out, [n, m], dtype, opts);
}

function random(op: string, shape: readonly number[], opts: RandomOptions, draw: (g: Generator) => number): Tensor {
  assertValidShape(op, shape);
  const dtype = checkDType(op, opts.dtype ?? 'float32');
  if (!isFloat(dtype)) throw new DTypeError(`${op}: dtype must be float32 or float64, got ${dtype}`);
  const g = opts.generator ?? defaultGenerator;
  const out = allocArray(dtype, sizeOf(shape));
  for (let i = 0; i < out.length; i++) out[i] = draw(g);
  return finish(out, [...shape], dtype, opts);
}

/** Uniform values in [0, 1) from a seedable generator. */
export function rand(shape: readonly number[], opts: RandomOptions = {}): Tensor {
  return random('rand', shape, opts, (g) => g.uniform());
}
/** Standard normal values from a seedable generator. */
export function randn(shape: readonly number[], opts: RandomOptions = {}): Tensor {
  return random('randn', shape, opts, (g) => g.normal());
}
export function randLike(t: Tensor, opts: RandomOptions = {}): Tensor {
  return rand(t.shape, { dtype: t.dtype, device: t.device, ...opts });
}
export function randnLike(t: Tensor, opts: RandomOptions = {}): Tensor {
  return randn(t.shape, { dtype: t.dtype, device: t.device, ...opts });
}
