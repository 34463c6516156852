import { tidy } from '../memory.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { mul } from './mul.js';
import { sub } from './sub.js';
import { applyUnary, unaryPrim } from './unary.js';

/** tanh: d tanh(x)/dx = 1 - tanh(x)^2 = 1 - out^2, from the saved output (as PyTorch). */
/** @internal registered in registry.ts */
export const tanhPrim = unaryPrim('tanh', (g, _x, out) => tidy(() => mul(g, sub(1, mul(out, out)))));

/**
 * tanh(x) elementwise. int32 and bool inputs are cast to float32 first.
 * @example tanh(tensor([0])) // [0]
 */
export function tanh(x: Tensor): Tensor {
  assertUsable(x, 'tanh');
  return applyUnary(tanhPrim, x);
}
