import { ValueError, fmtShape } from '../errors.js';
import { normalizeAxis, sizeOf } from '../shape.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { reshape } from '../prims/reshape.js';

/**
 * Merges dimensions startDim..endDim (inclusive, negative counts from the end) into one, as
 * torch.flatten; a 0-d tensor becomes shape [1]. Never copies (a reshape).
 * @example zeros([2, 3, 4]).flatten(1).shape // [2, 12]
 */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  assertUsable(x, 'flatten');
  if (x.rank === 0) {
    // a 0-d tensor accepts axis 0 or -1, as torch
    normalizeAxis('flatten', startDim, 1);
    normalizeAxis('flatten', endDim, 1);
    return reshape(x, [1]);
  }
  const s = normalizeAxis('flatten', startDim, x.rank);
  const e = normalizeAxis('flatten', endDim, x.rank);
  if (s > e) throw new ValueError(`flatten: startDim ${startDim} comes after endDim ${endDim} for a tensor of shape ${fmtShape(x.shape)}`);
  return reshape(x, [...x.shape.slice(0, s), sizeOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
}
