import { tidy } from '../memory.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { div } from '../prims/div.js';
import { exp } from '../prims/exp.js';
import { sub } from '../prims/sub.js';
import { reductionAxes, sum } from '../prims/sum.js';
import { stableShift } from './logsumexp.js';

/**
 * softmax along `axis` (default the last), as torch.softmax: exp(x - m) / sum(exp(x - m)) with m
 * the maximum along the axis (detached: it cancels exactly, and shifting keeps exp from
 * overflowing). A slice containing +Inf, or of all -Inf, gives NaN, as PyTorch. int and bool
 * inputs give float32.
 * @example tensor([1, 2, 3]).softmax() // [0.0900, 0.2447, 0.6652]
 */
export function softmax(x: Tensor, axis = -1): Tensor {
  assertUsable(x, 'softmax');
  const axes = reductionAxes('softmax', axis, x.rank);
  return tidy(() => {
    const e = exp(sub(x, stableShift(x, axes, false)));
    return div(e, sum(e, axes, true));
  });
}
