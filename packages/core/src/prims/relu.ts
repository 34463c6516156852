import { tidy } from '../memory.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { gt } from './gt.js';
import { applyUnary, unaryPrim } from './unary.js';
import { where } from './where.js';

/** relu: the cotangent passes where out > 0, so relu'(0) = 0 (PyTorch's threshold_backward). */
/** @internal registered in registry.ts */
export const reluPrim = unaryPrim('relu', (g, _x, out) => tidy(() => where(gt(out, 0), g, 0)));

/**
 * max(x, 0) elementwise (NaN stays NaN). Keeps int32 and bool dtypes. Gradient 1 for x > 0 and
 * 0 for x <= 0: relu'(0) = 0, as PyTorch.
 * @example relu(tensor([-1, 0, 2])) // [0, 0, 2]
 */
export function relu(x: Tensor): Tensor {
  assertUsable(x, 'relu');
  return applyUnary(reluPrim, x, {}, false);
}
