/**
 * The format-independent second half of every torch reader: name the tensors the pickle built,
 * apply the caller's filter, validate every view against its storage from metadata alone, then
 * read each needed storage once and materialise dense tensors.
 *
 * Names follow the state-dict convention: nested dicts (and lists/tuples, by index) are joined
 * with dots, so `{'model_state_dict': {'fc1.weight': t}}` gives `model_state_dict.fc1.weight`.
 * A checkpoint that is a single tensor gives the name `''`.
 */
import { SOURCE_DTYPES, outDtypeOf, type Int64Mode } from './dtypes.js';
import { fail } from '../errors.js';
import { checkView, materialize, type ViewSpec } from './materialize.js';
import { PyDict, StorageRef, TensorRef, type PyValue } from './pickle-values.js';
import type { RawTensor, SkippedTensor } from './raw-tensor.js';

/** What a container reader (zip, legacy, tar) hands to `assembleTorch`. */
export interface TorchContainer {
  format: 'torch-zip' | 'torch-legacy' | 'torch-tar';
  file: string | undefined;
  /** The unpickled object, tensors still as `TensorRef`s. */
  objects: PyValue;
  /** Byte order of storage data. */
  littleEndian: boolean;
  /** Throws unless the root storage `key` exists with `nbytes` bytes. Reads no tensor data. */
  checkStorage(ref: StorageRef, nbytes: number): void;
  /** The root storage's bytes, as a fresh buffer at offset 0. */
  readStorage(ref: StorageRef, nbytes: number): Uint8Array;
  /** File offset of a storage's data, for messages. */
  storageOffset(ref: StorageRef): number | undefined;
}

export interface AssembleOptions {
  filter?: ((name: string) => boolean) | undefined;
  int64?: Int64Mode | undefined;
  maxTensorBytes?: number | undefined;
}

export interface Assembled {
  tensors: Map<string, RawTensor>;
  objects: PyValue;
}

/** Nesting deeper than this is refused (no real checkpoint comes close; bounds the walk). */
const MAX_DEPTH = 256;

function keyName(k: PyValue): string {
  if (typeof k === 'string') return k;
  if (typeof k === 'number' || typeof k === 'bigint') return String(k);
  if (typeof k === 'boolean') return k ? 'True' : 'False';
  if (k === null) return 'None';
  return String(k);
}

/** Where a TensorRef sits, so it can be replaced in place. */
interface Slot {
  set(v: PyValue): void;
}

export function assembleTorch(c: TorchContainer, opts: AssembleOptions = {}): Assembled {
  const { file } = c;
  const named: { name: string; ref: TensorRef }[] = [];
  const slots: { slot: Slot; ref: TensorRef }[] = [];
  const seen = new Set<object>();
  const names = new Set<string>();

  const visit = (v: PyValue, path: string[], slot: Slot): void => {
    if (v instanceof TensorRef) {
      const name = path.join('.');
      if (names.has(name)) fail('DuplicateName', `two tensors flatten to the same name '${name}'`, { file, offset: v.at });
      names.add(name);
      named.push({ name, ref: v });
      slots.push({ slot, ref: v });
      return;
    }
    if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return;
    // Containers are walked once: shared or cyclic structures cannot blow the walk up.
    if (seen.has(v)) return;
    if (path.length >= MAX_DEPTH) fail('LimitExceeded', `objects nested deeper than ${MAX_DEPTH} levels`, { file });
    seen.add(v);
    if (v instanceof PyDict) {
      for (const [k, x] of v) visit(x, [...path, keyName(k)], { set: (y) => v.set(k, y) });
    } else if (Array.isArray(v)) {
      const arr = v as PyValue[];
      for (let i = 0; i < arr.length; i++) visit(arr[i]!, [...path, String(i)], { set: (y) => (arr[i] = y) });
    }
  };
  let root: PyValue = c.objects;
  visit(c.objects, [], { set: (y) => (root = y) });

  const mode = opts.int64 ?? 'error';
  const include = new Set<TensorRef>();
  for (const { name, ref } of named) if (!opts.filter || opts.filter(name)) include.add(ref);

  // 1) Validate every included view from metadata, and every storage's size, before reading.
  const specOf = new Map<TensorRef, ViewSpec>();
  const uses = new Map<string, number>();
  const roots = new Map<string, StorageRef>();
  const nameOf = new Map<TensorRef, string>();
  for (const { name, ref } of named) if (!nameOf.has(ref)) nameOf.set(ref, name);
  for (const ref of include) {
    const s = ref.storage;
    const elem = SOURCE_DTYPES[s.dtype].size;
    if (s.viewOffset + s.viewNumel > s.numel) {
      fail(
        'ViewOutOfBounds',
        `tensor '${nameOf.get(ref)}': storage view [${s.viewOffset}, ${s.viewOffset + s.viewNumel}) exceeds its ${s.numel}-element storage`,
        {
          file,
          offset: ref.at,
        },
      );
    }
    const spec: ViewSpec = { name: nameOf.get(ref)!, dtype: ref.dtype, offset: ref.offset, shape: ref.shape, stride: ref.stride };
    checkView(spec, s.viewNumel * elem, { int64: mode, maxTensorBytes: opts.maxTensorBytes, file, at: ref.at });
    specOf.set(ref, spec);
    const prev = roots.get(s.key);
    if (prev && (prev.dtype !== s.dtype || prev.numel !== s.numel)) {
      fail('StorageSizeMismatch', `storage '${s.key}' is declared twice with different types or sizes`, { file, offset: ref.at });
    }
    roots.set(s.key, s);
    uses.set(s.key, (uses.get(s.key) ?? 0) + 1);
  }
  for (const s of roots.values()) c.checkStorage(s, s.numel * SOURCE_DTYPES[s.dtype].size);

  // 2) Read each needed storage once, materialise its tensors, drop the storage.
  const byRoot = new Map<string, TensorRef[]>();
  for (const ref of include) {
    const list = byRoot.get(ref.storage.key) ?? [];
    list.push(ref);
    byRoot.set(ref.storage.key, list);
  }
  const done = new Map<TensorRef, RawTensor>();
  for (const [key, refs] of byRoot) {
    const s = roots.get(key)!;
    const elem = SOURCE_DTYPES[s.dtype].size;
    const bytes = c.readStorage(s, s.numel * elem);
    const at = c.storageOffset(s);
    for (const ref of refs) {
      const v = ref.storage;
      const window = bytes.subarray(v.viewOffset * elem, (v.viewOffset + v.viewNumel) * elem);
      const exclusive = uses.get(key) === 1 && v.viewOffset === 0 && v.viewNumel === v.numel;
      done.set(ref, materialize(specOf.get(ref)!, window, c.littleEndian, exclusive, { int64: mode, maxTensorBytes: opts.maxTensorBytes, file, at }));
    }
  }

  // 3) Put the results in place of the refs.
  const tensors = new Map<string, RawTensor>();
  for (const { name, ref } of named) {
    const t = done.get(ref);
    if (t) tensors.set(name, t);
  }
  const skipped = new Map<TensorRef, SkippedTensor>();
  for (const { slot, ref } of slots) {
    let v: PyValue | undefined = done.get(ref);
    if (!v) {
      let sk = skipped.get(ref);
      if (!sk) {
        sk = { skipped: true, dtype: outDtypeOf(ref.dtype, mode), sourceDtype: ref.dtype, shape: [...ref.shape] };
        skipped.set(ref, sk);
      }
      v = sk;
    }
    slot.set(v);
  }
  return { tensors, objects: root };
}
