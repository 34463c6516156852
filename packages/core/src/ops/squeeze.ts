import { normalizeAxes } from '../shape.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { reshape } from '../prims/reshape.js';

/**
 * Removes size-1 dimensions: all of them when `axis` is omitted, else those listed (a listed
 * dimension whose size is not 1 is left alone, as torch.squeeze). Never copies.
 * @example zeros([1, 3, 1]).squeeze().shape // [3]; zeros([1, 3, 1]).squeeze(0).shape // [3, 1]
 */
export function squeeze(x: Tensor, axis?: number | readonly number[]): Tensor {
  assertUsable(x, 'squeeze');
  const axes = normalizeAxes('squeeze', axis, x.rank);
  return reshape(
    x,
    x.shape.filter((d, i) => !(d === 1 && axes.includes(i))),
  );
}
