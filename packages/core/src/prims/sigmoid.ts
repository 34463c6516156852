import { tidy } from '../memory.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { mul } from './mul.js';
import { sub } from './sub.js';
import { applyUnary, unaryPrim } from './unary.js';

/** sigmoid: dσ(x)/dx = σ(x)(1 - σ(x)) = out (1 - out), from the saved output (as PyTorch). */
/** @internal registered in registry.ts */
export const sigmoidPrim = unaryPrim('sigmoid', (g, _x, out) => tidy(() => mul(g, mul(out, sub(1, out)))));

/**
 * The logistic function σ(x) = 1 / (1 + e^-x) elementwise, computed without overflow for large
 * |x|. int32 and bool inputs are cast to float32 first.
 * @example sigmoid(tensor([0])) // [0.5]
 */
export function sigmoid(x: Tensor): Tensor {
  assertUsable(x, 'sigmoid');
  return applyUnary(sigmoidPrim, x);
}
