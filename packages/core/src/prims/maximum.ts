import { tidy } from '../memory.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { applyBinary, binaryPrim } from './binary.js';
import { eq } from './eq.js';
import { gt } from './gt.js';
import { lt } from './lt.js';
import { mul } from './mul.js';
import { where } from './where.js';

/**
 * maximum: the cotangent goes to the larger operand; at a tie (a == b) it is split half and half
 * (PyTorch: `where(a == b, g / 2, g).masked_fill_(a < b, 0)` for a, and `a > b` masked for b).
 * With a NaN operand neither mask applies and both get the full cotangent, as PyTorch.
 */
/** @internal registered in registry.ts */
export const maximumPrim = binaryPrim('maximum', (g, a, b, _out, needs) => [
  needs[0] ? tidy(() => where(lt(a, b), 0, where(eq(a, b), mul(g, 0.5), g))) : null,
  needs[1] ? tidy(() => where(gt(a, b), 0, where(eq(a, b), mul(g, 0.5), g))) : null,
]);

/**
 * The elementwise maximum of a and b with broadcasting (NaN if either is NaN, as PyTorch).
 * Keeps int32 and bool dtypes. At ties the gradient is split 0.5 / 0.5 (as PyTorch).
 * @example maximum(tensor([1, 5]), tensor([3, 2])) // [3, 5]
 */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return applyBinary(maximumPrim, a, b);
}
