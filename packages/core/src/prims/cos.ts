import { tidy } from '../memory.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { mul } from './mul.js';
import { neg } from './neg.js';
import { sin } from './sin.js';
import { applyUnary, unaryPrim } from './unary.js';

/** cos: d cos(x)/dx = -sin(x). */
/** @internal registered in registry.ts */
export const cosPrim = unaryPrim('cos', (g, x) => tidy(() => neg(mul(g, sin(x)))));

/**
 * cos(x) elementwise (radians). int32 and bool inputs are cast to float32 first.
 * @example cos(tensor([0, Math.PI])) // [1, -1]
 */
export function cos(x: Tensor): Tensor {
  assertUsable(x, 'cos');
  return applyUnary(cosPrim, x);
}
