import type { Tensor } from '../tensor.js';
import { applyUnary, unaryPrim } from './unary.js';

/** neg: d(-x)/dx = -1. */
/** @internal registered in registry.ts */
export const negPrim = unaryPrim('neg', (g) => neg(g));

/** -x */
export function neg(x: Tensor): Tensor {
  return applyUnary(negPrim, x, {}, false);
}
