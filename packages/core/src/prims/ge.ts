import type { Tensor, TensorLike } from '../tensor.js';
import { applyCompare, comparePrim } from './compare.js';

/** ge: a comparison, not differentiable (bool result). */
/** @internal registered in registry.ts */
export const gePrim = comparePrim('ge');

/**
 * a >= b elementwise with broadcasting; a bool tensor. Operands are promoted to a common dtype
 * first; a JS number is a scalar. Any comparison with NaN is false, except ne.
 * @example ge(tensor([1, 2]), 2) // [false, true]
 */
export function ge(a: TensorLike, b: TensorLike): Tensor {
  return applyCompare(gePrim, a, b);
}
