import { normalizeAxis } from '../shape.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { reshape } from '../prims/reshape.js';

/**
 * Inserts a size-1 dimension at `axis` (in -rank-1..rank, as torch.unsqueeze). Never copies.
 * @example zeros([2, 3]).unsqueeze(-1).shape // [2, 3, 1]
 */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  assertUsable(x, 'unsqueeze');
  const a = normalizeAxis('unsqueeze', axis, x.rank + 1);
  return reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
}
