import type { NoParams, UnaryOp, UnaryParams } from '../backend.js';
import { isFloat } from '../dtype.js';
import { type Prim, apply } from '../prim.js';
import type { Tensor } from '../tensor.js';
import { cast } from './cast.js';

/** The VJP of a unary op: the cotangent g, the input x, the output out (all differentiable tensors), the op's parameters. */
export type UnaryVjp<P> = (g: Tensor, x: Tensor, out: Tensor, params: P) => Tensor;

/**
 * Builds the primitive for one elementwise unary op. Shape and dtype are those of the input;
 * `floatOnly` ops (exp, log, ...) first cast int and bool inputs to float32, as PyTorch does.
 * Ops without a vjp say why (`nondiff`): sign, floor, ceil and round are piecewise constant.
 */
export function unaryPrim<O extends UnaryOp>(op: O, vjp: UnaryVjp<UnaryParams<O>> | { nondiff: string }): Prim<UnaryParams<O>> {
  const forward: Prim<UnaryParams<O>>['forward'] = (backend, [x], params) => ({ buf: backend.unary(op, x!, params), shape: x!.shape, dtype: x!.dtype });
  if (typeof vjp !== 'function') return { name: op, forward, nondiff: vjp.nondiff };
  return { name: op, forward, vjp: (g, { inputs, out, params }) => [vjp(g, inputs[0]!, out, params)] };
}

/** Applies a unary primitive, casting int/bool inputs to float32 first when the op needs floats. */
export function applyUnary(prim: Prim<NoParams>, x: Tensor): Tensor;
export function applyUnary<P>(prim: Prim<P>, x: Tensor, params: P, floatOnly?: boolean): Tensor;
export function applyUnary<P>(prim: Prim<P>, x: Tensor, params: P = {} as P, floatOnly = true): Tensor {
  if (floatOnly && !isFloat(x.dtype)) {
    const xf = cast(x, 'float32');
    const y = apply(prim, [xf], params);
    xf.dispose();
    return y;
  }
  return apply(prim, [x], params);
}
