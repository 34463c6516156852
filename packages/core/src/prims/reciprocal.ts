import { tidy } from '../memory.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { mul } from './mul.js';
import { neg } from './neg.js';
import { applyUnary, unaryPrim } from './unary.js';

/** reciprocal: d(1/x)/dx = -1/x^2 = -out^2, from the saved output (as PyTorch). */
/** @internal registered in registry.ts */
export const reciprocalPrim = unaryPrim('reciprocal', (g, _x, out) => tidy(() => neg(mul(g, mul(out, out)))));

/**
 * 1 / x elementwise (±Infinity at ±0). int32 and bool inputs are cast to float32 first.
 * @example reciprocal(tensor([2, -4])) // [0.5, -0.25]
 */
export function reciprocal(x: Tensor): Tensor {
  assertUsable(x, 'reciprocal');
  return applyUnary(reciprocalPrim, x);
}
