import { tidy } from '../memory.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { applyBinary, binaryPrim } from './binary.js';
import { div } from './div.js';
import { mul } from './mul.js';
import { neg } from './neg.js';
import { add } from './add.js';

/**
 * atan2(a, b), the angle of the point (x = b, y = a):
 * d/da = b / (a² + b²), d/db = -a / (a² + b²) (PyTorch's atan2_backward). Both are NaN at the
 * origin (0 / 0), as in PyTorch.
 */
/** @internal registered in registry.ts */
export const atan2Prim = binaryPrim('atan2', (g, a, b, _out, needs) => {
  if (!needs[0] && !needs[1]) return [null, null];
  return tidy(() => {
    const gr = div(g, add(mul(a, a), mul(b, b)));
    return [needs[0] ? mul(gr, b) : null, needs[1] ? neg(mul(gr, a)) : null] as [Tensor | null, Tensor | null];
  });
});

/**
 * The four-quadrant arctangent of a / b elementwise (torch.atan2(input=a, other=b)), in
 * (-π, π], with broadcasting. int32 and bool operands give float32.
 * @example atan2(tensor([1, 1]), tensor([1, -1])) // [π/4, 3π/4]
 */
export function atan2(a: TensorLike, b: TensorLike): Tensor {
  return applyBinary(atan2Prim, a, b, true);
}
