import { tidy } from '../memory.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { add } from './add.js';
import { mul } from './mul.js';
import { applyUnary, unaryPrim } from './unary.js';

/** expm1: d(e^x - 1)/dx = e^x = out + 1, reusing the saved output (as PyTorch). */
/** @internal registered in registry.ts */
export const expm1Prim = unaryPrim('expm1', (g, _x, out) => tidy(() => mul(g, add(out, 1))));

/**
 * e^x - 1 elementwise, accurate for tiny x. int32 and bool inputs are cast to float32 first.
 * @example expm1(tensor([0, 1e-10])) // [0, 1e-10]
 */
export function expm1(x: Tensor): Tensor {
  assertUsable(x, 'expm1');
  return applyUnary(expm1Prim, x);
}
