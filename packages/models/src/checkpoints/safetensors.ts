/**
 * Reads `.safetensors` files with the checks of the reference implementation
 * (huggingface/safetensors `safetensors/src/tensor.rs`, `SafeTensors::read_metadata` and
 * `Metadata::validate`), and a few it leaves to serde that JS must do by hand.
 *
 * Format: 8-byte little-endian header length N, N bytes of UTF-8 JSON
 * `{"__metadata__": {str: str}?, name: {"dtype": D, "shape": [..], "data_offsets": [s, e]}, ...}`,
 * then the data buffer. Checks, each a `CheckpointError` with the reference's variant name as code:
 * - fewer than 8 bytes -> HeaderTooSmall; N > 100 MB -> HeaderTooLarge; 8 + N > file -> InvalidHeaderLength
 * - header not UTF-8 -> InvalidHeader; not JSON, not an object, or fields of the wrong type ->
 *   InvalidHeaderDeserialization; the same key twice -> DuplicateKey (JSON.parse would keep the last)
 * - `__metadata__` not string->string -> InvalidMetadata; unknown dtype -> InvalidDtype (named)
 * - dims and offsets must be integers written without fraction/exponent; negative ->
 *   InvalidHeaderDeserialization; above 2^53, or numel x size above 2^53 -> ValidationOverflow
 * - sorted by offsets, tensors must tile [0, end) exactly: a gap or overlap -> InvalidOffset,
 *   a size that is not numel x dtype size -> TensorInvalidInfo, and 8 + N + end must be the file
 *   size -> MetadataIncompleteBuffer (trailing bytes are refused, no polyglots).
 * Leading/trailing whitespace in the header is accepted (the reference accepts it; headers are
 * padded with spaces to 8 bytes). Data are copied out (never viewed at an unaligned offset).
 */
import { le32, type ByteSource } from './byte-source.js';
import { SAFETENSORS_DTYPES, SAFETENSORS_UNSUPPORTED, SOURCE_DTYPES, outDtypeOf, type Int64Mode, type SourceDtype } from './dtypes.js';
import { fail } from '../errors.js';
import { JsonNumber, JsonSyntaxError, parseJsonStrict, type JsonObject, type JsonValue } from './json.js';
import { checkView, materialize } from './materialize.js';
import type { RawTensor, SkippedTensor } from './raw-tensor.js';

/** The reference's MAX_HEADER_SIZE. */
export const SAFETENSORS_MAX_HEADER = 100_000_000;

export interface SafetensorsEntry {
  name: string;
  dtype: SourceDtype;
  shape: number[];
  /** Byte range in the data buffer (relative to its start, 8 + N). */
  start: number;
  end: number;
}

export interface SafetensorsHeader {
  /** N, the JSON header's length. */
  headerLength: number;
  /** Entries in data order. */
  entries: SafetensorsEntry[];
  metadata: Record<string, string> | null;
}

