import { tidy } from '../memory.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { applyBinary, binaryPrim } from './binary.js';
import { mul } from './mul.js';
import { neg } from './neg.js';

/** div: d(a/b)/da = 1/b, d(a/b)/db = -a/b^2 = -out/b. */
/** @internal registered in registry.ts */
export const divPrim = binaryPrim('div', (g, _a, b, out, needs) => [needs[0] ? div(g, b) : null, needs[1] ? tidy(() => neg(mul(g, div(out, b)))) : null]);

/** a / b with broadcasting; always true division (int operands give float32, as PyTorch). */
export function div(a: TensorLike, b: TensorLike): Tensor {
  return applyBinary(divPrim, a, b, true);
}
