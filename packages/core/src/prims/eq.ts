import type { Tensor, TensorLike } from '../tensor.js';
import { applyCompare, comparePrim } from './compare.js';

/** eq: a comparison, not differentiable (bool result). */
/** @internal registered in registry.ts */
export const eqPrim = comparePrim('eq');

/**
 * a == b elementwise with broadcasting; a bool tensor. Operands are promoted to a common dtype
 * first; a JS number is a scalar. Any comparison with NaN is false, except ne.
 * @example eq(tensor([1, 2]), 2) // [false, true]
 */
export function eq(a: TensorLike, b: TensorLike): Tensor {
  return applyCompare(eqPrim, a, b);
}
