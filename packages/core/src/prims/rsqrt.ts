import { tidy } from '../memory.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { mul } from './mul.js';
import { applyUnary, unaryPrim } from './unary.js';

/** rsqrt: d x^(-1/2)/dx = -x^(-3/2) / 2 = -out^3 / 2, from the saved output (as PyTorch). */
/** @internal registered in registry.ts */
export const rsqrtPrim = unaryPrim('rsqrt', (g, _x, out) => tidy(() => mul(g, mul(mul(out, mul(out, out)), -0.5))));

/**
 * 1 / √x elementwise (Infinity at 0, NaN below). int32 and bool inputs are cast to float32 first.
 * @example rsqrt(tensor([4, 0.25])) // [0.5, 2]
 */
export function rsqrt(x: Tensor): Tensor {
  assertUsable(x, 'rsqrt');
  return applyUnary(rsqrtPrim, x);
}
