import type { BinaryOp } from '../backend.js';
import { type DType, isFloat, promoteTypes } from '../dtype.js';
import { full } from '../creation.js';
import { ValueError } from '../errors.js';
import { type Prim, apply } from '../prim.js';
import { type Shape, broadcastShapes, shapesEqual } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { cast } from './cast.js';
import { sumTo } from './sum.js';
import { checkOperands } from './operands.js';

/** The VJP of a binary op before un-broadcasting: gradients with the output's (broadcast) shape. */
export type BinaryVjp = (g: Tensor, a: Tensor, b: Tensor, out: Tensor, needs: readonly boolean[]) => [Tensor | null, Tensor | null];

/**
 * Builds the primitive for one elementwise binary op with numpy broadcasting. The kernel reads
 * broadcast inputs through strides (no expanded copies); the VJP sums gradients back to each
 * input's shape.
 */
export function binaryPrim(op: BinaryOp, vjp: BinaryVjp): Prim<void> {
  return {
    name: op,
    forward: (backend, [a, b]) => {
      const shape = broadcastShapes(op, a!.shape, b!.shape);
      return { buf: backend.binary(op, a!, b!, shape), shape, dtype: a!.dtype };
    },
    vjp: (g, { inputs: [a, b], out, needs }) => {
      const [ga, gb] = vjp(g, a!, b!, out, needs);
      // ga and gb may be g itself or one tensor (add): only a tensor the VJP made for one input alone is disposed here
      const own = (t: Tensor) => t !== g && ga !== gb;
      return [ga && unbroadcast(ga, a!.shape, own(ga)), gb && unbroadcast(gb, b!.shape, own(gb))];
    },
  };
}

function unbroadcast(g: Tensor, shape: Shape, disposable: boolean): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const r = sumTo(g, shape);
  if (disposable) g.dispose();
  return r;
}

/**
 * Turns the operands of a binary op into tensors of one dtype on one device: JS numbers become
 * scalars of the other operand's dtype (a number does not promote a tensor, as in PyTorch, except
 * that a fractional number promotes an int tensor to float32); tensors are promoted
 * bool < int32 < float32 < float64. `float` forces a float result (true division).
 * Returns the operands and the temporaries to dispose after the op.
 */
export function coerce(op: string, a: TensorLike, b: TensorLike, float = false): { a: Tensor; b: Tensor; temps: Tensor[] } {
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) throw new ValueError(`${op}: at least one operand must be a Tensor`);
  const ref = (a instanceof Tensor ? a : b) as Tensor;
  const numDType = (v: number, other: DType): DType => (!isFloat(other) && !Number.isInteger(v) ? 'float32' : other === 'bool' ? 'int32' : other);
  let dtype: DType = a instanceof Tensor && b instanceof Tensor ? promoteTypes(a.dtype, b.dtype) : numDType((a instanceof Tensor ? b : a) as number, ref.dtype);
  if (float && !isFloat(dtype)) dtype = 'float32';
  const temps: Tensor[] = [];
  const conv = (v: TensorLike): Tensor => {
    if (!(v instanceof Tensor)) {
      const t = full([], v, { dtype, device: ref.device });
      temps.push(t);
      return t;
    }
    if (v.dtype === dtype) return v;
    const t = cast(v, dtype);
    temps.push(t);
    return t;
  };
  return { a: conv(a), b: conv(b), temps };
}

/** Applies a binary primitive to coerced operands and disposes the temporaries. */
export function applyBinary(prim: Prim<void>, a: TensorLike, b: TensorLike, float = false): Tensor {
  checkOperands(prim.name, ['a', 'b'], a, b);
  const c = coerce(prim.name, a, b, float);
  const out = apply(prim, [c.a, c.b], undefined);
  for (const t of c.temps) t.dispose();
  return out;
}
