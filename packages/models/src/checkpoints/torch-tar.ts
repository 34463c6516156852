/**
 * torch's pre-0.1.10 tar checkpoints (torch/serialization.py `legacy_load`, the tarfile branch).
 *
 * Members: `sys_info` (ignored), `storages` = pickle(count), then per storage
 * pickle((key, location, StorageType)) + int64 numel + bytes, then optionally
 * pickle([(view_key, root_key, offset, numel), ...]); `tensors` (optional) = pickle(count), then
 * per tensor pickle((key, storage_key, type)) + int32 ndim + 4 pad bytes + ndim int64 sizes +
 * ndim int64 strides + int64 storage offset; `pickle` = the object, whose persistent ids are the
 * keys of tensors or storages. burn's synthetic fixtures instead pass storages inline as
 * `('storage', StorageType, key, location, numel)` tuples to `_rebuild_tensor_v2`; both are read.
 */
import type { ByteSource } from './byte-source.js';
import { Cursor } from './byte-source.js';
import { SOURCE_DTYPES } from './dtypes.js';
import { fail } from '../errors.js';
import { describe, unpickle } from './pickle.js';
import { StorageRef, TensorRef, isTuple, type PyValue } from './pickle-values.js';
import type { TorchContainer } from './torch-assemble.js';
import { storageDtype, torchHooks } from './torch-globals.js';
import { count, keyOf } from './torch-legacy.js';
import { readTarMembers, type TarMember } from './tar.js';

