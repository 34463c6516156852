/**
 * The checkpoint entry points: detect the format from the bytes, read, name, filter, convert.
 *
 * Formats, detected by content (never by file extension):
 * - `torch-zip`: `torch.save` since 1.6 (starts `PK\x03\x04`)
 * - `torch-legacy`: `torch.save` 0.1.10-1.5 / `_use_new_zipfile_serialization=False` (starts with
 *   a pickle PROTO, `80 02 8a 0a` + magic)
 * - `torch-tar`: torch before 0.1.10 (`ustar` at byte 257)
 * - `safetensors`: everything else is tried as safetensors, whose own checks then explain what is
 *   wrong (a 3-byte file gets "header too small", not "unknown").
 */
import { host } from '#host';
import { MemorySource, type ByteSource } from './byte-source.js';
import type { Int64Mode } from './dtypes.js';
import { CheckpointError } from '../errors.js';
import { PyDict, type PyValue } from './pickle-values.js';
import type { RawTensor } from './raw-tensor.js';
import { SAFETENSORS_MAX_HEADER, looksLikeSafetensors, readSafetensors } from './safetensors.js';
import { assembleTorch } from './torch-assemble.js';
import { looksLikeLegacy, openTorchLegacy } from './torch-legacy.js';
import { openTorchTar } from './torch-tar.js';
import { openTorchZip } from './torch-zip.js';
import { looksLikeTar } from './tar.js';
import { looksLikeZip, type InflateRaw } from './zip.js';

export type CheckpointFormat = 'torch-zip' | 'torch-legacy' | 'torch-tar' | 'safetensors';

export interface CheckpointOptions {
  /**
   * Which tensors to load, by flattened name. Tensors it rejects are never read from disk (their
   * storages are skipped), and appear in `objects` as `SkippedTensor`s.
   * @example { filter: (name) => name.startsWith('features.') } // VGG16 without its 411 MB classifier
   */
  filter?: ((name: string) => boolean) | undefined;
  /** 64-bit / unsigned 32-bit integers: 'error' (default), 'wrap' or 'float64'. See `Int64Mode`. */
  int64?: Int64Mode | undefined;
  /** Largest dense tensor accepted, in bytes (default 2 GiB). */
  maxTensorBytes?: number | undefined;
  /** Verify zip CRC-32s of the records read (default true). */
  verifyCrc?: boolean | undefined;
  /** File name for error messages when reading bytes. */
  name?: string | undefined;
  /**
   * Raw-DEFLATE inflater for compressed zip entries (torch never writes them). The async entry
   * points supply `node:zlib` in Node; without one, compressed entries are refused clearly.
   */
  inflateRaw?: InflateRaw | undefined;
  /** CRC-32 implementation for zip records; the async entry points supply Node's `zlib.crc32`. */
  crc32?: ((data: Uint8Array) => number) | undefined;
}

