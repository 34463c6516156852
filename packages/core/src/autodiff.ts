import { isGradEnabled, withGradMode } from './engine.js';
import { AutodiffError, ShapeError, ValueError, fmtShape } from './errors.js';
import { onesLike, zerosLike } from './creation.js';
import { add, cast, reshape } from './ops/index.js';
import { shapesEqual } from './shape.js';
import { Tensor, assertUsable, withInternalUse } from './tensor.js';

export interface BackwardOptions {
  /** keep the graph so backward can run through it again (default: createGraph) */
  retainGraph?: boolean;
  /** record the backward pass so the gradients are differentiable (gradient penalties, Hessian-vector products) */
  createGraph?: boolean;
}

export interface GradientsOptions extends BackwardOptions {
  /** cotangents for non-scalar outputs, one per output (default: ones for one-element outputs) */
  gradOutputs?: readonly (Tensor | null | undefined)[];
}

/**
 * The one reverse pass. Visits only tensors that require grad, in reverse topological order,
 * accumulates at fan-in, and calls each primitive's VJP once. With `targets`, returns their
 * gradients and prunes to paths that reach them; without, accumulates into leaves' `.grad`.
 */
function reverse(roots: readonly Tensor[], rootGrads: readonly Tensor[], targets: readonly Tensor[] | null, opts: BackwardOptions): Map<Tensor, Tensor> {
  const createGraph = opts.createGraph ?? false;
  const retainGraph = opts.retainGraph ?? createGraph;

  // Post-order DFS (inputs before outputs), iterative so deep graphs do not overflow the stack.
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: [Tensor, boolean][] = roots.map((r) => [r, false]);
  while (stack.length > 0) {
    const [t, done] = stack.pop()!;
    if (done) {
      order.push(t);
      continue;
    }
    if (visited.has(t)) continue;
    visited.add(t);
    stack.push([t, true]);
    const node = t._node;
    if (node) {
      if (node.released) {
        throw new AutodiffError(
          `backward: the graph through ${node.prim.name} (tensor #${t.id}) was already released by an earlier backward; pass { retainGraph: true } to the first backward to run it twice`,
        );
      }
      for (const inp of node.inputs) if (inp.requiresGrad && !visited.has(inp)) stack.push([inp, false]);
    }
  }

  // With targets, only tensors on a path to a target matter.
  const targetSet = new Set(targets ?? []);
  let relevant: Set<Tensor> | null = null;
  if (targets) {
    relevant = new Set();
    for (const t of order) {
      if (targetSet.has(t) || (t._node && t._node.inputs.some((i) => relevant!.has(i)))) relevant.add(t);
    }
  }
  const matters = (t: Tensor) => relevant === null || relevant.has(t);

  const grads = new Map<Tensor, Tensor>();
  const accumulate = (t: Tensor, g: Tensor) => {
    const old = grads.get(t);
    if (old) {
      grads.set(t, add(old, g));
      old.dispose();
      g.dispose();
    } else {
      grads.set(t, g);
    }
  };

  withGradMode(createGraph, () =>
    withInternalUse(() => {
      roots.forEach((r, i) => accumulate(r, rootGrads[i]!));
      for (let k = order.length - 1; k >= 0; k--) {
        const t = order[k]!;
        const g = grads.get(t);
        const node = t._node;
        if (!g || !node || !matters(t)) continue;
        const needs = node.inputs.map((i) => i.requiresGrad && matters(i));
        const gs = node.prim.vjp!(g, { inputs: node.inputs, out: t, params: node.params, extra: node.extra, needs });
        // A VJP may hand back g itself, or one tensor for several inputs (add); each input's
        // gradient must be its own handle, since each is disposed on its own schedule.
        const handedOut = new Set<Tensor>([g]);
        node.inputs.forEach((inp, i) => {
          let gi = gs[i];
          if (!gi || !needs[i]) return;
          if (!shapesEqual(gi.shape, inp.shape)) {
            throw new ShapeError(
              `internal: the VJP of ${node.prim.name} returned a gradient of shape ${fmtShape(gi.shape)} for input ${i} of shape ${fmtShape(inp.shape)}`,
            );
          }
          if (handedOut.has(gi)) gi = reshape(gi, gi.shape);
          handedOut.add(gi);
          accumulate(inp, gi.dtype === inp.dtype ? gi : castAndDispose(gi, inp));
        });
        for (const gi of gs) if (gi && !handedOut.has(gi)) gi.dispose();
        if (!targetSet.has(t)) {
          grads.delete(t);
          g.dispose();
        }
      }
    }),
  );

  if (!retainGraph) {
    for (const t of order) {
      const node = t._node;
      if (node && !node.released) {
        node.released = true;
        for (const i of node.inputs) i._release();
        for (const e of node.extra) e._release();
      }
    }
  }
  return grads;
}

function castAndDispose(g: Tensor, like: Tensor): Tensor {
  const c = cast(g, like.dtype);
  g.dispose();
  return c;
}

function rootGradient(op: string, out: Tensor, given: Tensor | null | undefined): Tensor {
  if (given) {
    assertUsable(given, op);
    if (!shapesEqual(given.shape, out.shape)) {
      throw new ShapeError(`${op}: the gradient has shape ${fmtShape(given.shape)} but the output has shape ${fmtShape(out.shape)}`);
    }
    return given.dtype === out.dtype ? given.detach() : cast(given, out.dtype);
  }
  if (out.size !== 1) {
    throw new AutodiffError(
      `${op}: the output has shape ${fmtShape(out.shape)}; a gradient can be created implicitly only for one-element outputs, so pass the cotangent (same shape) explicitly`,
    );
  }
  return onesLike(out);
}

