import type { Tensor } from '../tensor.js';
import { argReduce } from './argmax.js';

/**
 * The int32 index of the smallest value along `axis` (as torch.argmin). Without an axis, the index
 * into the flattened tensor (keepdim then gives a shape of all ones). Ties give the first index;
 * NaN counts as the smallest value. Not differentiable. An empty reduction is a ValueError.
 * @example tensor([[1, 5, 1], [7, 0, 0]]).argmin(1) // [0, 1]
 */
export function argmin(x: Tensor, axis?: number, keepdim = false): Tensor {
  return argReduce('argmin', x, axis, keepdim);
}
