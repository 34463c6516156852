import { promoteTypes } from '../dtype.js';
import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { type Prim, apply } from '../prim.js';
import { normalizeAxis } from '../shape.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { cast } from './cast.js';
import { slice } from './slice.js';

/**
 * concat: the inputs laid end to end along `axis` (every other dimension equal).
 * VJP: input i gets the slice of the cotangent it occupies, [offset_i, offset_i + size_i) on the axis.
 */
/** @internal registered in registry.ts */
export const concatPrim: Prim<number> = {
  name: 'concat',
  forward: (backend, xs, axis) => {
    const shape = xs[0]!.shape.map((n, d) => (d === axis ? xs.reduce((s, x) => s + x.shape[d]!, 0) : n));
    return { buf: backend.concat(xs, axis, shape), shape, dtype: xs[0]!.dtype };
  },
  vjp: (g, { inputs, params: axis, needs }) => {
    let offset = 0;
    return inputs.map((x, i) => {
      const at = offset;
      offset += x.shape[axis]!;
      return needs[i]
        ? slice(
            g,
            g.shape.map((_, d) => (d === axis ? ([at, at + x.shape[d]!] as const) : null)),
          )
        : null;
    });
  },
};

/**
 * Joins tensors along an existing axis (as torch.cat): every dimension but `axis` must match.
 * Mixed dtypes are promoted (bool < int32 < float32 < float64).
 * @example concat([zeros([2, 3]), ones([2, 1])], 1).shape // [2, 4]
 */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (!xs || xs.length === 0) throw new ValueError('concat: needs a non-empty list of tensors');
  xs.forEach((x) => assertUsable(x, 'concat'));
  const shapes = xs.map((x) => fmtShape(x.shape)).join(', ');
  const rank = xs[0]!.rank;
  if (rank === 0) throw new ShapeError(`concat: zero-dimensional tensors cannot be concatenated (shapes ${shapes}); use stack`);
  const a = normalizeAxis('concat', axis, rank);
  for (const x of xs) {
    if (x.rank !== rank || x.shape.some((n, d) => d !== a && n !== xs[0]!.shape[d])) {
      throw new ShapeError(`concat: shapes ${shapes} must match in every dimension except axis ${a}`);
    }
  }
  const dtype = xs.map((x) => x.dtype).reduce(promoteTypes);
  const inputs = xs.map((x) => (x.dtype === dtype ? x : cast(x, dtype)));
  const out = apply(concatPrim, inputs, a);
  inputs.forEach((t, i) => t !== xs[i] && t.dispose());
  return out;
}
