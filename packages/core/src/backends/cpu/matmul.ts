import type { View } from '../../backend.js';
import { allocArray, type DataArray } from '../../dtype.js';
import { type Shape, batchOffsets, broadcastStrides, isDenseBatch, sizeOf } from '../../shape.js';
import { gemm } from './gemm.js';

/**
 * Batched matmul: out[..., i, j] = sum_p A[..., i, p] * B[..., p, j], where A is a ([..., m, k]) or
 * its transpose read in place (transA: a is [..., k, m]), likewise B; the batch dims broadcast to
 * outShape's leading dims (a size-1 or missing batch dim of an operand is re-read, never copied).
 * Accumulates in float64 and rounds once on store.
 */
export function matmul(a: View<DataArray>, b: View<DataArray>, transA: boolean, transB: boolean, outShape: Shape): DataArray {
  const rank = outShape.length;
  const m = outShape[rank - 2]!;
  const n = outShape[rank - 1]!;
  const k = a.shape[a.shape.length - (transA ? 2 : 1)]!;
  const batchShape = outShape.slice(0, rank - 2);
  const batch = sizeOf(batchShape);
  const out = allocArray(a.dtype, batch * m * n);
  if (out.length === 0 || k === 0) return out;

  // element strides of A(i, p) and B(p, j) inside one matrix
  const ars = transA ? 1 : k,
    acs = transA ? m : 1;
  const brs = transB ? 1 : n,
    bcs = transB ? k : 1;
  // matrix strides of each operand's batch dims, broadcast to the output's (0 where broadcast)
  const aBatch = broadcastStrides(a.shape.slice(0, -2), batchShape).map((s) => s * m * k);
  const bBatch = broadcastStrides(b.shape.slice(0, -2), batchShape).map((s) => s * k * n);

  const direct = a.dtype === 'float64';
  const acc = direct ? (out as Float64Array) : new Float64Array(m * n);
  const store = (o: number): void => {
    if (direct) return;
    out.set(acc, o);
    acc.fill(0);
  };

  // B shared by every batch and A rows contiguous: the batch folds into m, one gemm
  if (!transA && bBatch.every((s) => s === 0) && isDenseBatch(aBatch, batchShape, m * k)) {
    if (direct) gemm(batch * m, n, k, a.buf, 0, ars, acs, b.buf, 0, brs, bcs, acc, 0, n);
    else {
      const all = new Float64Array(batch * m * n);
      gemm(batch * m, n, k, a.buf, 0, ars, acs, b.buf, 0, brs, bcs, all, 0, n);
      out.set(all);
    }
    return out;
  }

  let o = 0;
  for (const [aOff, bOff] of batchOffsets(batchShape, [aBatch, bBatch])) {
    gemm(m, n, k, a.buf, aOff!, ars, acs, b.buf, bOff!, brs, bcs, acc, direct ? o : 0, n);
    store(o);
    o += m * n;
  }
  return out;
}
