import { isFloat } from '../dtype.js';
import { ValueError } from '../errors.js';
import { tidy } from '../memory.js';
import { sizeOf } from '../shape.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { cast } from '../prims/cast.js';
import { div } from '../prims/div.js';
import { mul } from '../prims/mul.js';
import { sub } from '../prims/sub.js';
import { reductionAxes, sum } from '../prims/sum.js';
import { mean } from './mean.js';

/** Options of `variance` and `std`. */
export interface VarianceOptions {
  /**
   * Bessel's correction, as PyTorch: the sum of squared deviations is divided by
   * max(0, N - correction). 1 (default) gives the unbiased sample variance, 0 the population one.
   */
  correction?: number;
  /** keep the reduced axes as size 1 (default false) */
  keepdim?: boolean;
}

/** The checked options. */
function varianceOptions(op: string, opts: VarianceOptions): { correction: number; keepdim: boolean } {
  const correction = opts.correction ?? 1;
  if (typeof correction !== 'number' || !Number.isFinite(correction)) throw new ValueError(`${op}: correction must be a finite number, got ${correction}`);
  return { correction, keepdim: opts.keepdim ?? false };
}

/**
 * Variance over `axis` (a number, a list, or every axis when omitted), as torch.var:
 * sum((x - mean)^2) / max(0, N - correction) with N the number of reduced elements. When
 * N <= correction the division is by zero (Inf, or NaN for 0 / 0, as PyTorch); no elements give
 * NaN. int and bool inputs give float32.
 * @example tensor([1, 2, 3, 4]).var() // 1.6667 (sample); .var(undefined, { correction: 0 }) // 1.25
 */
export function variance(x: Tensor, axis?: number | readonly number[], opts: VarianceOptions = {}): Tensor {
  return varianceOf('variance', x, axis, opts);
}

/** @internal variance with the op name its errors carry (std uses it too) */
export function varianceOf(op: string, x: Tensor, axis: number | readonly number[] | undefined, opts: VarianceOptions): Tensor {
  assertUsable(x, op);
  const axes = reductionAxes(op, axis, x.rank);
  const { correction, keepdim } = varianceOptions(op, opts);
  const n = sizeOf(axes.map((d) => x.shape[d]!));
  return tidy(() => {
    const xf = isFloat(x.dtype) ? x : cast(x, 'float32');
    const d = sub(xf, mean(xf, axes, true));
    return div(sum(mul(d, d), axes, keepdim), Math.max(0, n - correction));
  });
}
