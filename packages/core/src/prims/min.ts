import type { Tensor } from '../tensor.js';
import { applyExtremum, extremumPrim } from './max.js';

/** @internal registered in registry.ts */
export const minPrim = extremumPrim('min');

/**
 * The smallest value over `axis` (a number, a list, or every axis when omitted), dropping the
 * reduced axes unless keepdim (torch.amin; for the position use argmin). NaN propagates. The
 * gradient is shared evenly by tied minima: with k equal minima each gets g / k (as torch.amin).
 * Reducing an empty axis is a ValueError.
 * @example tensor([[1, 5], [0, 0]]).min(1) // [1, 0]; gradient of the second row: [0.5, 0.5]
 */
export function min(x: Tensor, axis?: number | readonly number[], keepdim = false): Tensor {
  return applyExtremum(minPrim, x, axis, keepdim);
}
