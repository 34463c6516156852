import { ShapeError, fmtShape } from '../errors.js';
import { type Prim, apply } from '../prim.js';
import { type Shape, broadcastStrides } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { reshape } from './reshape.js';
import { sumTo } from './sum.js';

/** expand: broadcast to a larger shape (a strided copy with stride 0 on the new dims); the VJP sums them back. */
/** @internal registered in registry.ts */
export const expandPrim: Prim<Shape> = {
  name: 'expand',
  forward: (backend, [x], shape) => ({ buf: backend.strided(x!, shape, broadcastStrides(x!.shape, shape), 0), shape, dtype: x!.dtype }),
  vjp: (g, { inputs }) => [sumTo(g, inputs[0]!.shape)],
};

/**
 * Broadcasts x to `shape` (numpy rules: new leading dims, size-1 dims stretched; -1 keeps a dim).
 * @example tensor([1, 2]).expand([3, 2])
 */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const lead = shape.length - x.rank;
  if (lead < 0) throw new ShapeError(`expand: cannot expand ${fmtShape(x.shape)} to fewer dimensions ${fmtShape(shape)}`);
  const out = shape.map((d, i) => (d === -1 && i >= lead ? x.shape[i - lead]! : d));
  x.shape.forEach((d, i) => {
    if (d !== 1 && d !== out[lead + i])
      throw new ShapeError(`expand: cannot expand ${fmtShape(x.shape)} to ${fmtShape(shape)} (dimension ${lead + i}: ${d} vs ${out[lead + i]})`);
  });
  if (out.every((d, i) => d === (i < lead ? 1 : x.shape[i - lead]))) return reshape(x, out);
  return apply(expandPrim, [x], out);
}