export function openTorchTar(src: ByteSource): TorchContainer {
  const file = src.name;
  const members = readTarMembers(src);
  const need = (n: string): TarMember => {
    const m = members.get(n);
    if (!m) fail('NotTorchCheckpoint', `not a torch checkpoint: the tar has no '${n}' member`, { file });
    return m!;
  };
  const noPid = (_pid: PyValue, at: number): PyValue => fail('ForbiddenOpcode', 'BINPERSID is not allowed here', { file, offset: at });
  const plain = torchHooks({ file, persistentLoad: noPid });

  // storages
  const sm = need('storages');
  const roots = new Map<string, StorageRef>();
  const where = new Map<string, number>();
  const objects = new Map<string, PyValue>();
  const cur = new Cursor(src, sm.start, sm.start + sm.size);
  const n = count(unpickle(cur, plain).value, 'storage count', file, sm.start);
  for (let i = 0; i < n; i++) {
    const at = cur.fileOffset;
    const args = unpickle(cur, plain).value;
    if (!isTuple(args) || args.length !== 3)
      fail('MalformedPickle', `storage header must be (key, location, type), found ${describe(args)}`, { file, offset: at });
    const [k, , type] = args as PyValue[];
    const key = keyOf(k!, file, at);
    const dtype = storageDtype(type!, file, at);
    const countAt = cur.fileOffset;
    const numel = cur.i64le(`storage '${key}' element count`);
    if (numel < 0) fail('MalformedPickle', `storage '${key}' has a negative element count`, { file, offset: countAt });
    const nbytes = numel * SOURCE_DTYPES[dtype].size;
    if (roots.has(key)) fail('MalformedPickle', `storage '${key}' is listed twice`, { file, offset: at });
    const dataAt = cur.fileOffset;
    cur.skip(nbytes, `storage '${key}'`);
    const ref = new StorageRef(key, dtype, numel);
    roots.set(key, ref);
    where.set(key, dataAt);
    objects.set(key, ref);
  }
  if (cur.remaining > 0) {
    const at = cur.fileOffset;
    const views = unpickle(cur, plain).value;
    if (!Array.isArray(views)) fail('MalformedPickle', `storage views must be a list, found ${describe(views)}`, { file, offset: at });
    for (const v of views as PyValue[]) {
      if (!Array.isArray(v) || v.length !== 4)
        fail('MalformedPickle', `storage view must be (key, root, offset, numel), found ${describe(v)}`, { file, offset: at });
      const [tk, rk, off, num] = v as PyValue[];
      const root = roots.get(keyOf(rk!, file, at));
      if (!root) fail('MissingRecord', `storage view of unknown storage ${describe(rk)}`, { file, offset: at });
      const o = count(off!, 'view offset', file, at);
      const m = count(num!, 'view numel', file, at);
      if (o + m > root!.numel) fail('ViewOutOfBounds', `storage view [${o}, ${o + m}) exceeds its ${root!.numel}-element storage`, { file, offset: at });
      objects.set(keyOf(tk!, file, at), new StorageRef(root!.key, root!.dtype, root!.numel, o, m));
    }
  }

  // tensors (real torch tar files; burn's synthetic ones have none)
  const tm = members.get('tensors');
  if (tm) {
    const tc = new Cursor(src, tm.start, tm.start + tm.size);
    const nt = count(unpickle(tc, plain).value, 'tensor count', file, tm.start);
    for (let i = 0; i < nt; i++) {
      const at = tc.fileOffset;
      const args = unpickle(tc, plain).value;
      if (!isTuple(args) || args.length !== 3)
        fail('MalformedPickle', `tensor header must be (key, storage, type), found ${describe(args)}`, { file, offset: at });
      const [k, sk] = args as PyValue[];
      const storage = objects.get(keyOf(sk!, file, at));
      if (!(storage instanceof StorageRef)) fail('MissingRecord', `tensor refers to unknown storage ${describe(sk)}`, { file, offset: at });
      const ndim = tc.i32le();
      if (ndim < 0 || ndim > 64) fail('MalformedPickle', `tensor rank ${ndim} out of range`, { file, offset: at });
      tc.skip(4);
      const size: number[] = [];
      const stride: number[] = [];
      for (let d = 0; d < ndim; d++) size.push(tc.i64le('size'));
      for (let d = 0; d < ndim; d++) stride.push(tc.i64le('stride'));
      const offset = tc.i64le('storage offset');
      const s = storage as StorageRef;
      objects.set(keyOf(k!, file, at), new TensorRef(s, s.dtype, offset, size, stride, at));
    }
  }

  // pickle
  const pm = need('pickle');
  const persistentLoad = (pid: PyValue, at: number): PyValue => {
    if (isTuple(pid)) fail('Unsupported', 'this file pickles module classes; only state dicts and tensors can be loaded', { file, offset: at });
    const v = objects.get(keyOf(pid, file, at));
    if (v === undefined) fail('MissingRecord', `persistent id ${describe(pid)} names no tensor or storage`, { file, offset: at });
    return v!;
  };
  const coerceStorage = (v: PyValue, at: number): StorageRef | undefined => {
    if (!isTuple(v) || v.length !== 5 || v[0] !== 'storage') return undefined;
    const [, type, k, , num] = v;
    const ref = roots.get(keyOf(k!, file, at));
    if (!ref) fail('MissingRecord', `storage ${describe(k)} is not in the storages member`, { file, offset: at });
    if (storageDtype(type!, file, at) !== ref!.dtype || count(num!, 'storage numel', file, at) !== ref!.numel) {
      fail('StorageSizeMismatch', `storage size mismatch: storage ${describe(k)} differs from the storages member`, { file, offset: at });
    }
    return ref;
  };
  const pc = new Cursor(src, pm.start, pm.start + pm.size);
  const { value } = unpickle(pc, torchHooks({ file, persistentLoad, coerceStorage }));

  return {
    format: 'torch-tar',
    file,
    objects: value,
    littleEndian: true,
    checkStorage(ref) {
      if (!where.has(ref.key)) fail('MissingRecord', `storage '${ref.key}' has no data`, { file });
    },
    readStorage(ref, nbytes) {
      return src.copy(where.get(ref.key)!, nbytes);
    },
    storageOffset(ref) {
      return where.get(ref.key);
    },
  };
}
