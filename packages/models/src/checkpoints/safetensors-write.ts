/**
 * Writes `.safetensors` files (format: huggingface/safetensors README "Format"; layout choices of
 * the reference `serialize`): tensors ordered by element size (largest first) then name, so every
 * tensor's data start is aligned to its element size; the JSON header padded with spaces to a
 * multiple of 8 bytes; `__metadata__` string -> string only; data little-endian.
 * The output reads back with `readCheckpointRaw` and with the Python/Rust `safetensors` packages.
 */
import { OUT_BYTES, SAFETENSORS_OF_OUT, type OutDtype } from './dtypes.js';
import { fail } from '../errors.js';
import { numelOf } from './materialize.js';
import { isRawTensor, type RawTensor } from './raw-tensor.js';
import { host } from '#host';

/** What can be saved: a `RawTensor`, or anything tensor-like with `shape`, `dtype` and `data()` (a pixgrad `Tensor`). */
export interface TensorSource {
  readonly shape: readonly number[];
  readonly dtype: string;
  data(): Promise<ArrayLike<number>> | ArrayLike<number>;
}

const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function entriesOf<T>(tensors: Map<string, T> | Record<string, T>): [string, T][] {
  return tensors instanceof Map ? [...tensors] : Object.entries(tensors);
}

/**
 * Serialises raw tensors to safetensors bytes.
 *
 * @example
 * const bytes = serializeSafetensors({ w: { dtype: 'float32', sourceDtype: 'float32', shape: [2], data: new Float32Array([1, 2]) } }, { format: 'pt' });
 */
export function serializeSafetensors(tensors: Map<string, RawTensor> | Record<string, RawTensor>, metadata?: Record<string, string> | null): Uint8Array {
  const list = entriesOf(tensors);
  const seen = new Set<string>();
  for (const [name, t] of list) {
    if (name === '__metadata__') fail('InvalidArgument', "a tensor cannot be named '__metadata__'");
    if (seen.has(name)) fail('InvalidArgument', `tensor '${name}' given twice`);
    seen.add(name);
    if (!isRawTensor(t) || !(t.dtype in SAFETENSORS_OF_OUT)) fail('InvalidArgument', `tensor '${name}' is not a RawTensor with a pixgrad dtype`);
    const n = numelOf(t.shape, `tensor '${name}'`);
    if (n !== t.data.length) fail('InvalidArgument', `tensor '${name}': shape [${t.shape.join(', ')}] needs ${n} values, data has ${t.data.length}`);
  }
  const sorted = [...list].sort(([an, a], [bn, b]) => OUT_BYTES[b.dtype] - OUT_BYTES[a.dtype] || (an < bn ? -1 : an > bn ? 1 : 0));

  const header: Record<string, unknown> = {};
  if (metadata) {
    const m: Record<string, string> = {};
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') fail('InvalidArgument', `__metadata__["${k}"] must be a string`);
      m[k] = v;
    }
    header['__metadata__'] = m;
  }
  let offset = 0;
  for (const [name, t] of sorted) {
    const nbytes = t.data.length * OUT_BYTES[t.dtype];
    header[name] = { dtype: SAFETENSORS_OF_OUT[t.dtype], shape: [...t.shape], data_offsets: [offset, offset + nbytes] };
    offset += nbytes;
  }
  // JSON.stringify of a plain object would treat a key "__proto__" specially; define keys explicitly.
  let json =
    '{' +
    Object.keys(header)
      .map((k) => `${JSON.stringify(k)}:${JSON.stringify(header[k])}`)
      .join(',') +
    '}';
  let hbytes = new TextEncoder().encode(json);
  const pad = (8 - (hbytes.length % 8)) % 8;
  if (pad) {
    json += ' '.repeat(pad);
    hbytes = new TextEncoder().encode(json);
  }
  const out = new Uint8Array(8 + hbytes.length + offset);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, hbytes.length, true);
  dv.setUint32(4, 0, true);
  out.set(hbytes, 8);
  let p = 8 + hbytes.length;
  for (const [, t] of sorted) {
    const size = OUT_BYTES[t.dtype];
    if (HOST_LE || size === 1) {
      out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.length * size), p);
      if (t.dtype === 'bool') for (let i = 0; i < t.data.length; i++) out[p + i] = t.data[i] ? 1 : 0;
    } else {
      for (let i = 0; i < t.data.length; i++) {
        const v = t.data[i]!;
        if (t.dtype === 'float32') dv.setFloat32(p + 4 * i, v, true);
        else if (t.dtype === 'float64') dv.setFloat64(p + 8 * i, v, true);
        else dv.setInt32(p + 4 * i, v, true);
      }
    }
    p += t.data.length * size;
  }
  return out;
}

/** Reads a tensor-like's values into a `RawTensor`. */
async function toRaw(name: string, t: RawTensor | TensorSource): Promise<RawTensor> {
  if (isRawTensor(t)) return t;
  const dtype = t.dtype as OutDtype;
  if (!(dtype in SAFETENSORS_OF_OUT)) fail('InvalidArgument', `tensor '${name}': dtype ${t.dtype} cannot be saved`);
  const values = await t.data();
  const data =
    dtype === 'float32'
      ? Float32Array.from(values)
      : dtype === 'float64'
        ? Float64Array.from(values)
        : dtype === 'int32'
          ? Int32Array.from(values)
          : Uint8Array.from(values);
  return { dtype, sourceDtype: dtype, shape: [...t.shape], data } as RawTensor;
}

/**
 * Saves tensors (pixgrad `Tensor`s or `RawTensor`s) to a `.safetensors` file. The file is written
 * to a temporary name and renamed, so a crash never leaves a half-written file at `path`.
 *
 * @example
 * await saveSafetensors('weights.safetensors', { 'fc.weight': w, 'fc.bias': b }, { format: 'pt' });
 */
export async function saveSafetensors(
  path: string,
  tensors: Map<string, RawTensor | TensorSource> | Record<string, RawTensor | TensorSource>,
  metadata?: Record<string, string> | null,
): Promise<void> {
  const raw = new Map<string, RawTensor>();
  for (const [name, t] of entriesOf(tensors)) raw.set(name, await toRaw(name, t));
  await host.writeFileAtomic(path, serializeSafetensors(raw, metadata));
}
