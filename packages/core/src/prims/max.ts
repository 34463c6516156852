import { ValueError, fmtShape } from '../errors.js';
import { tidy } from '../memory.js';
import { type Prim, apply } from '../prim.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { cast } from './cast.js';
import { div } from './div.js';
import { eq } from './eq.js';
import { mul } from './mul.js';
import { reshape } from './reshape.js';
import { reductionAxes, sum } from './sum.js';

/**
 * max / min over sorted axes, keeping them as size 1 (torch.amax / torch.amin).
 * VJP: the cotangent goes to the elements equal to the result; when several tie, it is split
 * evenly between them (g / count each), as PyTorch's amax/amin backward:
 * `grad * (x == out) / sum(x == out, axes)`. The mask is a constant, so the second derivative is
 * zero (almost everywhere). A NaN result (NaN propagates) gives NaN gradients, as PyTorch.
 */
export function extremumPrim(op: 'max' | 'min'): Prim<readonly number[]> {
  return {
    name: op,
    forward: (backend, [x], axes) => ({
      buf: backend.reduce(op, x!, axes),
      shape: x!.shape.map((d, i) => (axes.includes(i) ? 1 : d)),
      dtype: x!.dtype,
    }),
    vjp: (g, { inputs: [x], out, params: axes }) => [
      tidy(() => {
        const mask = cast(eq(x!, out), g.dtype);
        return mul(mask, div(g, sum(mask, axes, true)));
      }),
    ],
  };
}

/** @internal registered in registry.ts */
export const maxPrim = extremumPrim('max');

/** @internal the shared body of max and min: checks, applies the primitive, drops the axes unless keepdim. */
export function applyExtremum(prim: Prim<readonly number[]>, x: Tensor, axis: number | readonly number[] | undefined, keepdim: boolean): Tensor {
  assertUsable(x, prim.name);
  const axes = reductionAxes(prim.name, axis, x.rank);
  const empty = axes.find((d) => x.shape[d] === 0);
  if (empty !== undefined) {
    throw new ValueError(
      `${prim.name}: cannot reduce over axis ${empty} of size 0 (shape ${fmtShape(x.shape)}): the ${prim.name} of no elements is undefined (as PyTorch)`,
    );
  }
  const kept = axes.length === 0 ? reshape(x, x.shape) : apply(prim, [x], axes);
  if (keepdim) return kept;
  const out = reshape(
    kept,
    x.shape.filter((_, i) => !axes.includes(i)),
  );
  kept.dispose();
  return out;
}

/**
 * The largest value over `axis` (a number, a list, or every axis when omitted), dropping the
 * reduced axes unless keepdim (torch.amax; for the position use argmax). NaN propagates. The
 * gradient is shared evenly by tied maxima: with k equal maxima each gets g / k (as torch.amax;
 * torch.max(dim) instead gives it all to one index). Reducing an empty axis is a ValueError.
 * @example tensor([[1, 5], [7, 7]]).max(1) // [5, 7]; gradient of the second row: [0.5, 0.5]
 */
export function max(x: Tensor, axis?: number | readonly number[], keepdim = false): Tensor {
  return applyExtremum(maxPrim, x, axis, keepdim);
}