/** Accumulates d(out)/d(leaf) into `.grad` of every leaf that requires grad (as PyTorch's backward). */
export function backward(out: Tensor, gradient?: Tensor, opts: BackwardOptions = {}): void {
  assertUsable(out, 'backward');
  if (!out.requiresGrad) {
    throw new AutodiffError(`backward: tensor #${out.id} ${fmtShape(out.shape)} does not require grad and has no graph; set requiresGrad on an input first`);
  }
  const g0 = rootGradient('backward', out, gradient);
  const grads = reverse([out], [g0], null, opts);
  withGradMode(opts.createGraph ?? false, () => {
    for (const [t, g] of grads) {
      // a leaf the user already disposed can never be read, so its gradient is dropped rather
      // than kept alive for as long as some graph still holds the leaf
      if (!t.isLeaf || t.isDisposed) {
        g.dispose();
        continue;
      }
      t.grad = t.grad ? add(t.grad, g) : g;
      if (t.grad !== g) g.dispose();
    }
  });
}

/**
 * The gradients of `outputs` with respect to `inputs` (as torch.autograd.grad), without touching
 * `.grad`. Inputs the outputs do not depend on get zeros.
 * @example const [gx] = gradients(critic(x).sum(), [x], { createGraph: true }); // for a gradient penalty
 */
export function gradients(outputs: Tensor | readonly Tensor[], inputs: readonly Tensor[], opts: GradientsOptions = {}): Tensor[] {
  const outs = outputs instanceof Tensor ? [outputs] : [...outputs];
  inputs.forEach((t, i) => {
    assertUsable(t, 'gradients');
    if (!t.requiresGrad) {
      throw new AutodiffError(
        `gradients: input ${i} (tensor #${t.id} ${fmtShape(t.shape)}) does not require grad, so no gradient can be taken with respect to it; set requiresGrad on it before computing the outputs`,
      );
    }
  });
  const live = outs.map((o, i) => [o, opts.gradOutputs?.[i]] as const).filter(([o]) => (assertUsable(o, 'gradients'), o.requiresGrad));
  let grads = new Map<Tensor, Tensor>();
  if (live.length > 0) {
    const roots = live.map(([o]) => o);
    const g0 = live.map(([o, g]) => rootGradient('gradients', o, g));
    grads = reverse(roots, g0, inputs, opts);
  }
  return inputs.map((t) => grads.get(t) ?? zerosLike(t));
}

export interface GradOptions {
  /** which arguments to differentiate with respect to (default 0) */
  argnums?: number | readonly number[];
  /** record the backward pass so the result can be differentiated again (default: on unless inside noGrad) */
  createGraph?: boolean;
}

/**
 * valueAndGrad(f) returns a function computing [f(...args), df/dargs] (as jax.value_and_grad).
 * f must return a one-element tensor. Composes: grad(grad(f)) gives second derivatives.
 * @example const [loss, gw] = valueAndGrad((w) => mseLoss(x.matmul(w), y))(w);
 */
export function valueAndGrad<A extends Tensor[]>(f: (...args: A) => Tensor, opts?: GradOptions & { argnums?: number }): (...args: A) => [Tensor, Tensor];
export function valueAndGrad<A extends Tensor[]>(
  f: (...args: A) => Tensor,
  opts: GradOptions & { argnums: readonly number[] },
): (...args: A) => [Tensor, Tensor[]];
export function valueAndGrad<A extends Tensor[]>(f: (...args: A) => Tensor, opts: GradOptions = {}): (...args: A) => [Tensor, Tensor | Tensor[]] {
  const single = opts.argnums === undefined || typeof opts.argnums === 'number';
  const argnums = opts.argnums === undefined ? [0] : typeof opts.argnums === 'number' ? [opts.argnums] : [...opts.argnums];
  return (...args: A) => {
    for (const i of argnums) {
      if (!(args[i] instanceof Tensor)) throw new ValueError(`grad: argument ${i} must be a Tensor to be differentiated`);
    }
    const fresh: Tensor[] = [];
    const wrt = args.map((a, i) => {
      if (!argnums.includes(i) || a.requiresGrad) return a;
      const leaf = a.detach().requiresGrad_();
      fresh.push(leaf);
      return leaf;
    }) as A;
    const value = f(...wrt);
    if (!(value instanceof Tensor) || value.size !== 1) {
      throw new AutodiffError(`grad: the function must return a one-element tensor, got ${value instanceof Tensor ? fmtShape(value.shape) : typeof value}`);
    }
    const createGraph = opts.createGraph ?? isGradEnabled();
    const gs = gradients(
      value,
      argnums.map((i) => wrt[i]!),
      { createGraph },
    );
    fresh.forEach((t) => t.dispose());
    return [value, single ? gs[0]! : gs];
  };
}

/**
 * grad(f) returns a function computing the gradient of f (as jax.grad); f returns a one-element tensor.
 * @example const d2 = grad(grad((x) => x.pow(3).sum()))(x); // 6x
 */
export function grad<A extends Tensor[]>(f: (...args: A) => Tensor, opts?: GradOptions & { argnums?: number }): (...args: A) => Tensor;
export function grad<A extends Tensor[]>(f: (...args: A) => Tensor, opts: GradOptions & { argnums: readonly number[] }): (...args: A) => Tensor[];
export function grad<A extends Tensor[]>(f: (...args: A) => Tensor, opts: GradOptions = {}): (...args: A) => Tensor | Tensor[] {
  const vg = valueAndGrad(f, opts as GradOptions & { argnums: readonly number[] });
  return (...args: A) => {
    const [value, g] = vg(...args);
    value.dispose();
    return g;
  };
}
