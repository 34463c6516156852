/**
 * The legacy `torch.save` stream (torch 0.1.10 - 1.5, or `_use_new_zipfile_serialization=False`):
 * torchvision's VGG weights and every LPIPS head are in it.
 *
 * Layout (torch/serialization.py `_legacy_save` / `_legacy_load`): a run of pickles
 *   1. the magic number, LONG1 0x1950a86a20f9469cfc6c
 *   2. the protocol version (1001)
 *   3. sys_info (`{'protocol_version', 'little_endian', 'type_sizes'}`)
 *   4. the object, with persistent ids `('storage', StorageType, root_key, location, numel, view)`
 *      where `view` is None or `(view_key, offset, size)` (a window of the root storage)
 *   5. the list of root storage keys, in the order their bytes follow
 * then for each key: an int64 element count and the raw little-endian bytes (torch always
 * writes storages little-endian, byte-swapping on big-endian hosts, so sys_info is not needed).
 *
 * Only the 8-byte count of each storage is read while scanning; the bytes of storages the
 * caller filtered out are skipped with a positional seek.
 */
import type { ByteSource } from './byte-source.js';
import { Cursor } from './byte-source.js';
import { SOURCE_DTYPES } from './dtypes.js';
import { fail } from '../errors.js';
import { describe, unpickle, type UnpickleHooks } from './pickle.js';
import { StorageRef, isTuple, type PyValue } from './pickle-values.js';
import type { TorchContainer } from './torch-assemble.js';
import { storageDtype, torchHooks } from './torch-globals.js';

export const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const PROTOCOL_VERSION = 1001;

/**
 * True if the bytes start with pickle PROTO then LONG1 (legacy torch files start `80 02 8a 0a`
 * and the magic number; a corrupted magic is still detected here and reported as such).
 */
export function looksLikeLegacy(head: Uint8Array): boolean {
  return head.length >= 3 && head[0] === 0x80 && head[1]! <= 5 && head[2] === 0x8a;
}

/** Hooks for the header pickles (magic, protocol, sys_info): plain values only. */
function plainHooks(file: string | undefined): UnpickleHooks {
  const no = (what: string, at: number): never => fail('ForbiddenOpcode', `${what} is not allowed in a legacy header pickle`, { file, offset: at });
  return {
    persistentLoad: (_pid, at) => no('BINPERSID', at),
    resolveGlobal: (m, n, at) => fail('ForbiddenGlobal', `global '${m}.${n}' is not allowed in a legacy header pickle`, { file, offset: at }),
    call: (_fn, _args, at) => no('REDUCE', at),
    build: (_t, _s, at) => no('BUILD', at),
  };
}

