import { type Tensor, assertUsable } from '../tensor.js';
import { applyUnary, unaryPrim } from './unary.js';

/** sign: piecewise constant, so its gradient is zero everywhere (PyTorch's convention, also at 0). */
/** @internal registered in registry.ts */
export const signPrim = unaryPrim('sign', { nondiff: "piecewise constant: zero gradient almost everywhere (PyTorch's sign_backward is zeros)" });

/**
 * sign(x) elementwise: -1, 0 or 1 (NaN stays NaN). Keeps int32 and bool dtypes. Not
 * differentiable: the result never requires grad, so no gradient flows through it (PyTorch's
 * gradient is zero there too).
 * @example sign(tensor([-2, 0, 3])) // [-1, 0, 1]
 */
export function sign(x: Tensor): Tensor {
  assertUsable(x, 'sign');
  return applyUnary(signPrim, x, {}, false);
}
