import { full } from '../creation.js';
import { DTypeError } from '../errors.js';
import { tidy } from '../memory.js';
import { type Prim, apply } from '../prim.js';
import { type Shape, broadcastShapes, shapesEqual } from '../shape.js';
import { Tensor, type TensorLike, assertUsable } from '../tensor.js';
import { coerce } from './binary.js';
import { checkOperands } from './operands.js';
import { sumTo } from './sum.js';

/**
 * where: the cotangent goes to a where cond is true and to b elsewhere (each summed back over its
 * broadcast dims); cond gets none. As PyTorch, the unselected branch gets an exact 0 whatever its
 * values. (As in PyTorch, a VJP further up that branch may still turn that 0 into NaN, e.g.
 * sqrt's 0 / (2 * 0) for where(x > 0, sqrt(x), 0) at x = 0: mask the input, not only the output.)
 */
/** @internal registered in registry.ts */
export const wherePrim: Prim<void> = {
  name: 'where',
  forward: (backend, [c, a, b]) => {
    const shape = broadcastShapes('where', c!.shape, a!.shape, b!.shape);
    return { buf: backend.where(c!, a!, b!, shape), shape, dtype: a!.dtype };
  },
  vjp: (g, { inputs: [c, a, b], needs }) => [
    null,
    needs[1] ? tidy(() => sumToShape(where(c!, g, 0), a!.shape)) : null,
    needs[2] ? tidy(() => sumToShape(where(c!, 0, g), b!.shape)) : null,
  ],
};

function sumToShape(g: Tensor, shape: Shape): Tensor {
  return shapesEqual(g.shape, shape) ? g : sumTo(g, shape);
}

/**
 * Elementwise selection: a where cond is true, b elsewhere, broadcasting all three (as
 * torch.where). cond must be bool (compare results are). a and b may be tensors or JS numbers;
 * they are promoted to one dtype as in the binary ops (two numbers give int32 when both are
 * integers, float32 otherwise). Differentiable in a and b; cond gets no gradient.
 * @example where(gt(x, 0), x, 0) // relu
 */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  assertUsable(cond, 'where');
  if (cond.dtype !== 'bool') {
    throw new DTypeError(`where: the condition must be a bool tensor, got ${cond.dtype} (compare with ne(cond, 0) to make one)`);
  }
  checkOperands('where', ['a', 'b'], a, b);
  let ta: Tensor;
  let tb: Tensor;
  const temps: Tensor[] = [];
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) {
    const dtype = Number.isInteger(a) && Number.isInteger(b) ? 'int32' : 'float32';
    ta = full([], a, { dtype, device: cond.device });
    tb = full([], b, { dtype, device: cond.device });
    temps.push(ta, tb);
  } else {
    const c = coerce('where', a, b);
    ta = c.a;
    tb = c.b;
    temps.push(...c.temps);
  }
  const out = apply(wherePrim, [cond, ta, tb], undefined);
  for (const t of temps) t.dispose();
  return out;
}
