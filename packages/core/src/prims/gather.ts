import { DTypeError, ShapeError, fmtShape } from '../errors.js';
import { type Prim, apply } from '../prim.js';
import { normalizeAxis } from '../shape.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { scatterAddInto } from './scatterAdd.js';

/**
 * gather (torch.gather): out has the index's shape and
 * out[i_0..i_k] = x[i_0, .., index[i_0..i_k] (at position axis), .., i_k].
 * VJP: the cotangent scatter-added into zeros of x's shape at the same positions (whose own VJP
 * is this gather again, so gradients of gradients work). Repeated indices accumulate.
 */
/** @internal registered in registry.ts */
export const gatherPrim: Prim<number> = {
  name: 'gather',
  forward: (backend, [x, index], axis) => ({ buf: backend.gather(x!, axis, index!), shape: index!.shape, dtype: x!.dtype }),
  vjp: (g, { inputs: [x, index], params: axis, needs }) => [needs[0] ? scatterAddInto(x!.shape, axis, index!, g) : null, null],
};

/** Checks an int32 index tensor against x as torch.gather / scatter_add do (same rank, no larger off the axis). */
export function checkIndexShape(op: string, x: Tensor, axis: number, index: Tensor, what = 'x'): void {
  if (index.dtype !== 'int32') throw new DTypeError(`${op}: the index must be int32, got ${index.dtype}`);
  if (index.rank !== x.rank) {
    throw new ShapeError(`${op}: the index ${fmtShape(index.shape)} must have the same rank as ${what} ${fmtShape(x.shape)}`);
  }
  index.shape.forEach((n, d) => {
    if (d !== axis && n > x.shape[d]!) {
      throw new ShapeError(
        `${op}: the index ${fmtShape(index.shape)} is larger than ${what} ${fmtShape(x.shape)} in dimension ${d} (only the gathered axis ${axis} may differ)`,
      );
    }
  });
}

/**
 * torch.gather: picks values of x along `axis` at the positions an int32 `index` gives; the
 * result has the index's shape (same rank as x, no larger than x except along `axis`). Indices
 * must lie in [0, x.shape[axis]): an IndexError otherwise, at once on the CPU, and on WebGPU (whose
 * kernels cannot throw) when the next result is read.
 * @example gather(tensor([[1, 2], [3, 4]]), 1, tensor([[0, 0], [1, 0]], { dtype: 'int32' })) // [[1, 1], [4, 3]]
 */
export function gather(x: Tensor, axis: number, index: Tensor): Tensor {
  assertUsable(x, 'gather');
  assertUsable(index, 'gather');
  const a = normalizeAxis('gather', axis, x.rank);
  checkIndexShape('gather', x, a, index);
  return apply(gatherPrim, [x, index], a);
}
