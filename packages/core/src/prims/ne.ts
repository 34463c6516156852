import type { Tensor, TensorLike } from '../tensor.js';
import { applyCompare, comparePrim } from './compare.js';

/** ne: a comparison, not differentiable (bool result). */
/** @internal registered in registry.ts */
export const nePrim = comparePrim('ne');

/**
 * a != b (true where either is NaN) elementwise with broadcasting; a bool tensor. Operands are promoted to a common dtype
 * first; a JS number is a scalar. Any comparison with NaN is false, except ne.
 * @example ne(tensor([1, 2]), 2) // [true, false]
 */
export function ne(a: TensorLike, b: TensorLike): Tensor {
  return applyCompare(nePrim, a, b);
}
