import { isFloat } from '../dtype.js';
import { sizeOf } from '../shape.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { cast } from '../prims/cast.js';
import { div } from '../prims/div.js';
import { reductionAxes, sum } from '../prims/sum.js';

/**
 * Arithmetic mean over `axis` (a number, a list, or every axis when omitted), dropping the
 * reduced axes unless keepdim: sum(x, axis) / N with N the number of reduced elements. The mean
 * of no elements is NaN (0 / 0, as PyTorch). int and bool inputs give float32 (PyTorch refuses them).
 * @example tensor([[1, 2], [3, 5]]).mean(0) // [2, 3.5]
 */
export function mean(x: Tensor, axis?: number | readonly number[], keepdim = false): Tensor {
  assertUsable(x, 'mean');
  const axes = reductionAxes('mean', axis, x.rank);
  const n = sizeOf(axes.map((d) => x.shape[d]!));
  const xf = isFloat(x.dtype) ? x : cast(x, 'float32');
  const s = sum(xf, axes, keepdim);
  if (xf !== x) xf.dispose();
  const out = div(s, n);
  s.dispose();
  return out;
}