/** True if the bytes could start a safetensors file (8-byte length then `{` or whitespace). */
export function looksLikeSafetensors(head: Uint8Array): boolean {
  if (head.length < 9) return false;
  const c = head[8]!;
  return c === 0x7b || c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses and validates a safetensors header against the file size; reads no tensor data.
 *
 * @example
 * const h = readSafetensorsHeader(new MemorySource(bytes, 'model.safetensors'));
 * h.entries.map((e) => `${e.name} ${e.dtype} [${e.shape}]`);
 */
export function readSafetensorsHeader(src: ByteSource): SafetensorsHeader {
  const file = src.name;
  if (src.size < 8) fail('HeaderTooSmall', `safetensors header too small: the file has ${src.size} bytes, fewer than the 8-byte length`, { file, offset: 0 });
  const lenBytes = src.view(0, 8);
  const lo = le32(lenBytes, 0);
  const hi = le32(lenBytes, 4);
  if (hi !== 0 || lo > SAFETENSORS_MAX_HEADER) {
    const n = (BigInt(hi) << 32n) | BigInt(lo);
    fail('HeaderTooLarge', `safetensors header length ${n} exceeds the ${SAFETENSORS_MAX_HEADER}-byte limit`, { file, offset: 0 });
  }
  const n = lo;
  if (8 + n > src.size) {
    fail('InvalidHeaderLength', `safetensors header length ${n} runs past the end of the ${src.size}-byte file`, { file, offset: 0 });
  }
  let text: string;
  try {
    text = UTF8.decode(src.view(8, n));
  } catch {
    return fail('InvalidHeader', 'safetensors header is not valid UTF-8', { file, offset: 8 });
  }
  const byteAt = (charIndex: number): number => 8 + new TextEncoder().encode(text.slice(0, charIndex)).length;
  let root: JsonValue;
  try {
    root = parseJsonStrict(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) {
      if (e.duplicateKey !== undefined) {
        fail('DuplicateKey', `safetensors header has the key "${e.duplicateKey}" twice (the spec forbids duplicates)`, { file, offset: byteAt(e.index) });
      }
      fail('InvalidHeaderDeserialization', `safetensors header is not valid JSON: ${e.message}`, { file, offset: byteAt(e.index) });
    }
    throw e;
  }
  if (!(root instanceof Map)) fail('InvalidHeaderDeserialization', 'safetensors header is not a JSON object', { file, offset: 8 });

  const bad = (what: string): never => fail('InvalidHeaderDeserialization', what, { file, offset: 8 });
  const uint = (v: JsonValue | undefined, what: string): number => {
    if (!(v instanceof JsonNumber)) return bad(`${what} is not an integer`);
    if (!/^(0|[1-9][0-9]*)$/.test(v.raw)) return bad(`${what} = ${v.raw} is not a non-negative integer`);
    const x = Number(v.raw);
    if (!Number.isSafeInteger(x)) fail('ValidationOverflow', `${what} = ${v.raw} exceeds 2^53 (not exactly representable)`, { file, offset: 8 });
    return x;
  };

  let metadata: Record<string, string> | null = null;
  const entries: SafetensorsEntry[] = [];
  for (const [name, info] of root as JsonObject) {
    if (name === '__metadata__') {
      if (info === null) continue;
      if (!(info instanceof Map)) fail('InvalidMetadata', '__metadata__ must be an object of strings', { file, offset: 8 });
      metadata = Object.create(null) as Record<string, string>;
      for (const [k, v] of info as JsonObject) {
        if (typeof v !== 'string') fail('InvalidMetadata', `__metadata__["${k}"] is not a string (the spec allows only string values)`, { file, offset: 8 });
        metadata[k] = v as string;
      }
      continue;
    }
    if (!(info instanceof Map)) bad(`tensor "${name}" is not an object`);
    const o = info as JsonObject;
    const dt = o.get('dtype');
    if (typeof dt !== 'string') bad(`tensor "${name}" has no dtype string`);
    const dtype = SAFETENSORS_DTYPES[dt as string];
    if (dtype === undefined) {
      if (SAFETENSORS_UNSUPPORTED.includes(dt as string))
        fail('Unsupported', `tensor "${name}": dtype ${dt as string} is not supported by pixgrad`, { file, offset: 8 });
      fail('InvalidDtype', `tensor "${name}": unknown dtype "${dt as string}"`, { file, offset: 8 });
    }
    const shapeV = o.get('shape');
    if (!Array.isArray(shapeV)) bad(`tensor "${name}" has no shape array`);
    const shape = (shapeV as JsonValue[]).map((d, k) => uint(d, `tensor "${name}" shape[${k}]`));
    const offs = o.get('data_offsets');
    if (!Array.isArray(offs) || offs.length !== 2) bad(`tensor "${name}" data_offsets must be [start, end]`);
    const start = uint((offs as JsonValue[])[0], `tensor "${name}" data_offsets[0]`);
    const end = uint((offs as JsonValue[])[1], `tensor "${name}" data_offsets[1]`);
    entries.push({ name, dtype: dtype!, shape, start, end });
  }

  // Metadata::validate: sorted by (start, end), the tensors must tile the buffer exactly.
  entries.sort((a, b) => a.start - b.start || a.end - b.end);
  let pos = 0;
  for (const e of entries) {
    if (e.start !== pos || e.end < e.start) {
      fail('InvalidOffset', `tensor "${e.name}": data_offsets [${e.start}, ${e.end}] do not continue at ${pos} (gap, overlap or out of bounds)`, {
        file,
        offset: 8 + n + Math.min(e.start, src.size),
      });
    }
    pos = e.end;
    let numel = 1;
    for (const d of e.shape) {
      if (d !== 0 && numel > Number.MAX_SAFE_INTEGER / d)
        fail('ValidationOverflow', `tensor "${e.name}": shape [${e.shape.join(', ')}] has more than 2^53 elements`, { file, offset: 8 });
      numel *= d;
    }
    const size = SOURCE_DTYPES[e.dtype].size;
    if (numel > Number.MAX_SAFE_INTEGER / size) fail('ValidationOverflow', `tensor "${e.name}": byte size overflows`, { file, offset: 8 });
    if (e.end - e.start !== numel * size) {
      fail('TensorInvalidInfo', `tensor "${e.name}": ${e.end - e.start} bytes for ${numel} ${e.dtype} elements of ${size} bytes (expected ${numel * size})`, {
        file,
        offset: 8 + n + e.start,
      });
    }
  }
  if (8 + n + pos !== src.size) {
    fail(
      'MetadataIncompleteBuffer',
      `safetensors data end at byte ${8 + n + pos} but the file has ${src.size} bytes (${8 + n + pos < src.size ? 'trailing bytes' : 'truncated'})`,
      { file, offset: 8 + n + pos },
    );
  }
  return { headerLength: n, entries, metadata };
}

export interface SafetensorsReadOptions {
  filter?: ((name: string) => boolean) | undefined;
  int64?: Int64Mode | undefined;
  maxTensorBytes?: number | undefined;
}

export interface SafetensorsContents {
  tensors: Map<string, RawTensor>;
  skipped: Map<string, SkippedTensor>;
  metadata: Record<string, string> | null;
  /** All entries, loaded or skipped, in header order of data. */
  entries: SafetensorsEntry[];
}

/** Reads a safetensors source: header checks first, then only the tensors `filter` accepts. */
export function readSafetensors(src: ByteSource, opts: SafetensorsReadOptions = {}): SafetensorsContents {
  const header = readSafetensorsHeader(src);
  const base = 8 + header.headerLength;
  const tensors = new Map<string, RawTensor>();
  const skipped = new Map<string, SkippedTensor>();
  const mopts = { int64: opts.int64, maxTensorBytes: opts.maxTensorBytes, file: src.name };
  const rowMajor = (shape: number[]): number[] => {
    const s = new Array<number>(shape.length);
    let acc = 1;
    for (let i = shape.length - 1; i >= 0; i--) {
      s[i] = acc;
      acc *= shape[i]!;
    }
    return s;
  };
  const wanted = header.entries.filter((e) => {
    if (!opts.filter || opts.filter(e.name)) return true;
    skipped.set(e.name, { skipped: true, dtype: outDtypeOf(e.dtype, opts.int64 ?? 'error'), sourceDtype: e.dtype, shape: e.shape });
    return false;
  });
  // Check every size limit before reading any tensor.
  const specs = wanted.map((e) => {
    const spec = { name: e.name, dtype: e.dtype, offset: 0, shape: e.shape, stride: rowMajor(e.shape) };
    checkView(spec, e.end - e.start, { ...mopts, at: base + e.start });
    return spec;
  });
  wanted.forEach((e, k) => {
    const bytes = src.copy(base + e.start, e.end - e.start);
    tensors.set(e.name, materialize(specs[k]!, bytes, true, true, { ...mopts, at: base + e.start }));
  });
  return { tensors, skipped, metadata: header.metadata, entries: header.entries };
}
