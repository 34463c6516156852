import { normalizeAxis } from '../shape.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { permute } from '../prims/permute.js';

/**
 * Swaps two dimensions (as torch.transpose); by default the last two, so `x.transpose()` is the
 * matrix transpose of every matrix in a batch (torch's `x.mT`).
 * @example zeros([5, 2, 3]).transpose().shape // [5, 3, 2]
 */
export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  assertUsable(x, 'transpose');
  const a = normalizeAxis('transpose', dim0, x.rank);
  const b = normalizeAxis('transpose', dim1, x.rank);
  const axes = x.shape.map((_, i) => (i === a ? b : i === b ? a : i));
  return permute(x, axes);
}
