/**
 * Turns (storage bytes, element type, offset, shape, strides) into a dense row-major `RawTensor`.
 *
 * This is where a hostile checkpoint would turn into an out-of-bounds read or a huge allocation,
 * so `checkView` validates everything from metadata alone (shape and strides are safe
 * non-negative integers, numel does not overflow, the farthest element lies inside the storage,
 * the output fits the size limit) and the readers call it BEFORE they read or allocate anything.
 *
 * Element conversion goes through `DataView` (any alignment, either byte order) except for the
 * common little-endian float32/float64/int32 runs, which are bulk byte copies. Typed-array views
 * are only ever built over buffers this package allocated at offset 0, never at an unaligned
 * offset of a caller's array (which would throw `RangeError`).
 */
import { OUT_BYTES, SOURCE_DTYPES, outDtypeOf, type Int64Mode, type OutDtype, type SourceDtype } from './dtypes.js';
import { fail } from '../errors.js';
import type { ArrayOfOut, RawTensor } from './raw-tensor.js';

/** True on little-endian hosts (every platform Node and browsers run on today). */
const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Where a tensor's elements are in its storage, in elements of `dtype`. */
export interface ViewSpec {
  /** Name used in error messages (flattened key or storage key). */
  name: string;
  dtype: SourceDtype;
  offset: number;
  shape: readonly number[];
  stride: readonly number[];
}

export interface MaterializeOptions {
  int64?: Int64Mode | undefined;
  /** Largest dense output accepted, in bytes (default 2 GiB). */
  maxTensorBytes?: number | undefined;
  file?: string | undefined;
  /** File offset of the storage, for messages. */
  at?: number | undefined;
}

export const DEFAULT_MAX_TENSOR_BYTES = 2 ** 31;
/** Dense outputs larger than their storage (stride-0 / overlapping views) are capped at this. */
const MAX_EXPANDED_BYTES = 64 * 2 ** 20;

/** Product of dims, or throws if any dim is not a safe non-negative integer or the product overflows. */
export function numelOf(shape: readonly number[], what: string, file?: string, offset?: number): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      fail('InvalidTensor', `${what}: shape [${shape.join(', ')}] has a dimension that is not a non-negative integer`, { file, offset });
    }
    if (d !== 0 && n > Number.MAX_SAFE_INTEGER / d) {
      fail('LimitExceeded', `${what}: shape [${shape.join(', ')}] has more than 2^53 elements`, { file, offset });
    }
    n *= d;
  }
  return n;
}

/**
 * Validates a view against a storage of `storageBytes` bytes, from metadata only.
 * Returns the number of elements.
 */
export function checkView(spec: ViewSpec, storageBytes: number, opts: MaterializeOptions = {}): number {
  const { file, at } = opts;
  const { name, shape, stride, offset } = spec;
  const size = SOURCE_DTYPES[spec.dtype].size;
  if (shape.length !== stride.length) {
    fail('InvalidTensor', `tensor '${name}': shape [${shape.join(', ')}] and stride [${stride.join(', ')}] differ in rank`, { file, offset: at });
  }
  const numel = numelOf(shape, `tensor '${name}'`, file, at);
  if (!Number.isSafeInteger(offset) || offset < 0) {
    fail('InvalidTensor', `tensor '${name}': storage offset ${offset} is not a non-negative integer`, { file, offset: at });
  }
  for (const s of stride) {
    if (!Number.isSafeInteger(s) || s < 0) {
      fail('InvalidTensor', `tensor '${name}': stride [${stride.join(', ')}] has an entry that is not a non-negative integer`, { file, offset: at });
    }
  }
  const storageElems = Math.floor(storageBytes / size);
  if (numel > 0) {
    let last = offset;
    for (let i = 0; i < shape.length; i++) {
      last += (shape[i]! - 1) * stride[i]!;
      if (!Number.isSafeInteger(last)) fail('ViewOutOfBounds', `tensor '${name}': view exceeds storage (index overflow)`, { file, offset: at });
    }
    if (last >= storageElems) {
      fail(
        'ViewOutOfBounds',
        `tensor '${name}': view exceeds storage: size [${shape.join(', ')}] stride [${stride.join(', ')}] offset ${offset} reaches element ${last} of a ${storageElems}-element ${spec.dtype} storage`,
        { file, offset: at },
      );
    }
  }
  const outBytes = numel * OUT_BYTES[outDtypeOf(spec.dtype, opts.int64 ?? 'error')];
  const max = opts.maxTensorBytes ?? DEFAULT_MAX_TENSOR_BYTES;
  if (outBytes > max) {
    fail('LimitExceeded', `tensor '${name}': ${outBytes} bytes exceeds maxTensorBytes (${max})`, { file, offset: at });
  }
  if (numel > storageElems && outBytes > MAX_EXPANDED_BYTES) {
    fail(
      'LimitExceeded',
      `tensor '${name}': overlapping strides expand a ${storageElems}-element storage to ${numel} elements; refusing more than ${MAX_EXPANDED_BYTES} bytes`,
      { file, offset: at },
    );
  }
  return numel;
}

