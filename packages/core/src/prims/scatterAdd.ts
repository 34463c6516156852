import { DTypeError, ShapeError, fmtShape } from '../errors.js';
import { type Prim, apply } from '../prim.js';
import { type Shape, normalizeAxis, shapesEqual } from '../shape.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { add } from './add.js';
import { gather, checkIndexShape } from './gather.js';
import { constantPad } from './pad.js';

interface ScatterParams {
  readonly shape: Shape;
  readonly axis: number;
}

/**
 * scatterAdd into zeros (torch.zeros(shape).scatter_add_(axis, index, src)):
 * out[i_0, .., index[i_0..i_k] (at position axis), .., i_k] += src[i_0..i_k] for every position of
 * the index (src may be larger than the index; the rest of it is unused).
 * VJP for src: gather of the cotangent at the same positions (zeros where src was unused).
 * Inputs are [src, index]; the index is never differentiated.
 */
/** @internal registered in registry.ts */
export const scatterPrim: Prim<ScatterParams> = {
  name: 'scatterAdd',
  forward: (backend, [src, index], { shape, axis }) => ({ buf: backend.scatterAdd(shape, axis, index!, src!), shape, dtype: src!.dtype }),
  vjp: (g, { inputs: [src, index], params: { axis } }) => {
    const picked = gather(g, axis, index!);
    if (shapesEqual(picked.shape, src!.shape)) return [picked, null];
    const full = constantPad(
      picked,
      src!.shape.map((n, d) => [0, n - picked.shape[d]!] as const),
      0,
    );
    picked.dispose();
    return [full, null];
  },
};

/** @internal zeros(shape) with src scatter-added along axis at the index (inputs already checked). */
export function scatterAddInto(shape: Shape, axis: number, index: Tensor, src: Tensor): Tensor {
  return apply(scatterPrim, [src, index], { shape, axis });
}

/**
 * torch.scatter_add (out of place): x + the values of src added at the positions an int32
 * `index` gives along `axis`: out[.., index[i], ..] += src[i] for every position i of the
 * index. Repeated indices accumulate. The index has x's rank, is no larger than src anywhere and
 * no larger than x off the axis; its values lie in [0, x.shape[axis]): an IndexError otherwise (on
 * WebGPU when the next result is read, as gather).
 * Differentiable with respect to x (identity) and src (a gather).
 * @example scatterAdd(zeros([3]), 0, tensor([0, 2, 0], { dtype: 'int32' }), tensor([1, 2, 3])) // [4, 0, 2]
 */
export function scatterAdd(x: Tensor, axis: number, index: Tensor, src: Tensor): Tensor {
  for (const t of [x, index, src]) assertUsable(t, 'scatterAdd');
  const a = normalizeAxis('scatterAdd', axis, x.rank);
  checkIndexShape('scatterAdd', x, a, index);
  if (src.rank !== index.rank || index.shape.some((n, d) => n > src.shape[d]!)) {
    throw new ShapeError(
      `scatterAdd: the index ${fmtShape(index.shape)} must have the rank of src ${fmtShape(src.shape)} and be no larger in any dimension (x is ${fmtShape(x.shape)})`,
    );
  }
  if (src.dtype !== x.dtype) throw new DTypeError(`scatterAdd: src is ${src.dtype} but x is ${x.dtype}; they must match`);
  const s = scatterAddInto(x.shape, a, index, src);
  const out = add(x, s);
  s.dispose();
  return out;
}
