import { tidy } from '../memory.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { sub } from '../prims/sub.js';
import { reductionAxes } from '../prims/sum.js';
import { logsumexp } from './logsumexp.js';

/**
 * log(softmax(x)) along `axis` (default the last), computed stably as x - logsumexp(x, axis)
 * (as torch.log_softmax): no overflow for large inputs, no log(0) for very negative ones.
 * int and bool inputs give float32.
 * @example tensor([1, 2, 3]).logSoftmax() // [-2.4076, -1.4076, -0.4076]
 */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  assertUsable(x, 'logSoftmax');
  const axes = reductionAxes('logSoftmax', axis, x.rank);
  return tidy(() => sub(x, logsumexp(x, axes, true)));
}
