import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { tidy } from '../memory.js';
import { normalizeAxis, shapesEqual } from '../shape.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { concat } from '../prims/concat.js';
import { unsqueeze } from './unsqueeze.js';

/**
 * Joins tensors of one shape along a new axis (as torch.stack): the result has rank + 1 and
 * `out.shape[axis] = xs.length`. Mixed dtypes are promoted as in concat.
 * @example stack([zeros([2, 3]), ones([2, 3])], 1).shape // [2, 2, 3]
 */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (!xs || xs.length === 0) throw new ValueError('stack: needs a non-empty list of tensors');
  xs.forEach((x) => assertUsable(x, 'stack'));
  if (xs.some((x) => !shapesEqual(x.shape, xs[0]!.shape))) {
    throw new ShapeError(`stack: every tensor must have the same shape, got ${xs.map((x) => fmtShape(x.shape)).join(', ')}`);
  }
  const a = normalizeAxis('stack', axis, xs[0]!.rank + 1);
  return tidy(() =>
    concat(
      xs.map((x) => unsqueeze(x, a)),
      a,
    ),
  );
}
