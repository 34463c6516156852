import { ValueError } from '../errors.js';
import { add } from '../prims/add.js';
import { clone } from '../prims/clone.js';
import { mul } from '../prims/mul.js';
import { neg } from '../prims/neg.js';
import { sub } from '../prims/sub.js';
import type { Tensor } from '../tensor.js';
import { Optimizer, checkHyper } from './optimizer.js';

export interface SGDOptions {
  /** learning rate γ; default 1e-3 (PyTorch >= 2.2's default) */
  lr?: number;
  /** momentum factor μ; default 0 */
  momentum?: number;
  /** dampening τ of the momentum; default 0 */
  dampening?: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0); default false */
  nesterov?: boolean;
  /** L2 penalty λ added to the gradient; default 0 */
  weightDecay?: number;
  /** maximise the objective instead; default false */
  maximize?: boolean;
}

/**
 * Stochastic gradient descent with momentum, exactly as torch.optim.SGD
 * (https://pytorch.org/docs/stable/generated/torch.optim.SGD.html). For each parameter θ with
 * gradient ∇ at step t:
 *   g ← maximize ? -∇ : ∇
 *   if λ ≠ 0: g ← g + λθ
 *   if μ ≠ 0: b ← (t > 1 ? μ·b + (1 - τ)·g : g);  g ← nesterov ? g + μ·b : b
 *   θ ← θ - γ·g
 * `maximize` negates the gradient first, as PyTorch's implementation does (its documented
 * pseudocode applies the sign at the end instead, which only differs when weightDecay is set too).
 * @example
 * const opt = new SGD([w, b], { lr: 0.1, momentum: 0.9 });
 * for (...) { opt.zeroGrad(); tidy(() => loss(w, b).backward()); opt.step(); }
 */
export class SGD extends Optimizer {
  /** learning rate; may be changed between steps (a schedule) */
  lr: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  readonly maximize: boolean;

  constructor(params: Iterable<Tensor>, opts: SGDOptions = {}) {
    super('SGD', params);
    this.lr = checkHyper('SGD', 'lr', opts.lr ?? 1e-3, 0);
    this.momentum = checkHyper('SGD', 'momentum', opts.momentum ?? 0, 0);
    this.dampening = checkHyper('SGD', 'dampening', opts.dampening ?? 0, -Infinity);
    this.weightDecay = checkHyper('SGD', 'weightDecay', opts.weightDecay ?? 0, 0);
    this.nesterov = opts.nesterov ?? false;
    this.maximize = opts.maximize ?? false;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new ValueError(`SGD: Nesterov momentum requires momentum > 0 and dampening = 0, got momentum ${this.momentum}, dampening ${this.dampening}`);
    }
  }

  protected update(p: Tensor, grad: Tensor, i: number, t: number): Tensor {
    let g = this.maximize ? neg(grad) : grad;
    if (this.weightDecay !== 0) g = add(g, mul(p, this.weightDecay));
    if (this.momentum !== 0) {
      const prev = this.getState(i, 'momentumBuffer');
      const b = t > 1 && prev ? add(mul(prev, this.momentum), mul(g, 1 - this.dampening)) : clone(g); // a copy, as torch.clone(grad): the buffer must not alias the gradient
      this.setState(i, 'momentumBuffer', b);
      g = this.nesterov ? add(g, mul(b, this.momentum)) : b;
    }
    return sub(p, mul(g, this.lr));
  }
}
