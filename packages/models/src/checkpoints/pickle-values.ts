/**
 * The values the restricted unpickler builds: plain JS values for Python's plain values, and a
 * few small classes for the things a torch checkpoint references (storages, tensors, allowlisted
 * globals).
 *
 * Python -> JS: None -> null, bool -> boolean, int -> number (bigint beyond 2^53), float -> number,
 * str -> string, bytes -> Uint8Array, list -> array, tuple -> array (see `isTuple`), dict/OrderedDict ->
 * `PyDict` (a `Map`, keys keep their types, insertion order kept).
 */
import type { SourceDtype } from './dtypes.js';
import type { RawTensor, SkippedTensor } from './raw-tensor.js';

/** Anything the unpickler can produce, and what `readCheckpointRaw(...).objects` contains. */
export type PyValue =
  null | boolean | number | bigint | string | Uint8Array | PyValue[] | PyDict | PyGlobal | StorageRef | TensorRef | RawTensor | SkippedTensor;

const TUPLES = new WeakSet<object>();

/**
 * Marks an array as a Python tuple. Tuples stay ordinary (mutable) arrays so that readers can put
 * loaded tensors in place of references; the mark only lets the unpickler refuse APPEND on a tuple
 * and insist that REDUCE arguments are a tuple, as Python does.
 */
export function markTuple<T extends PyValue[]>(a: T): T {
  TUPLES.add(a);
  return a;
}

/** True if `v` was built as a Python tuple. */
export function isTuple(v: unknown): v is PyValue[] {
  return Array.isArray(v) && TUPLES.has(v);
}

/** A Python dict or `collections.OrderedDict`. `state` holds what BUILD set (e.g. a state dict's `_metadata`). */
export class PyDict extends Map<PyValue, PyValue> {
  state: PyValue | undefined;
  constructor(readonly pyClass: 'dict' | 'collections.OrderedDict' = 'dict') {
    super();
  }
}

/** An allowlisted global (`module.name`), either callable by REDUCE or a plain marker value. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
    /** For storage classes and `torch.<dtype>` objects: the element type they stand for. */
    readonly dtype?: SourceDtype,
  ) {}
  get qualname(): string {
    return `${this.module}.${this.name}`;
  }
}

/**
 * A reference to (part of) a storage, from a pickle persistent id. Offsets and sizes are in
 * elements of `dtype`. Legacy files can reference a window (`viewOffset`, `viewNumel`) of a root
 * storage; otherwise the window is the whole storage.
 */
export class StorageRef {
  constructor(
    readonly key: string,
    readonly dtype: SourceDtype,
    readonly numel: number,
    readonly viewOffset = 0,
    readonly viewNumel = numel,
  ) {}
}

/** A tensor as the pickle describes it, before its bytes are read: a view of a storage. */
export class TensorRef {
  constructor(
    readonly storage: StorageRef,
    /** Element type of the tensor (the storage's, except `_rebuild_tensor_v3` on untyped storage). */
    readonly dtype: SourceDtype,
    readonly offset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
    /** File offset of the REDUCE that built it, for messages. */
    readonly at: number,
  ) {}
}
