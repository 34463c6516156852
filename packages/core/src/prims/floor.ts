import { type Tensor, assertUsable } from '../tensor.js';
import { applyUnary, unaryPrim } from './unary.js';

/** floor: piecewise constant, so its gradient is zero everywhere (PyTorch's convention, also at the jumps). */
/** @internal registered in registry.ts */
export const floorPrim = unaryPrim('floor', { nondiff: "piecewise constant: zero gradient almost everywhere (PyTorch's floor_backward is zeros)" });

/**
 * The largest integer <= x, elementwise. Keeps int32 and bool dtypes (where it is the identity). Not
 * differentiable: the result never requires grad, so no gradient flows through it (PyTorch's
 * gradient is zero there too).
 * @example floor(tensor([-1.5, 1.5])) // [-2, 1]
 */
export function floor(x: Tensor): Tensor {
  assertUsable(x, 'floor');
  return applyUnary(floorPrim, x, {}, false);
}
