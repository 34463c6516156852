/**
 * NumPy's `.npy` format (numpy/lib/format.py, "NEP 1"): a magic string `\x93NUMPY`, a version
 * (1.0, 2.0 or 3.0), a little-endian header length (u16 in 1.0, u32 after), and a Python-literal
 * dict `{'descr': '<f8', 'fortran_order': False, 'shape': (2048, 2048), }` padded with spaces and a
 * newline so the data starts on a 64-byte boundary, then the raw array bytes.
 *
 * Read: float32/float64 (either byte order: big-endian data are byte-swapped), int32/int64/uint8/bool,
 * C or Fortran order (Fortran is transposed to C order). Object arrays (`|O`, pickles) are refused:
 * they would need an unpickler for arbitrary code, and FID statistics never hold them.
 * Written: version 1.0 little-endian C-order float32/float64/int32/int64/uint8, as `np.save` does.
 */
import { sizeOf } from '@pixgrad/core';
import { fail } from '../errors.js';

export type NpyDtype = 'float32' | 'float64' | 'int32' | 'int64' | 'uint8' | 'bool';

/** One array: data in C (row-major) order; int64 is read as a Float64Array of exact integers (|v| < 2^53). */
export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: Float32Array | Float64Array | Int32Array | Uint8Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ITEM: Record<string, { dtype: NpyDtype; size: number }> = {
  f4: { dtype: 'float32', size: 4 },
  f8: { dtype: 'float64', size: 8 },
  i4: { dtype: 'int32', size: 4 },
  i8: { dtype: 'int64', size: 8 },
  u1: { dtype: 'uint8', size: 1 },
  b1: { dtype: 'bool', size: 1 },
};

/** The header dict's three keys, parsed from its Python-literal text (no eval). */
function parseHeader(text: string, file: string | undefined, at: number): { descr: string; fortran: boolean; shape: number[] } {
  const bad = (why: string): never => fail('InvalidHeader', `.npy header ${why}: ${JSON.stringify(text.trim().slice(0, 200))}`, { file, offset: at });
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(text)?.[1] ?? bad("has no 'descr'");
  const fo = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text)?.[1] ?? bad("has no 'fortran_order'");
  const sh = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text)?.[1] ?? bad("has no 'shape'");
  const shape = sh
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const v = /^\d+L?$/.test(s) ? Number.parseInt(s, 10) : Number.NaN;
      return Number.isSafeInteger(v) ? v : bad(`has a shape entry that is not a non-negative integer (${s})`);
    });
  return { descr, fortran: fo === 'True', shape };
}

/** C-order copy of Fortran-order data (the reversed-shape C array, axes reversed). */
function fromFortran<T extends NpyArray['data']>(src: T, shape: readonly number[]): T {
  const rank = shape.length;
  if (rank < 2) return src;
  const out = new (src.constructor as new (n: number) => T)(src.length);
  const fstride = new Array<number>(rank);
  let s = 1;
  for (let i = 0; i < rank; i++) {
    fstride[i] = s;
    s *= shape[i]!;
  }
  const idx = new Array<number>(rank).fill(0);
  for (let c = 0; c < src.length; c++) {
    let f = 0;
    for (let i = 0; i < rank; i++) f += idx[i]! * fstride[i]!;
    out[c] = src[f]!;
    for (let i = rank - 1; i >= 0; i--) {
      if (++idx[i]! < shape[i]!) break;
      idx[i] = 0;
    }
  }
  return out;
}

/**
 * Parses one `.npy` file. `file` names it in errors (`stats.npz:mu.npy`), which give the byte offset.
 * @example const { shape, data } = parseNpy(bytes); // [2048], Float64Array
 */
