import { type DType, isFloat } from '../dtype.js';
import { type Prim, apply } from '../prim.js';
import type { Tensor } from '../tensor.js';
import { reshape } from './reshape.js';

/**
 * cast: converts the dtype. Float to int truncates toward zero; anything to bool is x != 0.
 * Differentiable between float dtypes (the gradient is cast back); casts to int or bool cut the
 * gradient, as in PyTorch. Casting to the same dtype returns a new handle on the same buffer,
 * so callers may always dispose the result.
 */
/** @internal registered in registry.ts */
export const castPrim: Prim<DType> = {
  name: 'cast',
  forward: (backend, [x], dtype) => ({ buf: backend.cast(x!, dtype), shape: x!.shape, dtype }),
  vjp: (g, { inputs, params }) => [isFloat(params) ? cast(g, inputs[0]!.dtype) : null],
};

export function cast(x: Tensor, dtype: DType): Tensor {
  return x.dtype === dtype ? reshape(x, x.shape) : apply(castPrim, [x], dtype);
}