/** Parses the legacy stream's pickles and locates every storage's bytes (reads 8 bytes each). */
export function openTorchLegacy(src: ByteSource): TorchContainer {
  const file = src.name;
  const cur = new Cursor(src);
  const plain = plainHooks(file);

  const magicAt = cur.fileOffset;
  let magic: PyValue;
  try {
    magic = unpickle(cur, plain).value;
  } catch (e) {
    return fail('InvalidMagic', `invalid magic number; not a legacy torch file (${(e as Error).message})`, { file, offset: magicAt });
  }
  if (magic !== LEGACY_MAGIC) {
    fail('InvalidMagic', `invalid magic number ${describe(magic)}; corrupt or not a torch file`, { file, offset: magicAt });
  }
  const protoAt = cur.fileOffset;
  const proto = unpickle(cur, plain).value;
  if (proto !== PROTOCOL_VERSION) fail('Unsupported', `legacy protocol version ${describe(proto)} (expected ${PROTOCOL_VERSION})`, { file, offset: protoAt });
  unpickle(cur, plain); // sys_info: informational only (see the module comment)

  const roots = new Map<string, StorageRef>();
  const views = new Map<string, StorageRef>();
  const persistentLoad = (pid: PyValue, at: number): PyValue => {
    if (!isTuple(pid) || pid.length < 1) fail('MalformedPickle', `persistent id must be a tuple, found ${describe(pid)}`, { file, offset: at });
    const kind = pid[0];
    if (kind === 'module') {
      fail('Unsupported', 'this file pickles a whole nn.Module; only state dicts and tensors can be loaded (save model.state_dict())', { file, offset: at });
    }
    if (kind !== 'storage' || pid.length !== 6) {
      fail('MalformedPickle', `persistent id must be ('storage', type, key, location, numel, view), found ${describe(pid)}`, { file, offset: at });
    }
    const [, type, rawKey, , numel, view] = pid;
    const dtype = storageDtype(type!, file, at);
    const key = keyOf(rawKey!, file, at);
    const n = count(numel!, 'storage numel', file, at);
    let root = roots.get(key);
    if (root) {
      if (root.dtype !== dtype || root.numel !== n) {
        fail('StorageSizeMismatch', `storage '${key}' is declared twice with different types or sizes`, { file, offset: at });
      }
    } else {
      root = new StorageRef(key, dtype, n);
      roots.set(key, root);
    }
    if (view === null) return root;
    if (!isTuple(view) || view.length !== 3) fail('MalformedPickle', `storage view must be (key, offset, size), found ${describe(view)}`, { file, offset: at });
    const [vk, vo, vn] = view as PyValue[];
    const viewKey = keyOf(vk!, file, at);
    const off = count(vo!, 'view offset', file, at);
    const size = count(vn!, 'view size', file, at);
    if (off + size > n) {
      fail('ViewOutOfBounds', `storage view '${viewKey}' [${off}, ${off + size}) exceeds its ${n}-element storage '${key}'`, { file, offset: at });
    }
    const existing = views.get(viewKey);
    if (existing) return existing;
    const ref = new StorageRef(key, dtype, n, off, size);
    views.set(viewKey, ref);
    return ref;
  };
  const { value } = unpickle(cur, torchHooks({ file, persistentLoad }));

  const keysAt = cur.fileOffset;
  const keys = unpickle(cur, plain).value;
  if (!Array.isArray(keys)) fail('MalformedPickle', `storage key list expected, found ${describe(keys)}`, { file, offset: keysAt });

  // Locate each storage: int64 count, then count x element size bytes.
  const where = new Map<string, number>();
  let pos = cur.pos;
  for (const k of keys as PyValue[]) {
    const key = keyOf(k, file, keysAt);
    const root = roots.get(key);
    if (!root) fail('MalformedPickle', `storage '${key}' has data but no tensor declares it`, { file, offset: pos });
    if (where.has(key)) fail('MalformedPickle', `storage '${key}' is listed twice`, { file, offset: pos });
    const n = readCount(src, pos, `storage '${key}' element count`);
    if (n !== root!.numel) {
      fail('StorageSizeMismatch', `storage size mismatch: storage '${key}' has ${n} elements in the file but ${root!.numel} in the pickle`, {
        file,
        offset: pos,
      });
    }
    const nbytes = n * SOURCE_DTYPES[root!.dtype].size;
    if (pos + 8 + nbytes > src.size) {
      fail('UnexpectedEof', `unexpected EOF: storage '${key}' needs ${nbytes} bytes at byte ${pos + 8} but the file ends at ${src.size}`, {
        file,
        offset: pos + 8,
      });
    }
    where.set(key, pos + 8);
    pos += 8 + nbytes;
  }

  return {
    format: 'torch-legacy',
    file,
    objects: value,
    littleEndian: true,
    checkStorage(ref) {
      if (!where.has(ref.key)) fail('MissingRecord', `storage '${ref.key}' is not in the file's storage list`, { file });
    },
    readStorage(ref, nbytes) {
      return src.copy(where.get(ref.key)!, nbytes);
    },
    storageOffset(ref) {
      return where.get(ref.key);
    },
  };
}

/** The little-endian int64 element count in front of a storage's bytes. */
export function readCount(src: ByteSource, pos: number, what: string): number {
  const b = src.view(pos, 8);
  const lo = (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  const hi = b[4]! | (b[5]! << 8) | (b[6]! << 16) | (b[7]! << 24);
  const n = hi * 0x1_0000_0000 + lo;
  if (!Number.isSafeInteger(n) || n < 0) fail('MalformedPickle', `${what} ${n} is not a valid element count`, { file: src.name, offset: pos });
  return n;
}

/** Storage keys are strings (`str(id)`); very old files may use ints. */
export function keyOf(v: PyValue, file: string | undefined, at: number): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return fail('MalformedPickle', `storage key must be a string, found ${describe(v)}`, { file, offset: at });
}

/** A non-negative safe integer or throws. */
export function count(v: PyValue, what: string, file: string | undefined, at: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    fail('MalformedPickle', `${what} must be a non-negative integer, found ${describe(v)}`, { file, offset: at });
  }
  return v as number;
}
