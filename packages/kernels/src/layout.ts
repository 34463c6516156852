import { BackendError, DTypeError, type DType, contiguousStrides } from '@pixgrad/core';

/** Largest rank a kernel's uniforms can describe (shapes travel as two vec4<u32>). */
export const MAX_RANK = 8;

/** WGSL storage type of each dtype. bool is one u32 (0 or 1) per element: WGSL has no 8-bit storage. */
export type StorageType = 'f32' | 'i32' | 'u32';

/** The WGSL type a dtype is stored as; float64 is refused (WGSL has no f64: cast before upload). */
export function storageType(dtype: DType, op: string): StorageType {
  switch (dtype) {
    case 'float32':
      return 'f32';
    case 'int32':
      return 'i32';
    case 'bool':
      return 'u32';
    case 'float64':
      throw new DTypeError(
        `webgpu ${op}: float64 is not supported on the WebGPU backend (WGSL has no f64); cast to float32 first, or use the cpu device for float64 work such as gradcheck`,
      );
  }
}

/** Strides that read a dense array of `shape` as `outShape` under numpy broadcasting (0 on broadcast dims). */
export function broadcastStridesOf(shape: readonly number[], outShape: readonly number[]): number[] {
  const st = contiguousStrides(shape);
  const out = new Array<number>(outShape.length).fill(0);
  const off = outShape.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[off + i] = shape[i] === 1 ? 0 : st[i]!;
  return out;
}

/**
 * Merges adjacent dims that every stride set walks contiguously, and drops size-1 dims, so a kernel
 * indexes with as few divisions as possible (same-shape operands become rank 1; a per-channel
 * bias on NCHW becomes rank 2 or 3). The result has rank >= 1; `dimOf[d]` is the merged dim that
 * dim d went to (-1 for a dropped size-1 dim).
 */
export function coalesce(shape: readonly number[], strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][]; dimOf: number[] } {
  const dims: number[] = [];
  const st: number[][] = strides.map(() => []);
  const dimOf: number[] = [];
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d]!;
    if (n === 1) {
      dimOf.push(-1);
      continue;
    }
    const last = dims.length - 1;
    if (last >= 0 && strides.every((s, j) => st[j]![last] === s[d]! * n)) {
      dims[last] = dims[last]! * n;
      strides.forEach((s, j) => (st[j]![last] = s[d]!));
    } else {
      dims.push(n);
      strides.forEach((s, j) => st[j]!.push(s[d]!));
    }
    dimOf.push(dims.length - 1);
  }
  if (dims.length === 0) return { shape: [1], strides: strides.map(() => [0]), dimOf };
  return { shape: dims, strides: st, dimOf };
}

/** Throws when a kernel would need more than MAX_RANK dims. */
export function checkRank(op: string, rank: number): void {
  if (rank > MAX_RANK) throw new BackendError(`webgpu ${op}: rank ${rank} after merging contiguous dims exceeds the kernels' limit of ${MAX_RANK}`);
}
