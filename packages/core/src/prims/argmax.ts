import type { ArgReduceOp } from '../backend.js';
import { ValueError, fmtShape } from '../errors.js';
import { type Prim, apply } from '../prim.js';
import { normalizeAxis } from '../shape.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { reshape } from './reshape.js';

/** argmax / argmin along one axis, kept as size 1; int32, not differentiable (no VJP). */
function argPrim(op: ArgReduceOp): Prim<number> {
  return {
    name: op,
    forward: (backend, [x], axis) => ({ buf: backend.argReduce(op, x!, axis), shape: x!.shape.map((n, d) => (d === axis ? 1 : n)), dtype: 'int32' }),
    nondiff: 'an int32 index: not differentiable',
  };
}
/** @internal registered in registry.ts */
export const ARG_PRIMS: { [K in ArgReduceOp]: Prim<number> } = { argmax: argPrim('argmax'), argmin: argPrim('argmin') };

/** @internal the shared body of argmax and argmin */
export function argReduce(op: ArgReduceOp, x: Tensor, axis?: number, keepdim = false): Tensor {
  assertUsable(x, op);
  if (axis === undefined || x.rank === 0) {
    if (axis !== undefined) normalizeAxis(op, axis, 0);
    if (x.size === 0) throw new ValueError(`${op}: cannot take the ${op} of an empty tensor ${fmtShape(x.shape)}`);
    const flat = reshape(x, [x.size]);
    const i = apply(ARG_PRIMS[op], [flat], 0);
    flat.dispose();
    const out = reshape(i, keepdim ? x.shape.map(() => 1) : []);
    i.dispose();
    return out;
  }
  const a = normalizeAxis(op, axis, x.rank);
  if (x.shape[a] === 0) throw new ValueError(`${op}: cannot reduce over axis ${a} of size 0 (shape ${fmtShape(x.shape)})`);
  const i = apply(ARG_PRIMS[op], [x], a);
  if (keepdim) return i;
  const out = reshape(
    i,
    x.shape.filter((_, d) => d !== a),
  );
  i.dispose();
  return out;
}

/**
 * The int32 index of the largest value along `axis` (as torch.argmax). Without an axis, the index
 * into the flattened tensor (keepdim then gives a shape of all ones). Ties give the first index;
 * NaN counts as the largest value. Not differentiable. An empty reduction is a ValueError.
 * @example tensor([[1, 5, 5], [7, 0, 7]]).argmax(1) // [1, 0]
 */
export function argmax(x: Tensor, axis?: number, keepdim = false): Tensor {
  return argReduce('argmax', x, axis, keepdim);
}
