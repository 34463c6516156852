import { type Tensor, assertUsable } from '../tensor.js';
import { applyUnary, unaryPrim } from './unary.js';

/** round: piecewise constant, so its gradient is zero everywhere (PyTorch's convention, also at the jumps). */
/** @internal registered in registry.ts */
export const roundPrim = unaryPrim('round', { nondiff: "piecewise constant: zero gradient almost everywhere (PyTorch's round_backward is zeros)" });

/**
 * x rounded to the nearest integer, halves to even (as PyTorch and numpy: round(0.5) = 0, round(1.5) = 2, round(2.5) = 2), elementwise. Keeps int32 and bool dtypes (where it is the identity). Not
 * differentiable: the result never requires grad, so no gradient flows through it (PyTorch's
 * gradient is zero there too).
 * @example round(tensor([0.5, 1.5, 2.5, -0.5])) // [0, 2, 2, -0]
 */
export function round(x: Tensor): Tensor {
  assertUsable(x, 'round');
  return applyUnary(roundPrim, x, {}, false);
}
