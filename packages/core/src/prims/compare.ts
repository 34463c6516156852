import type { CompareOp } from '../backend.js';
import { type Prim, apply } from '../prim.js';
import { broadcastShapes } from '../shape.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { coerce } from './binary.js';
import { checkOperands } from './operands.js';

/**
 * Builds the primitive for one comparison: numpy broadcasting, a bool result, no VJP (comparisons
 * are not differentiable; their result never requires grad, as in PyTorch).
 */
export function comparePrim(op: CompareOp): Prim<void> {
  return {
    name: op,
    forward: (backend, [a, b]) => {
      const shape = broadcastShapes(op, a!.shape, b!.shape);
      return { buf: backend.compare(op, a!, b!, shape), shape, dtype: 'bool' };
    },
    nondiff: 'a bool result: comparisons are not differentiable',
  };
}

/**
 * Applies a comparison: operands are promoted to one dtype first (bool < int32 < float32 <
 * float64; a JS number is a scalar of the tensor's dtype), as the binary ops do.
 */
export function applyCompare(prim: Prim<void>, a: TensorLike, b: TensorLike): Tensor {
  checkOperands(prim.name, ['a', 'b'], a, b);
  const c = coerce(prim.name, a, b);
  const out = apply(prim, [c.a, c.b], undefined);
  for (const t of c.temps) t.dispose();
  return out;
}