function allocOut<D extends OutDtype>(dtype: D, n: number): ArrayOfOut[D] {
  switch (dtype) {
    case 'float32':
      return new Float32Array(n) as ArrayOfOut[D];
    case 'float64':
      return new Float64Array(n) as ArrayOfOut[D];
    case 'int32':
      return new Int32Array(n) as ArrayOfOut[D];
    default:
      return new Uint8Array(n) as ArrayOfOut[D];
  }
}

/** IEEE 754 binary16 bits to a number. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

const BF16_SCRATCH_U32 = new Uint32Array(1);
const BF16_SCRATCH_F32 = new Float32Array(BF16_SCRATCH_U32.buffer);

interface RunCtx {
  src: SourceDtype;
  le: boolean;
  mode: Int64Mode;
  name: string;
  file: string | undefined;
  at: number | undefined;
}

function overflow(ctx: RunCtx, v: bigint | number): never {
  fail(
    'IntegerOverflow',
    `tensor '${ctx.name}': ${ctx.src} value ${v} does not fit in int32; pass { int64: 'float64' } or { int64: 'wrap' } to load it anyway`,
    { file: ctx.file, offset: ctx.at },
  );
}

/**
 * Converts `count` consecutive source elements starting at byte `byteStart` of `bytes` into
 * `out[outStart ..]`.
 */
function convertRun(bytes: Uint8Array, byteStart: number, count: number, out: ArrayOfOut[OutDtype], outStart: number, ctx: RunCtx): void {
  const { src, le } = ctx;
  const size = SOURCE_DTYPES[src].size;
  // Bulk byte copy when the in-memory layout already matches: same type, same byte order.
  if (
    le === HOST_LE &&
    ((src === 'float32' && out instanceof Float32Array) || (src === 'float64' && out instanceof Float64Array) || (src === 'int32' && out instanceof Int32Array))
  ) {
    new Uint8Array(out.buffer, out.byteOffset + outStart * size, count * size).set(bytes.subarray(byteStart, byteStart + count * size));
    return;
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset + byteStart, count * size);
  switch (src) {
    case 'bool':
    case 'uint8':
    case 'int8': {
      const o = out as Uint8Array | Int32Array;
      if (src === 'bool') for (let i = 0; i < count; i++) o[outStart + i] = dv.getUint8(i) !== 0 ? 1 : 0;
      else if (src === 'uint8') for (let i = 0; i < count; i++) o[outStart + i] = dv.getUint8(i);
      else for (let i = 0; i < count; i++) o[outStart + i] = dv.getInt8(i);
      return;
    }
    case 'uint16':
      for (let i = 0; i < count; i++) out[outStart + i] = dv.getUint16(2 * i, le);
      return;
    case 'int16':
      for (let i = 0; i < count; i++) out[outStart + i] = dv.getInt16(2 * i, le);
      return;
    case 'float16':
      for (let i = 0; i < count; i++) out[outStart + i] = halfToFloat(dv.getUint16(2 * i, le));
      return;
    case 'bfloat16':
      for (let i = 0; i < count; i++) {
        BF16_SCRATCH_U32[0] = dv.getUint16(2 * i, le) << 16;
        out[outStart + i] = BF16_SCRATCH_F32[0]!;
      }
      return;
    case 'float32':
      for (let i = 0; i < count; i++) out[outStart + i] = dv.getFloat32(4 * i, le);
      return;
    case 'float64':
      for (let i = 0; i < count; i++) out[outStart + i] = dv.getFloat64(8 * i, le);
      return;
    case 'int32':
      for (let i = 0; i < count; i++) out[outStart + i] = dv.getInt32(4 * i, le);
      return;
    case 'uint32':
      for (let i = 0; i < count; i++) {
        const v = dv.getUint32(4 * i, le);
        if (out instanceof Float64Array) out[outStart + i] = v;
        else if (v > 0x7fffffff && ctx.mode === 'error') overflow(ctx, v);
        else out[outStart + i] = v | 0;
      }
      return;
    case 'int64':
    case 'uint64':
      for (let i = 0; i < count; i++) {
        const lo = dv.getUint32(8 * i + (le ? 0 : 4), le);
        const hiU = dv.getUint32(8 * i + (le ? 4 : 0), le);
        const hi = src === 'int64' ? hiU | 0 : hiU;
        if (out instanceof Float64Array) {
          out[outStart + i] = hi * 0x1_0000_0000 + lo;
        } else {
          const fits = (hi === 0 && lo <= 0x7fffffff) || (hi === -1 && lo >= 0x80000000);
          if (!fits && ctx.mode === 'error') overflow(ctx, (BigInt(hi) << 32n) + BigInt(lo));
          out[outStart + i] = lo | 0;
        }
      }
      return;
  }
}

