import { tidy } from '../memory.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { gt } from './gt.js';
import { mul } from './mul.js';
import { checkScalarParam } from './operands.js';
import { applyUnary, unaryPrim } from './unary.js';
import { where } from './where.js';

/**
 * leakyRelu: d/dx = 1 for x > 0, slope for x <= 0, so leakyRelu'(0) = slope (PyTorch's
 * leaky_relu_backward: `x > 0 ? g : g * slope`).
 */
/** @internal registered in registry.ts */
export const leakyReluPrim = unaryPrim('leakyRelu', (g, x, _out, p) => tidy(() => where(gt(x, 0), g, mul(g, p.slope))));

/**
 * x for x > 0, slope * x otherwise (torch.nn.functional.leaky_relu, default slope 0.01).
 * int32 and bool inputs are cast to float32 first. The gradient at 0 is slope (as PyTorch).
 * @example leakyRelu(tensor([-2, 3]), 0.1) // [-0.2, 3]
 */
export function leakyRelu(x: Tensor, slope = 0.01): Tensor {
  assertUsable(x, 'leakyRelu');
  checkScalarParam('leakyRelu', 'slope', slope);
  return applyUnary(leakyReluPrim, x, { slope });
}
