import { tidy } from '../memory.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { div } from './div.js';
import { mul } from './mul.js';
import { applyUnary, unaryPrim } from './unary.js';

/** sqrt: d√x/dx = 1 / (2√x) = g / (2 out); at x = 0 that is Infinity for g > 0 (as PyTorch). */
/** @internal registered in registry.ts */
export const sqrtPrim = unaryPrim('sqrt', (g, _x, out) => tidy(() => div(g, mul(out, 2))));

/**
 * √x elementwise (NaN below 0). int32 and bool inputs are cast to float32 first. The gradient at
 * 0 is Infinity, as in PyTorch: add a small epsilon inside when 0 can occur (e.g. norms).
 * @example sqrt(tensor([4, 9])) // [2, 3]
 */
export function sqrt(x: Tensor): Tensor {
  assertUsable(x, 'sqrt');
  return applyUnary(sqrtPrim, x);
}
