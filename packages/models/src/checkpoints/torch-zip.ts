/**
 * `torch.save` zip format (torch >= 1.6, `_use_new_zipfile_serialization=True`).
 *
 * Layout (torch/serialization.py `_save`/`_load`, caffe2/serialize/inline_container.cc):
 * `<prefix>/data.pkl` holds the pickled object, whose persistent ids are
 * `('storage', StorageType, key, location, numel)`; the bytes of storage `key` are the record
 * `<prefix>/data/<key>`; `<prefix>/byteorder` says "little" or "big" (absent: little). The prefix
 * is the file stem or `archive`, so it is found by looking for the one `<prefix>/data.pkl`.
 * Each record's size must equal numel x element size before it is read (CVE-2026-24747 class).
 */
import type { ByteSource } from './byte-source.js';
import { Cursor, MemorySource } from './byte-source.js';
import { SOURCE_DTYPES } from './dtypes.js';
import { fail } from '../errors.js';
import { unpickle, describe } from './pickle.js';
import { StorageRef, isTuple, type PyValue } from './pickle-values.js';
import type { TorchContainer } from './torch-assemble.js';
import { storageDtype, torchHooks } from './torch-globals.js';
import { readZipDirectory, readZipEntry, type InflateRaw, type ZipEntry } from './zip.js';

export interface TorchZipOptions {
  inflateRaw?: InflateRaw | undefined;
  verifyCrc?: boolean | undefined;
  crc32?: ((data: Uint8Array) => number) | undefined;
}

/** Opens a torch zip checkpoint: directory, byte order and pickle; storages are read later. */
export function openTorchZip(src: ByteSource, opts: TorchZipOptions = {}): TorchContainer {
  const file = src.name;
  const dir = readZipDirectory(src);
  const pkls = [...dir.entries.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pkls.length === 0) {
    fail('NotTorchCheckpoint', 'not a torch checkpoint: the zip has no <prefix>/data.pkl', { file });
  }
  if (pkls.length > 1) {
    fail('NotTorchCheckpoint', `not a torch checkpoint: several data.pkl records (${pkls.join(', ')})`, { file });
  }
  const prefix = pkls[0]!.slice(0, -'data.pkl'.length);
  const entryOpts = { inflateRaw: opts.inflateRaw, verifyCrc: opts.verifyCrc, crc32: opts.crc32 };

  let littleEndian = true;
  const bo = dir.entries.get(`${prefix}byteorder`);
  if (bo) {
    const v = new TextDecoder().decode(readZipEntry(src, dir, bo, { ...entryOpts, what: 'byteorder record', maxInflateBytes: 64 }));
    if (v === 'big')
      littleEndian = false; // byte-swapped on load, as torch does on a little-endian host
    else if (v !== 'little') fail('Unsupported', `unknown byteorder '${v.slice(0, 20)}'`, { file, offset: bo.headerOffset });
  }

  const pklEntry = dir.entries.get(pkls[0]!)!;
  const pkl = readZipEntry(src, dir, pklEntry, { ...entryOpts, what: 'data.pkl' });
  const pklAt = pklEntry.headerOffset;
  const storages = new Map<string, StorageRef>();

  const persistentLoad = (pid: PyValue, at: number): PyValue => {
    if (!isTuple(pid) || pid.length !== 5 || pid[0] !== 'storage') {
      fail('MalformedPickle', `persistent id must be ('storage', type, key, location, numel), found ${describe(pid)}`, { file, offset: at });
    }
    const [, type, key, , numel] = pid;
    const dtype = storageDtype(type!, file, at);
    if (typeof key !== 'string') fail('MalformedPickle', `storage key must be a string, found ${describe(key)}`, { file, offset: at });
    if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) {
      fail('MalformedPickle', `storage '${key as string}' numel must be a non-negative integer, found ${describe(numel)}`, { file, offset: at });
    }
    const prev = storages.get(key as string);
    if (prev) {
      if (prev.dtype !== dtype || prev.numel !== numel) {
        fail('StorageSizeMismatch', `storage '${key as string}' is declared twice with different types or sizes`, { file, offset: at });
      }
      return prev;
    }
    const ref = new StorageRef(key as string, dtype, numel as number);
    storages.set(key as string, ref);
    return ref;
  };

  // The pickle is parsed from its own buffer; offsets in messages are relative to the entry's
  // local header (base), which is the closest stable file position.
  const cur = new Cursor(new MemorySource(pkl, file), 0, pkl.length, pklAt);
  const { value } = unpickle(cur, torchHooks({ file, persistentLoad }));

  const record = (ref: StorageRef): ZipEntry => {
    const e = dir.entries.get(`${prefix}data/${ref.key}`);
    if (!e) fail('MissingRecord', `storage '${ref.key}': record ${prefix}data/${ref.key} is missing`, { file });
    return e!;
  };
  const nbytesOf = (ref: StorageRef): number => ref.numel * SOURCE_DTYPES[ref.dtype].size;

  return {
    format: 'torch-zip',
    file,
    objects: value,
    littleEndian,
    checkStorage(ref, nbytes) {
      const e = record(ref);
      if (e.uncompressedSize !== nbytes) {
        fail(
          'StorageSizeMismatch',
          `storage size mismatch: record ${e.name} holds ${e.uncompressedSize} bytes but the pickle declares ${ref.numel} ${ref.dtype} elements (${nbytes} bytes)`,
          { file, offset: e.headerOffset },
        );
      }
    },
    readStorage(ref) {
      const e = record(ref);
      return readZipEntry(src, dir, e, {
        ...entryOpts,
        expectSize: nbytesOf(ref),
        what: `storage '${ref.key}'`,
        // Inflation is capped at the declared size (zip bombs), and at 2 GiB in any case.
        maxInflateBytes: Math.min(Math.max(nbytesOf(ref), 1), 2 ** 31),
      });
    },
    storageOffset(ref) {
      return dir.entries.get(`${prefix}data/${ref.key}`)?.headerOffset;
    },
  };
}
