import { type Prim, apply } from '../prim.js';
import { contiguousStrides } from '../shape.js';
import { type Tensor, assertUsable } from '../tensor.js';

/** clone: a copy into a new buffer (one strided pass); the identity for gradients, d(clone x)/dx = 1. */
/** @internal registered in registry.ts */
export const clonePrim: Prim<void> = {
  name: 'clone',
  forward: (backend, [x]) => ({ buf: backend.strided(x!, x!.shape, contiguousStrides(x!.shape), 0), shape: x!.shape, dtype: x!.dtype }),
  vjp: (g) => [g],
};

/**
 * A copy of x in a new buffer, same shape and dtype (as torch.clone); gradients flow through it
 * unchanged. Unlike reshape, the result never shares memory with x.
 * @example const y = clone(x);
 */
export function clone(x: Tensor): Tensor {
  assertUsable(x, 'clone');
  return apply(clonePrim, [x], undefined);
}
