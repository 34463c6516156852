import { normalizeAxes } from '../shape.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { slice } from '../prims/slice.js';

/**
 * Reverses the order of the elements along `axes` (as torch.flip): a slice with step -1, i.e. a
 * strided copy with negative strides. Its VJP is the same flip of the cotangent.
 * @example tensor([[1, 2], [3, 4]]).flip(1) // [[2, 1], [4, 3]]
 */
export function flip(x: Tensor, axes: number | readonly number[]): Tensor {
  assertUsable(x, 'flip');
  const ax = normalizeAxes('flip', axes, x.rank);
  return slice(
    x,
    x.shape.map((_, d) => (ax.includes(d) ? ([null, null, -1] as const) : null)),
  );
}
