import type { Tensor, TensorLike } from '../tensor.js';
import { applyBinary, binaryPrim } from './binary.js';
import { neg } from './neg.js';

/** sub: d(a-b)/da = 1, d(a-b)/db = -1. */
/** @internal registered in registry.ts */
export const subPrim = binaryPrim('sub', (g, _a, _b, _out, needs) => [needs[0] ? g : null, needs[1] ? neg(g) : null]);

/** a - b with broadcasting. */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  return applyBinary(subPrim, a, b);
}
