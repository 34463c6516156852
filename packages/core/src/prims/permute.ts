import { AxisError, fmtShape } from '../errors.js';
import { type Prim, apply } from '../prim.js';
import { contiguousStrides, normalizeAxis } from '../shape.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { reshape } from './reshape.js';

/**
 * permute: out[i_0..i_k] = x[i at the position given by axes], a strided copy
 * (out.shape[d] = x.shape[axes[d]], stride of out dim d = x's stride of dim axes[d]).
 * VJP: the inverse permutation applied to the cotangent.
 */
/** @internal registered in registry.ts */
export const permutePrim: Prim<readonly number[]> = {
  name: 'permute',
  forward: (backend, [x], axes) => {
    const strides = contiguousStrides(x!.shape);
    const shape = axes.map((a) => x!.shape[a]!);
    return {
      buf: backend.strided(
        x!,
        shape,
        axes.map((a) => strides[a]!),
        0,
      ),
      shape,
      dtype: x!.dtype,
    };
  },
  vjp: (g, { params }) => [permute(g, inversePermutation(params))],
};

/** The permutation q with q[p[i]] = i. */
export function inversePermutation(p: readonly number[]): number[] {
  const q = new Array<number>(p.length);
  p.forEach((a, i) => (q[a] = i));
  return q;
}

/**
 * Reorders the dimensions: `out.shape[d] = x.shape[axes[d]]` (as torch.permute; negative axes
 * count from the end). Copies the data into the new row-major layout.
 * @example zeros([2, 3, 4]).permute([2, 0, 1]).shape // [4, 2, 3]
 */
export function permute(x: Tensor, axes: readonly number[]): Tensor {
  assertUsable(x, 'permute');
  if (axes.length !== x.rank) {
    throw new AxisError(
      `permute: got ${axes.length} axes [${axes.join(', ')}] for a tensor of rank ${x.rank} ${fmtShape(x.shape)}; give one axis per dimension`,
    );
  }
  const norm = axes.map((a) => normalizeAxis('permute', a, x.rank));
  if (new Set(norm).size !== norm.length) {
    throw new AxisError(`permute: axes [${axes.join(', ')}] are not a permutation of the ${x.rank} dimensions of ${fmtShape(x.shape)} (repeated axis)`);
  }
  if (norm.every((a, i) => a === i)) return reshape(x, x.shape);
  return apply(permutePrim, [x], norm);
}
