import type { Tensor, TensorLike } from '../tensor.js';
import { applyBinary, binaryPrim } from './binary.js';

/** mul: d(ab)/da = b, d(ab)/db = a. */
/** @internal registered in registry.ts */
export const mulPrim = binaryPrim('mul', (g, a, b, _out, needs) => [needs[0] ? mul(g, b) : null, needs[1] ? mul(g, a) : null]);

/** a * b (elementwise) with broadcasting. */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  return applyBinary(mulPrim, a, b);
}
