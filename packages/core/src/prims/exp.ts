import type { Tensor } from '../tensor.js';
import { mul } from './mul.js';
import { applyUnary, unaryPrim } from './unary.js';

/** exp: d(e^x)/dx = e^x, reusing the saved output. */
/** @internal registered in registry.ts */
export const expPrim = unaryPrim('exp', (g, _x, out) => mul(g, out));

/** e^x elementwise. */
export function exp(x: Tensor): Tensor {
  return applyUnary(expPrim, x);
}
