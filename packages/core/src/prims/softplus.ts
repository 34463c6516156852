import { ValueError } from '../errors.js';
import { tidy } from '../memory.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { gt } from './gt.js';
import { mul } from './mul.js';
import { checkScalarParam } from './operands.js';
import { sigmoid } from './sigmoid.js';
import { applyUnary, unaryPrim } from './unary.js';
import { where } from './where.js';

/**
 * softplus: d/dx log(1 + e^(βx))/β = σ(βx) below the threshold, 1 above it (where the forward is
 * linear), as PyTorch's softplus_backward: `βx > threshold ? g : g * σ(βx)`.
 */
/** @internal registered in registry.ts */
export const softplusPrim = unaryPrim('softplus', (g, x, _out, p) =>
  tidy(() => {
    const bx = mul(x, p.beta);
    return where(gt(bx, p.threshold), g, mul(g, sigmoid(bx)));
  }),
);

export interface SoftplusOptions {
  /** sharpness β (default 1) */
  beta?: number;
  /** above βx > threshold the result is x itself, for numerical stability (default 20) */
  threshold?: number;
}

/**
 * softplus(x) = log(1 + e^(βx)) / β, and x where βx > threshold (torch.nn.functional.softplus,
 * defaults β = 1, threshold = 20). int32 and bool inputs are cast to float32 first.
 * @example softplus(tensor([0])) // [log 2]
 */
export function softplus(x: Tensor, opts: SoftplusOptions = {}): Tensor {
  assertUsable(x, 'softplus');
  const beta = opts.beta ?? 1;
  const threshold = opts.threshold ?? 20;
  checkScalarParam('softplus', 'beta', beta);
  checkScalarParam('softplus', 'threshold', threshold);
  if (beta === 0) throw new ValueError('softplus: beta must be non-zero, got 0');
  return applyUnary(softplusPrim, x, { beta, threshold });
}
