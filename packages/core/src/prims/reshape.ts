import { ShapeError, fmtShape } from '../errors.js';
import { type Prim, apply } from '../prim.js';
import { type Shape, assertValidShape, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';

/** reshape: same values, new shape; the result aliases the input's buffer (no copy). */
/** @internal registered in registry.ts */
export const reshapePrim: Prim<Shape> = {
  name: 'reshape',
  forward: (_backend, _inputs, shape) => ({ alias: 0, shape }),
  vjp: (g, { inputs }) => [reshape(g, inputs[0]!.shape)],
};

/**
 * A tensor with the same values read in row-major order as `shape`; one dimension may be -1
 * (inferred). Never copies.
 * @example arange(6).reshape([2, -1]) // [[0, 1, 2], [3, 4, 5]]
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const out = [...shape];
  const infer = out.indexOf(-1);
  if (infer !== -1) {
    if (out.indexOf(-1, infer + 1) !== -1) throw new ShapeError(`reshape: only one dimension can be -1, got ${fmtShape(shape)}`);
    const rest = sizeOf(out.filter((_, i) => i !== infer));
    if (rest === 0 || x.size % rest !== 0) throw new ShapeError(`reshape: cannot reshape ${fmtShape(x.shape)} (${x.size} elements) to ${fmtShape(shape)}`);
    out[infer] = x.size / rest;
  }
  assertValidShape('reshape', out);
  if (sizeOf(out) !== x.size) {
    throw new ShapeError(`reshape: cannot reshape ${fmtShape(x.shape)} (${x.size} elements) to ${fmtShape(shape)} (${sizeOf(out)} elements)`);
  }
  return apply(reshapePrim, [x], out);
}
