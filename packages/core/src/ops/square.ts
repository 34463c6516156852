import { mul } from '../prims/mul.js';
import { type Tensor, assertUsable } from '../tensor.js';

/**
 * x² elementwise, as the composite x * x (no kernel of its own): its gradient 2x comes from the
 * two uses of x accumulating at fan-in, and second derivatives (2) come from mul's VJP. Keeps
 * int32 (as PyTorch).
 * @example square(tensor([-3, 2])) // [9, 4]
 */
export function square(x: Tensor): Tensor {
  assertUsable(x, 'square');
  return mul(x, x);
}
