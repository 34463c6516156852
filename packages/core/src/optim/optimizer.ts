import { isFloat } from '../dtype.js';
import { noGrad } from '../engine.js';
import { ValueError, fmtShape } from '../errors.js';
import { keep, tidy } from '../memory.js';
import { cast } from '../prims/cast.js';
import { Tensor, assertUsable } from '../tensor.js';

/**
 * The base of every optimiser: a list of parameters (float leaf tensors that require grad),
 * `zeroGrad()`, and `step()`, which applies the update rule to every parameter whose `.grad` is
 * set (parameters without a gradient are skipped, as in PyTorch). Updates run under noGrad inside
 * a tidy scope; the new values replace each parameter's storage in place (`Tensor._assign`), so
 * user references to parameters stay valid, and nothing but the optimiser's own state is left
 * behind. State tensors (momentum, moments) are kept out of scopes and freed by `dispose()`.
 */
export abstract class Optimizer {
  readonly params: readonly Tensor[];
  /** per parameter: how many updates it has received (PyTorch's state['step']) */
  protected readonly steps: number[];
  private readonly state: Map<string, Tensor>[];

  protected constructor(
    protected readonly name: string,
    params: Iterable<Tensor>,
  ) {
    const list = [...params];
    if (list.length === 0) throw new ValueError(`${name}: got an empty list of parameters`);
    list.forEach((p, i) => {
      assertUsable(p, name);
      if (!isFloat(p.dtype)) throw new ValueError(`${name}: parameter ${i} ${fmtShape(p.shape)} is ${p.dtype}; only float tensors can be optimised`);
      if (!p.isLeaf)
        throw new ValueError(
          `${name}: parameter ${i} ${fmtShape(p.shape)} is not a leaf (it was computed by ${p._node!.prim.name}); optimise the leaf tensors you created`,
        );
      if (!p.requiresGrad) throw new ValueError(`${name}: parameter ${i} ${fmtShape(p.shape)} does not require grad; create it with { requiresGrad: true }`);
    });
    if (new Set(list).size !== list.length) throw new ValueError(`${name}: a parameter appears more than once in the list`);
    this.params = list;
    this.steps = list.map(() => 0);
    this.state = list.map(() => new Map());
  }

  /** Applies one update to every parameter that has a gradient. */
  step(): void {
    noGrad(() =>
      tidy(() => {
        this.params.forEach((p, i) => {
          assertUsable(p, `${this.name}.step`);
          const g0 = p.grad;
          if (g0 === null) return;
          // a gradient assigned by hand may have another float dtype: updates happen in the parameter's
          const g = g0.dtype === p.dtype ? g0 : cast(g0, p.dtype);
          this.steps[i]!++;
          const next = this.update(p, g, i, this.steps[i]!);
          p._assign(next);
        });
      }),
    );
  }

  /** Drops every parameter's gradient (as PyTorch's zero_grad(set_to_none=True)). */
  zeroGrad(): void {
    for (const p of this.params) p.zeroGrad();
  }

  /** Frees the optimiser's state tensors (the parameters are the caller's). */
  dispose(): void {
    for (const s of this.state) {
      for (const t of s.values()) t.dispose();
      s.clear();
    }
  }

  /** The new value of parameter p (index i, update number t >= 1) given its gradient; runs under noGrad in a tidy scope. */
  protected abstract update(p: Tensor, grad: Tensor, i: number, t: number): Tensor;

  /** A state tensor of parameter i, or undefined before it is first set. */
  protected getState(i: number, key: string): Tensor | undefined {
    return this.state[i]!.get(key);
  }

  /** Replaces a state tensor (kept out of the enclosing tidy; the old one is freed). */
  protected setState(i: number, key: string, t: Tensor): void {
    const old = this.state[i]!.get(key);
    this.state[i]!.set(key, keep(t)._settle());
    if (old && old !== t) old.dispose();
  }
}

/** Checks a hyperparameter is a finite number >= min (and < max when given). */
export function checkHyper(op: string, name: string, v: number, min: number, max?: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (max !== undefined && v >= max)) {
    throw new ValueError(`${op}: invalid ${name} ${v} (expected a number >= ${min}${max !== undefined ? ` and < ${max}` : ''})`);
  }
  return v;
}

export type { Tensor };
