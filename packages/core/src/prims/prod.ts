import { zeros } from '../creation.js';
import { tidy } from '../memory.js';
import { type Prim, apply } from '../prim.js';
import { sizeOf } from '../shape.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { cast } from './cast.js';
import { expand } from './expand.js';
import { mul } from './mul.js';
import { constantPad } from './pad.js';
import { inversePermutation, permute } from './permute.js';
import { reshape } from './reshape.js';
import { slice } from './slice.js';
import { reductionAxes } from './sum.js';

/**
 * prod over sorted axes, keeping them as size 1.
 * VJP: d(prod x)/dx_i = the product of the *other* elements of x_i's group. It is computed
 * exactly, never as out / x_i, so zeros are handled (one zero: only that element gets a non-zero
 * gradient; two or more: all zero) and the second derivative is right too: each group is laid
 * along one axis and the products of the elements before and after each position are built by
 * two exclusive scans (log2(n) shifted multiplies each; O(size) memory per step).
 */
/** @internal registered in registry.ts */
export const prodPrim: Prim<readonly number[]> = {
  name: 'prod',
  forward: (backend, [x], axes) => ({
    buf: backend.reduce('prod', x!, axes),
    shape: x!.shape.map((d, i) => (axes.includes(i) ? 1 : d)),
    dtype: x!.dtype,
  }),
  vjp: (g, { inputs: [x], params: axes }) => [tidy(() => mul(expand(g, x!.shape), productOfOthers(x!, axes)))],
};

/** Shifts t by k along its last axis towards the end (fromStart) or the start, filling with ones. */
function shiftInOnes(t: Tensor, k: number, fromStart: boolean): Tensor {
  const n = t.shape[t.rank - 1]!;
  const lead = t.shape.slice(0, -1).map(() => null);
  const part = slice(t, [...lead, fromStart ? [0, n - k] : [k, n]]);
  return constantPad(
    part,
    t.shape.map((_, d) => (d < t.rank - 1 ? [0, 0] : fromStart ? [k, 0] : [0, k])),
    1,
  );
}

/** Exclusive running product along the last axis (Hillis-Steele scan), from the start or from the end. */
function exclusiveProduct(t: Tensor, fromStart: boolean): Tensor {
  const n = t.shape[t.rank - 1]!;
  let c = shiftInOnes(t, 1, fromStart);
  for (let k = 1; k < n; k *= 2) c = mul(c, shiftInOnes(c, k, fromStart));
  return c;
}

/** For every element of x, the product of the other elements of its group over `axes` (differentiable). */
function productOfOthers(x: Tensor, axes: readonly number[]): Tensor {
  if (x.size === 0) return zeros(x.shape, { dtype: x.dtype, device: x.device });
  return tidy(() => {
    const kept = x.shape.map((_, d) => d).filter((d) => !axes.includes(d));
    const perm = [...kept, ...axes];
    const grouped = reshape(permute(x, perm), [...kept.map((d) => x.shape[d]!), sizeOf(axes.map((d) => x.shape[d]!))]);
    const others = mul(exclusiveProduct(grouped, true), exclusiveProduct(grouped, false));
    return permute(
      reshape(
        others,
        perm.map((d) => x.shape[d]!),
      ),
      inversePermutation(perm),
    );
  });
}

/**
 * Product over `axis` (a number, a list, or every axis when omitted), dropping the reduced axes
 * unless keepdim. The product of no elements is 1. bool products count as int32 (as PyTorch).
 * The gradient is exact when some elements are zero (see the primitive's note).
 * @example tensor([[1, 2], [3, 4]]).prod(1) // [2, 12]
 */
export function prod(x: Tensor, axis?: number | readonly number[], keepdim = false): Tensor {
  assertUsable(x, 'prod');
  const axes = reductionAxes('prod', axis, x.rank);
  const src = x.dtype === 'bool' ? cast(x, 'int32') : x;
  const kept = axes.length === 0 ? reshape(src, src.shape) : apply(prodPrim, [src], axes);
  if (src !== x) src.dispose();
  if (keepdim) return kept;
  const out = reshape(
    kept,
    x.shape.filter((_, i) => !axes.includes(i)),
  );
  kept.dispose();
  return out;
}
