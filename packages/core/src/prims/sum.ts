import { type Prim, apply } from '../prim.js';
import { type Shape, normalizeAxes, shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { cast } from './cast.js';
import { expand } from './expand.js';
import { reshape } from './reshape.js';

/** sum over sorted axes, keeping them as size 1; the VJP broadcasts the cotangent back. */
/** @internal registered in registry.ts */
export const sumPrim: Prim<readonly number[]> = {
  name: 'sum',
  forward: (backend, [x], axes) => ({
    buf: backend.reduce('sum', x!, axes),
    shape: x!.shape.map((d, i) => (axes.includes(i) ? 1 : d)),
    dtype: x!.dtype,
  }),
  vjp: (g, { inputs }) => [expand(g, inputs[0]!.shape)],
};

/**
 * Sum over `axis` (a number, a list, or every axis when omitted), dropping the reduced axes
 * unless keepdim. bool sums count as int32 (as PyTorch).
 * @example tensor([[1, 2], [3, 4]]).sum(1) // [3, 7]
 */
export function sum(x: Tensor, axis?: number | readonly number[], keepdim = false): Tensor {
  const axes = reductionAxes('sum', axis, x.rank);
  const src = x.dtype === 'bool' ? cast(x, 'int32') : x;
  const kept = axes.length === 0 ? reshape(src, src.shape) : apply(sumPrim, [src], axes);
  if (src !== x) src.dispose();
  if (keepdim) return kept;
  const out = reshape(
    kept,
    x.shape.filter((_, i) => !axes.includes(i)),
  );
  kept.dispose();
  return out;
}

/**
 * @internal The sorted, unique axes a reduction reduces (every axis when omitted). A 0-d tensor
 * accepts axis 0 or -1, as PyTorch, and reduces nothing.
 */
export function reductionAxes(op: string, axis: number | readonly number[] | undefined, rank: number): number[] {
  if (rank === 0 && axis !== undefined) {
    for (const a of typeof axis === 'number' ? [axis] : axis) if (a !== 0 && a !== -1) normalizeAxes(op, a, 0);
    return [];
  }
  return normalizeAxes(op, axis, rank);
}

/** Sums a broadcast gradient back to `shape` (the shape of the input that was broadcast). */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (shapesEqual(g.shape, shape)) return reshape(g, shape);
  const lead = g.rank - shape.length;
  const axes = g.shape.map((_, i) => i).filter((i) => i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1));
  const s = sum(g, axes, true);
  const r = reshape(s, shape);
  s.dispose();
  return r;
}
