import type { Tensor, TensorLike } from '../tensor.js';
import { applyBinary, binaryPrim } from './binary.js';

/** add: d(a+b)/da = 1, d(a+b)/db = 1. */
/** @internal registered in registry.ts */
export const addPrim = binaryPrim('add', (g, _a, _b, _out, needs) => [needs[0] ? g : null, needs[1] ? g : null]);

/** a + b with broadcasting. */
export function add(a: TensorLike, b: TensorLike): Tensor {
  return applyBinary(addPrim, a, b);
}
