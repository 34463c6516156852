import { tidy } from '../memory.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { add } from './add.js';
import { div } from './div.js';
import { applyUnary, unaryPrim } from './unary.js';

/** log1p: d ln(1 + x)/dx = 1 / (1 + x). */
/** @internal registered in registry.ts */
export const log1pPrim = unaryPrim('log1p', (g, x) => tidy(() => div(g, add(x, 1))));

/**
 * ln(1 + x) elementwise, accurate for tiny x. int32 and bool inputs are cast to float32 first.
 * @example log1p(tensor([0, 1e-10])) // [0, 1e-10]
 */
export function log1p(x: Tensor): Tensor {
  assertUsable(x, 'log1p');
  return applyUnary(log1pPrim, x);
}
