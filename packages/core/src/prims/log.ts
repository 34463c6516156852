import { type Tensor, assertUsable } from '../tensor.js';
import { div } from './div.js';
import { applyUnary, unaryPrim } from './unary.js';

/** log: d(ln x)/dx = 1/x (Infinity times the cotangent at 0, as PyTorch). */
/** @internal registered in registry.ts */
export const logPrim = unaryPrim('log', (g, x) => div(g, x));

/**
 * Natural logarithm elementwise: -Infinity at 0, NaN below 0. int32 and bool inputs are cast
 * to float32 first (as PyTorch).
 * @example log(tensor([1, Math.E])) // [0, 1]
 */
export function log(x: Tensor): Tensor {
  assertUsable(x, 'log');
  return applyUnary(logPrim, x);
}
