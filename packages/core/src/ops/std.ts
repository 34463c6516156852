import { tidy } from '../memory.js';
import type { Tensor } from '../tensor.js';
import { sqrt } from '../prims/sqrt.js';
import { type VarianceOptions, varianceOf } from './variance.js';

/**
 * Standard deviation over `axis`: sqrt(variance(x, axis, opts)), as torch.std (correction 1 by
 * default: the sample standard deviation; 0: the population one). Its gradient at a zero
 * deviation is Infinity or NaN, as PyTorch's.
 * @example tensor([1, 2, 3, 4]).std() // 1.2910
 */
export function std(x: Tensor, axis?: number | readonly number[], opts: VarianceOptions = {}): Tensor {
  return tidy(() => sqrt(varianceOf('std', x, axis, opts)));
}
