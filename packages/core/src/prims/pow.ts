import { tidy } from '../memory.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { applyBinary, binaryPrim } from './binary.js';
import { eq } from './eq.js';
import { ge } from './ge.js';
import { log } from './log.js';
import { mul } from './mul.js';
import { sub } from './sub.js';
import { where } from './where.js';

/**
 * pow, with PyTorch's masks (pow_backward_self / pow_backward_exponent):
 * d(a^b)/da = b a^(b-1), and 0 where b == 0 (so 0^0 has gradient 0 in a, not 0 * 0^-1 = NaN);
 * d(a^b)/db = a^b ln(a), and 0 where a == 0 and b >= 0 (so 0^b does not give 0 * -Infinity = NaN).
 * For a < 0, ln(a) is NaN and so is the exponent's gradient (real pow, as PyTorch).
 */
/** @internal registered in registry.ts */
export const powPrim = binaryPrim('pow', (g, a, b, out, needs) => [
  needs[0] ? tidy(() => where(eq(b, 0), 0, mul(g, mul(b, pow(a, sub(b, 1)))))) : null,
  needs[1]
    ? tidy(() => {
        const zero = eq(a, 0);
        return where(where(zero, ge(b, 0), zero), 0, mul(g, mul(out, log(a))));
      })
    : null,
]);

/**
 * a^b elementwise with broadcasting (either may be a JS number). int32 ^ int32 stays int32 (as
 * PyTorch; negative integer exponents truncate toward zero instead of raising); a fractional
 * number promotes an int tensor to float32. Gradients follow PyTorch at the edge cases: 0 for
 * the base where b == 0, 0 for the exponent where a == 0 and b >= 0; NaN for the exponent where
 * a < 0.
 * @example pow(tensor([2, 3]), 2) // [4, 9]
 */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  return applyBinary(powPrim, a, b);
}