/** Everything read from a checkpoint, before conversion to pixgrad tensors. */
export interface RawCheckpoint {
  format: CheckpointFormat;
  /** Loaded tensors by flattened dotted name, in file order. */
  tensors: Map<string, RawTensor>;
  /**
   * The unpickled object with tensors in place (`RawTensor`, or `SkippedTensor` when filtered):
   * dicts are `PyDict` (a `Map`), lists and tuples arrays, non-tensor values plain JS values
   * (`epoch: 42`, `loss: 0.123`, strings, null, booleans). For safetensors, a `PyDict` name -> tensor.
   */
  objects: PyValue;
  /** safetensors `__metadata__` (string -> string), or null. */
  metadata: Record<string, string> | null;
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Reads the first bytes used for detection (at least 9 when the file has them). */
function head(src: ByteSource): Uint8Array {
  return src.view(0, Math.min(src.size, 512));
}

/** The 8-byte little-endian length is within the 100 MB limit and the file. */
function plausibleHeaderLength(h: Uint8Array, size: number): boolean {
  const lo = (h[0]! | (h[1]! << 8) | (h[2]! << 16) | (h[3]! << 24)) >>> 0;
  const hi = (h[4]! | (h[5]! << 8) | (h[6]! << 16) | (h[7]! << 24)) >>> 0;
  return hi === 0 && lo <= SAFETENSORS_MAX_HEADER && 8 + lo <= size;
}

/**
 * Which format the bytes are in (see the module comment), or `safetensors` as the fallback.
 *
 * @example
 * detectFormat(new MemorySource(bytes, 'x')); // 'torch-zip' for anything torch.save wrote since 1.6
 */
export function detectFormat(src: ByteSource): CheckpointFormat {
  const h = head(src);
  if (looksLikeZip(h)) return 'torch-zip';
  // safetensors before legacy: a header length such as 0x0280 starts with the byte of pickle's
  // PROTO opcode, but a legacy file's first 8 bytes never make a plausible header length.
  if (looksLikeSafetensors(h) && plausibleHeaderLength(h, src.size)) return 'safetensors';
  if (looksLikeLegacy(h)) return 'torch-legacy';
  if (looksLikeTar(h)) return 'torch-tar';
  return 'safetensors';
}

/**
 * Reads a checkpoint from a `ByteSource` or bytes, synchronously. This is the core that
 * `readCheckpointRaw` wraps; use it directly in browsers or when the bytes are in memory.
 *
 * @example
 * const ck = parseCheckpoint(bytes, { name: 'vgg.pth' });
 * ck.tensors.get('lin0.model.1.weight')?.shape; // [1, 64, 1, 1]
 */
export function parseCheckpoint(input: ByteSource | Uint8Array, opts: CheckpointOptions = {}): RawCheckpoint {
  const src = input instanceof Uint8Array ? new MemorySource(input, opts.name) : input;
  const format = detectFormat(src);
  const aopts = { filter: opts.filter, int64: opts.int64, maxTensorBytes: opts.maxTensorBytes };
  switch (format) {
    case 'torch-zip': {
      const c = openTorchZip(src, { inflateRaw: opts.inflateRaw, verifyCrc: opts.verifyCrc, crc32: opts.crc32 });
      return { format, ...assembleTorch(c, aopts), metadata: null };
    }
    case 'torch-legacy':
      return { format, ...assembleTorch(openTorchLegacy(src), aopts), metadata: null };
    case 'torch-tar':
      return { format, ...assembleTorch(openTorchTar(src), aopts), metadata: null };
    case 'safetensors': {
      let st;
      try {
        st = readSafetensors(src, aopts);
      } catch (e) {
        // Nothing else matched: say so, but keep safetensors' precise reason and code.
        if (e instanceof CheckpointError && !looksLikeSafetensors(head(src))) {
          // Drop the inner "file: " prefix and "(at byte N)" suffix; the outer error carries both.
          let reason = e.message.startsWith(`${src.name}: `) ? e.message.slice(`${src.name}: `.length) : e.message;
          reason = reason.replace(/ \(at byte \d+\)$/, '');
          throw new CheckpointError(e.code, `unrecognised checkpoint format (not a torch zip, legacy or tar file; as safetensors: ${reason})`, {
            file: src.name,
            offset: e.offset,
          });
        }
        throw e;
      }
      const objects = new PyDict();
      for (const e of st.entries) objects.set(e.name, st.tensors.get(e.name) ?? st.skipped.get(e.name)!);
      return { format, tensors: st.tensors, objects, metadata: st.metadata };
    }
  }
}

/**
 * Reads a checkpoint file (positional reads, only the records needed) or bytes, and returns the
 * raw tensors, the unpickled object tree and the format. Formats: torch zip (>= 1.6), legacy
 * torch (0.1.10-1.5, torchvision VGG, LPIPS heads), torch tar (< 0.1.10), safetensors; see
 * `parseCheckpoint`. Pickles go through a restricted unpickler (allowlisted globals only).
 * Errors are `CheckpointError`s naming the file, the problem and the byte offset.
 *
 * @example
 * const { tensors, objects, format } = await readCheckpointRaw('checkpoint.pt');
 * tensors.get('model_state_dict.fc1.weight'); // { dtype: 'float32', sourceDtype: 'float32', shape: [10, 5], data: Float32Array(50) }
 * (objects as PyDict).get('epoch'); // 42
 */
export async function readCheckpointRaw(pathOrBytes: string | Uint8Array | ArrayBuffer, opts: CheckpointOptions = {}): Promise<RawCheckpoint> {
  const o = { inflateRaw: host.inflateRaw, ...(host.crc32 ? { crc32: host.crc32 } : {}), ...stripUndefined(opts) };
  if (typeof pathOrBytes !== 'string') {
    const bytes = pathOrBytes instanceof Uint8Array ? pathOrBytes : new Uint8Array(pathOrBytes);
    return parseCheckpoint(bytes, o);
  }
  const src = host.openFile(pathOrBytes);
  try {
    return parseCheckpoint(src, o);
  } finally {
    src.close();
  }
}
