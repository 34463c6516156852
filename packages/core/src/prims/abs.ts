import { tidy } from '../memory.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { mul } from './mul.js';
import { sign } from './sign.js';
import { applyUnary, unaryPrim } from './unary.js';

/** abs: d|x|/dx = sign(x), so abs'(0) = 0 (PyTorch's convention at the kink). */
/** @internal registered in registry.ts */
export const absPrim = unaryPrim('abs', (g, x) => tidy(() => mul(g, sign(x))));

/**
 * |x| elementwise. Keeps int32 and bool dtypes. Gradient sign(x), 0 at x = 0 (as PyTorch).
 * @example abs(tensor([-2, 0, 3])) // [2, 0, 3]
 */
export function abs(x: Tensor): Tensor {
  assertUsable(x, 'abs');
  return applyUnary(absPrim, x, {}, false);
}
