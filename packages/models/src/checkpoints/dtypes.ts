/**
 * Element types as files store them, and what pixgrad keeps of each.
 *
 * pixgrad tensors have four dtypes ('float32' | 'float64' | 'int32' | 'bool', see
 * `@pixgrad/core`'s `DType`). Files carry more; the mapping is: f16 and bf16 widen to float32
 * (exact), f32/f64 stay, every integer type becomes int32 (u8/i8/i16/u16 exactly; i32 as is;
 * u32/i64/u64 range-checked, see `Int64Mode`), bool stays bool (one byte, 0 or 1).
 */

/** A file's element type, named as torch names it (`torch.float16` -> 'float16'). */
export type SourceDtype =
  'bool' | 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'uint64' | 'int64' | 'float16' | 'bfloat16' | 'float32' | 'float64';

/** pixgrad's element types (the same union as `DType` in `@pixgrad/core`). */
export type OutDtype = 'float32' | 'float64' | 'int32' | 'bool';

/**
 * What to do with 64-bit (and unsigned 32-bit) integers, which pixgrad's int32 cannot always hold.
 * - `'error'` (default): convert to int32, and throw `IntegerOverflow` naming the tensor if any
 *   value is outside [-2^31, 2^31).
 * - `'wrap'`: keep the low 32 bits (two's complement), as a C cast would.
 * - `'float64'`: load them as float64 instead (exact up to 2^53).
 */
export type Int64Mode = 'error' | 'wrap' | 'float64';

interface DtypeInfo {
  /** Bytes per element in the file. */
  size: number;
  /** pixgrad dtype it loads as (before `Int64Mode`). */
  out: OutDtype;
  /** Values may not fit int32 (subject to `Int64Mode`). */
  wide: boolean;
}

export const SOURCE_DTYPES: { readonly [D in SourceDtype]: DtypeInfo } = {
  bool: { size: 1, out: 'bool', wide: false },
  uint8: { size: 1, out: 'int32', wide: false },
  int8: { size: 1, out: 'int32', wide: false },
  uint16: { size: 2, out: 'int32', wide: false },
  int16: { size: 2, out: 'int32', wide: false },
  uint32: { size: 4, out: 'int32', wide: true },
  int32: { size: 4, out: 'int32', wide: false },
  uint64: { size: 8, out: 'int32', wide: true },
  int64: { size: 8, out: 'int32', wide: true },
  float16: { size: 2, out: 'float32', wide: false },
  bfloat16: { size: 2, out: 'float32', wide: false },
  float32: { size: 4, out: 'float32', wide: false },
  float64: { size: 8, out: 'float64', wide: false },
};

/** The pixgrad dtype a file dtype loads as under `mode`. */
export function outDtypeOf(src: SourceDtype, mode: Int64Mode): OutDtype {
  const info = SOURCE_DTYPES[src];
  return info.wide && mode === 'float64' ? 'float64' : info.out;
}

export const OUT_BYTES: { readonly [D in OutDtype]: number } = { float32: 4, float64: 8, int32: 4, bool: 1 };

/**
 * torch storage classes (`torch.FloatStorage`, ...) and their element types. `null` marks types
 * torch can write but pixgrad cannot represent (complex, quantized), so the error can say so
 * instead of "unknown global".
 */
export const TORCH_STORAGE_TYPES: { readonly [name: string]: SourceDtype | null } = {
  DoubleStorage: 'float64',
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
  ComplexFloatStorage: null,
  ComplexDoubleStorage: null,
  QUInt8Storage: null,
  QInt8Storage: null,
  QInt32Storage: null,
  QUInt4x2Storage: null,
  QUInt2x4Storage: null,
};

/** `torch.<name>` dtype objects (as pickled in `_rebuild_tensor_v3` or optimizer state). */
export const TORCH_DTYPE_OBJECTS: { readonly [name: string]: SourceDtype | null } = {
  float64: 'float64',
  double: 'float64',
  float32: 'float32',
  float: 'float32',
  float16: 'float16',
  half: 'float16',
  bfloat16: 'bfloat16',
  int64: 'int64',
  long: 'int64',
  int32: 'int32',
  int: 'int32',
  int16: 'int16',
  short: 'int16',
  int8: 'int8',
  uint8: 'uint8',
  uint16: 'uint16',
  uint32: 'uint32',
  uint64: 'uint64',
  bool: 'bool',
  complex64: null,
  complex128: null,
  cfloat: null,
  cdouble: null,
};

/** safetensors dtype strings (huggingface/safetensors `Dtype`) this reader loads. */
export const SAFETENSORS_DTYPES: { readonly [name: string]: SourceDtype } = {
  BOOL: 'bool',
  U8: 'uint8',
  I8: 'int8',
  U16: 'uint16',
  I16: 'int16',
  U32: 'uint32',
  I32: 'int32',
  U64: 'uint64',
  I64: 'int64',
  F16: 'float16',
  BF16: 'bfloat16',
  F32: 'float32',
  F64: 'float64',
};

/** safetensors dtypes that exist in the spec but that pixgrad cannot represent. */
export const SAFETENSORS_UNSUPPORTED: readonly string[] = ['F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'F6_E2M3', 'F6_E3M2', 'F4', 'C64'];

/** The safetensors dtype string that pixgrad's dtypes are written as. */
export const SAFETENSORS_OF_OUT: { readonly [D in OutDtype]: string } = {
  float32: 'F32',
  float64: 'F64',
  int32: 'I32',
  bool: 'BOOL',
};
