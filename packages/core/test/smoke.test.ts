import { describe, expect, it } from 'vitest';
import { exp, grad, memory, tensor, tidy } from '@pixgrad/core';

describe('engine smoke', () => {
  it('computes a gradient through broadcasting', () => {
    const x = tensor([[1, 2, 3]], { dtype: 'float64', requiresGrad: true });
    const b = tensor([[1], [2]], { dtype: 'float64' });
    const y = exp(x).mul(b).sum();
    y.backward();
    expect(Array.from(x.grad!.dataSync())).toEqual([1, 2, 3].map((v) => 3 * Math.exp(v)));
  });
  it('differentiates twice', () => {
    const x = tensor([0.5], { dtype: 'float64' });
    const d2 = grad((x) => grad((x) => exp(x.mul(x)).sum())(x).sum())(x);
    const v = 0.5;
    expect(d2.dataSync()[0]).toBeCloseTo(Math.exp(v * v) * (2 + 4 * v * v), 12);
  });
  it('tidy frees intermediates', () => {
    const before = memory().tensors;
    const r = tidy(() =>
      exp(tensor([1, 2]))
        .mul(2)
        .sum(),
    );
    expect(memory().tensors).toBe(before + 1);
    r.dispose();
    expect(memory().tensors).toBe(before);
  });
});
