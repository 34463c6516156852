import type { Tensor, TensorLike } from '../tensor.js';
import { applyCompare, comparePrim } from './compare.js';

/** gt: a comparison, not differentiable (bool result). */
/** @internal registered in registry.ts */
export const gtPrim = comparePrim('gt');

/**
 * a > b elementwise with broadcasting; a bool tensor. Operands are promoted to a common dtype
 * first; a JS number is a scalar. Any comparison with NaN is false, except ne.
 * @example gt(tensor([1, 2]), 1) // [false, true]
 */
export function gt(a: TensorLike, b: TensorLike): Tensor {
  return applyCompare(gtPrim, a, b);
}
