import type { Tensor, TensorLike } from '../tensor.js';
import { applyCompare, comparePrim } from './compare.js';

/** le: a comparison, not differentiable (bool result). */
/** @internal registered in registry.ts */
export const lePrim = comparePrim('le');

/**
 * a <= b elementwise with broadcasting; a bool tensor. Operands are promoted to a common dtype
 * first; a JS number is a scalar. Any comparison with NaN is false, except ne.
 * @example le(tensor([1, 2]), 2) // [true, true]
 */
export function le(a: TensorLike, b: TensorLike): Tensor {
  return applyCompare(lePrim, a, b);
}
