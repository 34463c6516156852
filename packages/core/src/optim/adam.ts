import { add } from '../prims/add.js';
import { clone } from '../prims/clone.js';
import { div } from '../prims/div.js';
import { mul } from '../prims/mul.js';
import { neg } from '../prims/neg.js';
import { sub } from '../prims/sub.js';
import type { Tensor } from '../tensor.js';
import { Optimizer, checkHyper } from './optimizer.js';

export interface AdamOptions {
  /** learning rate γ; default 1e-3 */
  lr?: number;
  /** [β1, β2], the decay rates of the first and second moment averages; default [0.9, 0.999] */
  betas?: readonly [number, number];
  /** ε added to the denominator; default 1e-8 */
  eps?: number;
  /** Adam: L2 penalty λ added to the gradient (default 0); AdamW: decoupled decay rate (default 1e-2) */
  weightDecay?: number;
  /** keep the running maximum of the second moment (AMSGrad); default false */
  amsgrad?: boolean;
  /** maximise the objective instead; default false */
  maximize?: boolean;
}

/**
 * Adam, exactly as torch.optim.Adam (https://pytorch.org/docs/stable/generated/torch.optim.Adam.html).
 * For each parameter θ with gradient ∇ at step t (m, v, v_max start at 0):
 *   g ← maximize ? -∇ : ∇
 *   if λ ≠ 0: g ← g + λθ                 (Adam: L2 in the gradient; AdamW instead: θ ← θ - γλθ first)
 *   m ← β1·m + (1 - β1)·g
 *   v ← β2·v + (1 - β2)·g²
 *   amsgrad: v_max ← max(v_max, v), and v_max replaces v below
 *   θ ← θ - γ · (m / (1 - β1^t)) / (sqrt(v / (1 - β2^t)) + ε)
 * AMSGrad keeps the maximum of the raw v and bias-corrects it with the current step, as PyTorch's
 * implementation does (its documented pseudocode takes the maximum of bias-corrected values;
 * pytorch/pytorch#142323).
 * @example const opt = new Adam(params, { lr: 1e-3 });
 */
export class Adam extends Optimizer {
  /** learning rate; may be changed between steps (a schedule) */
  lr: number;
  readonly betas: readonly [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  readonly amsgrad: boolean;
  readonly maximize: boolean;
  /** AdamW: decay the weights directly instead of adding λθ to the gradient */
  protected readonly decoupled: boolean;

  constructor(params: Iterable<Tensor>, opts: AdamOptions = {}, name = 'Adam', decoupled = false, defaultDecay = 0) {
    super(name, params);
    this.lr = checkHyper(name, 'lr', opts.lr ?? 1e-3, 0);
    const [b1, b2] = opts.betas ?? [0.9, 0.999];
    this.betas = [checkHyper(name, 'beta1', b1, 0, 1), checkHyper(name, 'beta2', b2, 0, 1)];
    this.eps = checkHyper(name, 'eps', opts.eps ?? 1e-8, 0);
    this.weightDecay = checkHyper(name, 'weightDecay', opts.weightDecay ?? defaultDecay, 0);
    this.amsgrad = opts.amsgrad ?? false;
    this.maximize = opts.maximize ?? false;
    this.decoupled = decoupled;
  }

  protected update(p: Tensor, grad: Tensor, i: number, t: number): Tensor {
    const [b1, b2] = this.betas;
    let g = this.maximize ? neg(grad) : grad;
    let theta = p;
    if (this.weightDecay !== 0) {
      if (this.decoupled) theta = mul(p, 1 - this.lr * this.weightDecay);
      else g = add(g, mul(p, this.weightDecay));
    }
    const m0 = this.getState(i, 'expAvg');
    const v0 = this.getState(i, 'expAvgSq');
    const m = m0 ? add(mul(m0, b1), mul(g, 1 - b1)) : mul(g, 1 - b1);
    const v = v0 ? add(mul(v0, b2), mul(mul(g, g), 1 - b2)) : mul(mul(g, g), 1 - b2);
    this.setState(i, 'expAvg', m);
    this.setState(i, 'expAvgSq', v);
    let vUsed = v;
    if (this.amsgrad) {
      const vm0 = this.getState(i, 'maxExpAvgSq');
      const vm = vm0 ? vm0.maximum(v) : clone(v); // its own buffer, not an alias of v
      this.setState(i, 'maxExpAvgSq', vm);
      vUsed = vm;
    }
    const bc1 = 1 - b1 ** t;
    const bc2 = 1 - b2 ** t;
    const denom = add(div(vUsed.sqrt(), Math.sqrt(bc2)), this.eps);
    return sub(theta, mul(div(m, denom), this.lr / bc1));
  }
}

/**
 * AdamW, exactly as torch.optim.AdamW (https://pytorch.org/docs/stable/generated/torch.optim.AdamW.html):
 * Adam with decoupled weight decay, θ ← θ - γλθ before the Adam step (the decay is not part of
 * the gradient, so it is not rescaled by the moments). weightDecay defaults to 1e-2.
 * @example const opt = new AdamW(params, { lr: 1e-3, weightDecay: 0.01 });
 */
export class AdamW extends Adam {
  constructor(params: Iterable<Tensor>, opts: AdamOptions = {}) {
    super(params, opts, 'AdamW', true, 1e-2);
  }
}
