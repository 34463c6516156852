import { DTypeError, ValueError } from '../errors.js';
import { tidy } from '../memory.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { cast } from './cast.js';
import { ge } from './ge.js';
import { le } from './le.js';
import { checkScalarParam } from './operands.js';
import { applyUnary, unaryPrim } from './unary.js';
import { where } from './where.js';

/**
 * clamp: the cotangent passes where min <= x <= max, bounds included, and is 0 outside (PyTorch's
 * clamp_backward: `g * ((x >= min) & (x <= max))`); so at x == min or x == max the gradient is 1.
 */
/** @internal registered in registry.ts */
export const clampPrim = unaryPrim('clamp', (g, x, _out, p) =>
  tidy(() => {
    let r = g;
    if (p.max !== undefined) r = where(le(x, p.max), r, 0);
    if (p.min !== undefined) r = where(ge(x, p.min), r, 0);
    return r;
  }),
);

/**
 * Limits x to [min, max] elementwise: min(max(x, min), max); either bound may be omitted (null or
 * undefined), not both. With min > max every element becomes max (as PyTorch). Keeps int32 when
 * the bounds are integers; a fractional bound makes an int32 result float32 (as PyTorch's type
 * promotion); bool inputs are rejected. Gradient 1 where min <= x <= max (bounds included), else 0.
 * @example clamp(tensor([-2, 0.5, 3]), 0, 1) // [0, 0.5, 1]
 */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  assertUsable(x, 'clamp');
  checkScalarParam('clamp', 'min', min, true);
  checkScalarParam('clamp', 'max', max, true);
  if ((min === undefined || min === null) && (max === undefined || max === null)) {
    throw new ValueError('clamp: at least one of min and max must be given');
  }
  if (x.dtype === 'bool') throw new DTypeError('clamp: bool tensors cannot be clamped; cast to int32 or a float dtype first');
  const p: { min?: number; max?: number } = {};
  if (min !== undefined && min !== null) p.min = min;
  if (max !== undefined && max !== null) p.max = max;
  if (x.dtype === 'int32' && [p.min, p.max].some((b) => b !== undefined && Number.isFinite(b) && !Number.isInteger(b))) {
    const xf = cast(x, 'float32');
    const y = applyUnary(clampPrim, xf, p, false);
    xf.dispose();
    return y;
  }
  return applyUnary(clampPrim, x, p, false);
}
