import { type Tensor, assertUsable } from '../tensor.js';
import { applyUnary, unaryPrim } from './unary.js';

/** ceil: piecewise constant, so its gradient is zero everywhere (PyTorch's convention, also at the jumps). */
/** @internal registered in registry.ts */
export const ceilPrim = unaryPrim('ceil', { nondiff: "piecewise constant: zero gradient almost everywhere (PyTorch's ceil_backward is zeros)" });

/**
 * The smallest integer >= x, elementwise. Keeps int32 and bool dtypes (where it is the identity). Not
 * differentiable: the result never requires grad, so no gradient flows through it (PyTorch's
 * gradient is zero there too).
 * @example ceil(tensor([-1.5, 1.5])) // [-1, 2]
 */
export function ceil(x: Tensor): Tensor {
  assertUsable(x, 'ceil');
  return applyUnary(ceilPrim, x, {}, false);
}
