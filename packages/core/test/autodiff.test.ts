import { describe, expect, it } from 'vitest';
import {
  AutodiffError,
  DisposedError,
  DTypeError,
  ShapeError,
  backward,
  exp,
  grad,
  gradients,
  memory,
  noGrad,
  tensor,
  tidy,
  valueAndGrad,
} from '@pixgrad/core';

const f64 = (data: number[] | number[][], requiresGrad = true) => tensor(data, { dtype: 'float64', requiresGrad });
const values = (t: { dataSync(): ArrayLike<number> }) => Array.from(t.dataSync());

describe('backward', () => {
  it('accumulates into .grad across calls and zeroGrad clears it', () => {
    const x = f64([1, 2]);
    x.mul(3).sum().backward();
    x.mul(x).sum().backward();
    expect(values(x.grad!)).toEqual([3 + 2, 3 + 4]);
    x.zeroGrad();
    expect(x.grad).toBeNull();
  });

  it('accumulates at fan-in (one tensor used by several ops)', () => {
    const x = f64([2]);
    const y = x.mul(x).add(x).add(exp(x)); // x^2 + x + e^x
    y.sum().backward();
    expect(x.grad!.dataSync()[0]).toBeCloseTo(2 * 2 + 1 + Math.exp(2), 12);
  });

  it('prunes to the path: inputs that do not require grad get nothing', () => {
    const x = f64([1, 2]);
    const c = f64([5, 6], false);
    x.mul(c).sum().backward();
    expect(values(x.grad!)).toEqual([5, 6]);
    expect(c.grad).toBeNull();
  });

  it('needs an explicit gradient for non-scalar outputs', () => {
    const x = f64([1, 2]);
    expect(() => x.mul(2).backward()).toThrow(AutodiffError);
    expect(() => x.mul(2).backward()).toThrow(/shape \[2\].*cotangent/);
    x.mul(2).backward(tensor([1, 10], { dtype: 'float64' }));
    expect(values(x.grad!)).toEqual([2, 20]);
  });

  it('rejects a gradient of the wrong shape, naming both shapes', () => {
    const x = f64([1, 2]);
    expect(() => x.mul(2).backward(tensor([1, 2, 3], { dtype: 'float64' }))).toThrow(ShapeError);
    expect(() => x.mul(2).backward(tensor([1, 2, 3], { dtype: 'float64' }))).toThrow(/\[3\].*\[2\]/);
  });

  it('refuses to run twice through a released graph, and allows it with retainGraph', () => {
    const x = f64([1]);
    const y = exp(x).sum();
    y.backward();
    expect(() => y.backward()).toThrow(/already released.*retainGraph/);
    const z = exp(x).sum();
    z.backward(undefined, { retainGraph: true });
    z.backward();
    expect(x.grad!.dataSync()[0]).toBeCloseTo(3 * Math.E, 12);
  });

  it('errors on tensors that do not require grad', () => {
    expect(() => f64([1], false).sum().backward()).toThrow(/does not require grad/);
  });

  it('only float tensors can require grad; only leaves can change it', () => {
    expect(() => tensor([1, 2], { dtype: 'int32', requiresGrad: true })).toThrow(DTypeError);
    const y = f64([1]).mul(2);
    expect(() => (y.requiresGrad = false)).toThrow(/leaf/);
  });

  it('detach cuts the graph and noGrad records nothing', () => {
    const x = f64([3]);
    const d = x.mul(2).detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.isLeaf).toBe(true);
    const n = noGrad(() => x.mul(2));
    expect(n.requiresGrad).toBe(false);
  });

  it('backward is the same function as the method', () => {
    const x = f64([1, 2]);
    backward(x.mul(x).sum());
    expect(values(x.grad!)).toEqual([2, 4]);
  });
});