export function parseNpy(bytes: Uint8Array, file?: string): NpyArray {
  if (bytes.length < 10 || MAGIC.some((m, i) => bytes[i] !== m)) fail('InvalidMagic', 'not a .npy array (no \\x93NUMPY magic)', { file, offset: 0 });
  const major = bytes[6]!;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = dv.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail('UnexpectedEof', '.npy header length cut short', { file, offset: 8 });
    headerLen = dv.getUint32(8, true);
    start = 12;
  } else {
    return fail('Unsupported', `.npy format version ${major}.${bytes[7]} (1.0, 2.0 and 3.0 are read)`, { file, offset: 6 });
  }
  if (start + headerLen > bytes.length)
    fail('UnexpectedEof', `.npy header of ${headerLen} bytes runs past the end (${bytes.length} bytes)`, { file, offset: start });
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLen));
  const { descr, fortran, shape } = parseHeader(text, file, start);
  const m = /^([<>|=])([a-zA-Z]\d+)$/.exec(descr);
  const item = m ? ITEM[m[2]!] : undefined;
  if (!m || !item) {
    const why = descr.includes('O') ? ' (object arrays need pickle and are refused)' : '';
    return fail('InvalidDtype', `.npy dtype '${descr}' is not supported${why}; float32, float64, int32, int64, uint8 and bool are`, { file, offset: start });
  }
  const bigEndian = m[1] === '>';
  const pyShape = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const count = sizeOf(shape);
  const dataStart = start + headerLen;
  const need = count * item.size;
  if (bytes.length - dataStart !== need) {
    fail(
      bytes.length - dataStart < need ? 'UnexpectedEof' : 'InvalidTensor',
      `.npy data of shape ${pyShape} ${descr} needs ${need} bytes, the file has ${bytes.length - dataStart}`,
      {
        file,
        offset: dataStart,
      },
    );
  }
  let data: NpyArray['data'];
  switch (item.dtype) {
    case 'float32':
      data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = dv.getFloat32(dataStart + 4 * i, !bigEndian);
      break;
    case 'float64':
      data = new Float64Array(count);
      for (let i = 0; i < count; i++) data[i] = dv.getFloat64(dataStart + 8 * i, !bigEndian);
      break;
    case 'int32':
      data = new Int32Array(count);
      for (let i = 0; i < count; i++) data[i] = dv.getInt32(dataStart + 4 * i, !bigEndian);
      break;
    case 'int64':
      data = new Float64Array(count);
      for (let i = 0; i < count; i++) {
        const v = dv.getBigInt64(dataStart + 8 * i, !bigEndian);
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) {
          fail('IntegerOverflow', `.npy int64 element ${i} (${v}) is outside the exact double range`, { file, offset: dataStart + 8 * i });
        }
        data[i] = Number(v);
      }
      break;
    case 'uint8':
    case 'bool':
      data = bytes.slice(dataStart, dataStart + count);
      break;
  }
  return { dtype: item.dtype, shape, data: fortran ? fromFortran(data, shape) : data };
}

const DESCR: Record<NpyDtype, string> = { float32: '<f4', float64: '<f8', int32: '<i4', int64: '<i8', uint8: '|u1', bool: '|b1' };

/**
 * A `.npy` file (version 1.0, little-endian, C order) for `a`, as `np.save` writes it.
 * @example serializeNpy({ dtype: 'float64', shape: [3], data: new Float64Array([1, 2, 3]) })
 */
export function serializeNpy(a: NpyArray): Uint8Array {
  const count = a.shape.reduce((x, y) => x * y, 1);
  if (a.shape.some((d) => !Number.isSafeInteger(d) || d < 0) || a.data.length !== count) {
    fail('InvalidArgument', `serializeNpy: shape (${a.shape.join(', ')}) does not fit ${a.data.length} elements`);
  }
  const shape = a.shape.length === 1 ? `(${a.shape[0]},)` : `(${a.shape.join(', ')})`;
  let header = `{'descr': '${DESCR[a.dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const size = a.dtype === 'float64' || a.dtype === 'int64' ? 8 : a.dtype === 'float32' || a.dtype === 'int32' ? 4 : 1;
  const out = new Uint8Array(10 + header.length + count * size);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  const dv = new DataView(out.buffer);
  dv.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const at = 10 + header.length;
  for (let i = 0; i < count; i++) {
    const v = a.data[i]!;
    switch (a.dtype) {
      case 'float64':
        dv.setFloat64(at + 8 * i, v, true);
        break;
      case 'float32':
        dv.setFloat32(at + 4 * i, v, true);
        break;
      case 'int32':
        dv.setInt32(at + 4 * i, v, true);
        break;
      case 'int64':
        dv.setBigInt64(at + 8 * i, BigInt(Math.trunc(v)), true);
        break;
      default:
        out[at + i] = v;
    }
  }
  return out;
}
