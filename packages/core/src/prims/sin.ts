import { tidy } from '../memory.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { cos } from './cos.js';
import { mul } from './mul.js';
import { applyUnary, unaryPrim } from './unary.js';

/** sin: d sin(x)/dx = cos(x). */
/** @internal registered in registry.ts */
export const sinPrim = unaryPrim('sin', (g, x) => tidy(() => mul(g, cos(x))));

/**
 * sin(x) elementwise (radians). int32 and bool inputs are cast to float32 first.
 * @example sin(tensor([0, Math.PI / 2])) // [0, 1]
 */
export function sin(x: Tensor): Tensor {
  assertUsable(x, 'sin');
  return applyUnary(sinPrim, x);
}
