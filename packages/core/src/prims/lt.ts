import type { Tensor, TensorLike } from '../tensor.js';
import { applyCompare, comparePrim } from './compare.js';

/** lt: a comparison, not differentiable (bool result). */
/** @internal registered in registry.ts */
export const ltPrim = comparePrim('lt');

/**
 * a < b elementwise with broadcasting; a bool tensor. Operands are promoted to a common dtype
 * first; a JS number is a scalar. Any comparison with NaN is false, except ne.
 * @example lt(tensor([1, 2]), 2) // [true, false]
 */
export function lt(a: TensorLike, b: TensorLike): Tensor {
  return applyCompare(ltPrim, a, b);
}