/**
 * Materialises one view of a storage as a dense row-major `RawTensor`.
 *
 * `exclusive` says that `bytes` is a buffer this package allocated (offset 0) and that no other
 * tensor uses this storage: then a full, contiguous, same-type, little-endian view is returned
 * without copying.
 */
export function materialize(spec: ViewSpec, bytes: Uint8Array, littleEndian: boolean, exclusive: boolean, opts: MaterializeOptions = {}): RawTensor {
  const numel = checkView(spec, bytes.length, opts);
  const mode = opts.int64 ?? 'error';
  const dtype = outDtypeOf(spec.dtype, mode);
  const size = SOURCE_DTYPES[spec.dtype].size;
  const shape = [...spec.shape];
  const ctx: RunCtx = { src: spec.dtype, le: littleEndian, mode, name: spec.name, file: opts.file, at: opts.at };

  // Row-major strides (dims of size 1 may carry any stride).
  let contiguous = true;
  let expect = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && spec.stride[i] !== expect) contiguous = false;
    expect *= shape[i]!;
  }

  if (
    exclusive &&
    contiguous &&
    littleEndian === HOST_LE &&
    spec.offset === 0 &&
    numel * size === bytes.length &&
    bytes.byteOffset % size === 0 &&
    ((spec.dtype === 'float32' && dtype === 'float32') || (spec.dtype === 'float64' && dtype === 'float64') || (spec.dtype === 'int32' && dtype === 'int32'))
  ) {
    const data =
      dtype === 'float32'
        ? new Float32Array(bytes.buffer, bytes.byteOffset, numel)
        : dtype === 'float64'
          ? new Float64Array(bytes.buffer, bytes.byteOffset, numel)
          : new Int32Array(bytes.buffer, bytes.byteOffset, numel);
    return { dtype, sourceDtype: spec.dtype, shape, data } as RawTensor;
  }

  const out = allocOut(dtype, numel);
  if (numel === 0) return { dtype, sourceDtype: spec.dtype, shape, data: out } as RawTensor;
  if (contiguous) {
    convertRun(bytes, spec.offset * size, numel, out, 0, ctx);
    return { dtype, sourceDtype: spec.dtype, shape, data: out } as RawTensor;
  }

  // Strided gather: walk the output in row-major order with an odometer over all but the last
  // dim, converting the last dim as a run when its stride is 1.
  const rank = shape.length;
  const lastN = shape[rank - 1]!;
  const lastS = spec.stride[rank - 1]!;
  const idx = new Array<number>(rank).fill(0);
  let base = spec.offset;
  let o = 0;
  while (o < numel) {
    if (lastS === 1) {
      convertRun(bytes, base * size, lastN, out, o, ctx);
    } else {
      for (let j = 0; j < lastN; j++) convertRun(bytes, (base + j * lastS) * size, 1, out, o + j, ctx);
    }
    o += lastN;
    // Advance the odometer over dims [0, rank-1).
    let d = rank - 2;
    while (d >= 0) {
      idx[d]!++;
      base += spec.stride[d]!;
      if (idx[d]! < shape[d]!) break;
      base -= spec.stride[d]! * shape[d]!;
      idx[d] = 0;
      d--;
    }
  }
  return { dtype, sourceDtype: spec.dtype, shape, data: out } as RawTensor;
}
