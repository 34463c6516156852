/** Element types. float64 exists so that finite differences are meaningful (gradcheck). */
export type DType = 'float32' | 'float64' | 'int32' | 'bool';

export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'bool'];

/** The typed array that stores each dtype; bool is one byte per element (0 or 1). */
export interface ArrayOf {
  float32: Float32Array;
  float64: Float64Array;
  int32: Int32Array;
  bool: Uint8Array;
}
export type DataArray = ArrayOf[DType];

const CTORS = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  bool: Uint8Array,
} as const satisfies { [D in DType]: { new (n: number): ArrayOf[D] } };

export function allocArray<D extends DType>(dtype: D, size: number): ArrayOf[D] {
  return new CTORS[dtype](size) as ArrayOf[D];
}

/** Whether `data` is the typed array that stores `dtype`. */
export function isArrayOf(data: DataArray, dtype: DType): boolean {
  return data instanceof CTORS[dtype];
}

/** The typed array of `dtype` over `length` elements of a buffer from byteOffset (no copy). */
export function viewArray<D extends DType>(dtype: D, buffer: ArrayBufferLike, byteOffset: number, length: number): ArrayOf[D] {
  const View = CTORS[dtype] as unknown as new (buffer: ArrayBufferLike, byteOffset: number, length: number) => ArrayOf[D];
  return new View(buffer, byteOffset, length);
}

export function bytesPerElement(dtype: DType): number {
  return CTORS[dtype].BYTES_PER_ELEMENT;
}

export function isFloat(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64';
}

export function isDType(x: unknown): x is DType {
  return typeof x === 'string' && (DTYPES as readonly string[]).includes(x);
}

const RANK: { [D in DType]: number } = { bool: 0, int32: 1, float32: 2, float64: 3 };

/** Result dtype of a binary op on two tensors: bool < int32 < float32 < float64 (as PyTorch). */
export function promoteTypes(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

/** The dtype a JS array or typed array is read as when no dtype is given. */
export function inferDType(data: unknown): DType {
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint8Array) return 'bool';
  if (typeof data === 'boolean') return 'bool';
  if (Array.isArray(data)) {
    let first: unknown = data;
    while (Array.isArray(first) && first.length > 0) first = first[0];
    if (typeof first === 'boolean') return 'bool';
  }
  return 'float32';
}