describe('functional transforms', () => {
  it('gradients() leaves .grad alone and gives zeros for unused inputs', () => {
    const x = f64([1, 2]);
    const u = f64([7]);
    const [gx, gu] = gradients(x.mul(x).sum(), [x, u]);
    expect(values(gx!)).toEqual([2, 4]);
    expect(values(gu!)).toEqual([0]);
    expect(x.grad).toBeNull();
  });

  it('valueAndGrad and multiple argnums', () => {
    const a = f64([2], false);
    const b = f64([5], false);
    const [v, [ga, gb]] = valueAndGrad((a, b) => a.mul(b).sum(), { argnums: [0, 1] })(a, b);
    expect(v.dataSync()[0]).toBe(10);
    expect(values(ga!)).toEqual([5]);
    expect(values(gb!)).toEqual([2]);
  });

  it('grad(grad(f)) gives the second derivative; third order too', () => {
    const x = f64([0.7], false);
    type T = typeof x;
    const f = (x: T) => x.mul(x).mul(x).sum(); // x^3
    const d1 = (x: T) => grad(f)(x).sum();
    const d2 = (x: T) => grad(d1)(x).sum();
    expect(grad(f)(x).dataSync()[0]).toBeCloseTo(3 * 0.49, 12);
    expect(grad(d1)(x).dataSync()[0]).toBeCloseTo(6 * 0.7, 12);
    expect(grad(d2)(x).dataSync()[0]).toBeCloseTo(6, 12);
  });

  it('a gradient penalty: d/dw of ||d(w*x^2)/dx||^2 through createGraph', () => {
    const x = f64([1, 2]);
    const w = f64([3]);
    const gx = gradients(w.mul(x.mul(x)).sum(), [x], { createGraph: true })[0]!; // 2 w x
    const penalty = gx.mul(gx).sum(); // 4 w^2 (1 + 4)
    penalty.backward();
    expect(w.grad!.dataSync()[0]).toBeCloseTo(8 * 3 * 5, 10);
  });

  it('gradients() with respect to a tensor that does not require grad is an error', () => {
    const x = f64([1], false);
    const w = f64([2]);
    expect(() => gradients(w.mul(x).sum(), [x])).toThrow(/input 0 .* does not require grad/);
  });

  it('grad requires a one-element output', () => {
    expect(() => grad((x) => x.mul(2))(f64([1, 2], false))).toThrow(/one-element/);
  });
});

describe('memory', () => {
  it('forward + backward inside tidy leaves only the gradient behind', () => {
    const x = f64([1, 2, 3]);
    const start = memory();
    tidy(() => {
      const y = exp(x).mul(x).sum();
      y.backward();
    });
    const end = memory();
    expect(end.tensors).toBe(start.tensors + 1); // x.grad
    x.zeroGrad();
    expect(memory().tensors).toBe(start.tensors);
    expect(memory().bytes).toBe(start.bytes);
  });

  it('a graph keeps what backward needs even after tidy disposed the handles', () => {
    const x = f64([0.5]);
    const y = tidy(() => exp(exp(x)).sum());
    y.backward();
    expect(x.grad!.dataSync()[0]).toBeCloseTo(Math.exp(Math.exp(0.5)) * Math.exp(0.5), 12);
    const before = memory().tensors;
    y.dispose();
    expect(memory().tensors).toBe(before - 1);
  });

  it('disposing an unused result frees its whole graph', () => {
    const x = f64([1, 2]);
    const start = memory().tensors;
    const y = tidy(() => exp(x.mul(2)).sum());
    expect(memory().tensors).toBeGreaterThan(start + 1); // intermediates held by the graph
    y.dispose();
    expect(memory().tensors).toBe(start);
  });

  it('using a disposed tensor is a clear error', () => {
    const x = tensor([1, 2]);
    x.dispose();
    x.dispose(); // harmless
    expect(() => x.add(1)).toThrow(DisposedError);
    expect(() => x.dataSync()).toThrow(/disposed/);
  });

  it('tidy refuses async functions', () => {
    expect(() => tidy((async () => tensor([1])) as never)).toThrow(/Promise/);
  });
});

describe('engine regressions', () => {
  it('add with both operands requiring grad, one broadcast (x + bias)', () => {
    const x = f64([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const b = f64([10]);
    x.add(b).mul(x).sum().backward();
    expect(values(x.grad!)).toEqual([12, 14, 16, 18, 20, 22]);
    expect(values(b.grad!)).toEqual([21]);
  });

  it('tidy disposes what it made when the function throws', () => {
    const start = memory().tensors;
    expect(() =>
      tidy(() => {
        exp(tensor([1, 2]));
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(memory().tensors).toBe(start);
  });

  it('backward gives no .grad to a leaf tidy already disposed (nothing leaks)', () => {
    const start = memory().tensors;
    for (let i = 0; i < 3; i++) {
      const penalty = tidy(() => {
        const x = f64([1, 2]);
        const w = f64([3], false);
        const [gx] = gradients(w.mul(x.mul(x)).sum(), [x], { createGraph: true });
        return gx!.mul(gx!).sum();
      });
      penalty.backward();
      penalty.dispose();
    }
    expect(memory().tensors).toBe(start);
  });
});
