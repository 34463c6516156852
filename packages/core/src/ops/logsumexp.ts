import { full } from '../creation.js';
import { noGrad } from '../engine.js';
import { tidy } from '../memory.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { abs } from '../prims/abs.js';
import { add } from '../prims/add.js';
import { eq } from '../prims/eq.js';
import { exp } from '../prims/exp.js';
import { log } from '../prims/log.js';
import { max } from '../prims/max.js';
import { reshape } from '../prims/reshape.js';
import { sub } from '../prims/sub.js';
import { reductionAxes, sum } from '../prims/sum.js';
import { where } from '../prims/where.js';

/**
 * @internal The shift that keeps exp from overflowing: max(x, axes, keepdim) computed without a
 * graph (a constant: it cancels exactly). With `maskInf`, infinite maxima become 0 (as PyTorch's
 * logsumexp, so that all -Inf gives -Inf and a +Inf gives +Inf, not NaN). No elements: 0.
 */
export function stableShift(x: Tensor, axes: readonly number[], maskInf: boolean): Tensor {
  return noGrad(() =>
    tidy(() => {
      if (x.size === 0) return full([], 0, { dtype: x.dtype, device: x.device });
      const m = max(x, axes, true);
      return maskInf ? where(eq(abs(m), Infinity), 0, m) : m;
    }),
  );
}

/**
 * log(sum(exp(x))) over `axis` (a number, a list, or every axis when omitted), dropping the
 * reduced axes unless keepdim, computed stably as m + log(sum(exp(x - m))) with m the (detached)
 * maximum, as torch.logsumexp. Its gradient is softmax(x) times the cotangent. No elements give
 * -Infinity. int and bool inputs give float32.
 * @example tensor([1000, 1000]).logsumexp() // 1000.6931 (no overflow)
 */
export function logsumexp(x: Tensor, axis?: number | readonly number[], keepdim = false): Tensor {
  assertUsable(x, 'logsumexp');
  const axes = reductionAxes('logsumexp', axis, x.rank);
  return tidy(() => {
    const m = stableShift(x, axes, true);
    const out = add(log(sum(exp(sub(x, m)), axes, true)), m);
    return keepdim
      ? out
      : reshape(
          out,
          x.shape.filter((_, i) => !axes.includes(i)),
        );
  });
}
