import { describe, expect, it } from 'vitest';
import { avgPool2d, conv2d, gradcheck, gradients, leakyRelu, linear, manualSeed, maxPool2d, memory, randn, tensor, tidy, type Tensor } from '@pixgrad/core';

/**
 * Gradient penalties (WGAN-GP, Gulrajani et al. 2017; R1, Mescheder et al. 2018) differentiate
 * ||d critic(x) / dx|| again with respect to the critic's weights: the backward pass itself must
 * be differentiable (createGraph) through conv2d, leakyRelu, pooling and linear.
 */

const f64 = (shape: number[], scale = 1) => tidy(() => randn(shape, { dtype: 'float64' }).mul(scale));
const asLeaf = (t: Tensor) => (t.requiresGrad ? t : t.detach().requiresGrad_());

/** critic: conv2d(stride 2, padding 1) -> leakyRelu(0.2) -> conv2d -> sum over C, H, W: one score per image */
function critic(x: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor): Tensor {
  const h = leakyRelu(conv2d(x, w1, { bias: b1, stride: 2, padding: 1 }), 0.2);
  return conv2d(h, w2, { bias: b2 }).sum([1, 2, 3]);
}

/**
 * (||∇x critic(x)||₂ - 1)², averaged over the batch, with the per-image gradient norm. The gradient
 * is taken with createGraph so the penalty is differentiable in the weights (and in x).
 */
function penalty(score: (x: Tensor) => Tensor, x0: Tensor): Tensor {
  const x = asLeaf(x0);
  const [gx] = gradients(score(x).sum(), [x], { createGraph: true });
  const norms = gx!.square().sum([1, 2, 3]).sqrt();
  return norms.sub(1).square().mean();
}

describe('gradient penalty through a conv critic', () => {
  manualSeed(11);
  const x = f64([2, 2, 5, 5]);
  const w1 = f64([3, 2, 3, 3], 0.5);
  const b1 = f64([3], 0.1);
  const w2 = f64([2, 3, 2, 2], 0.5);
  const b2 = f64([2], 0.1);

  it('the first-order gradient d critic / dx matches finite differences', () => {
    const r = gradcheck((x) => critic(x, w1, b1, w2, b2), [asLeaf(x)]);
    expect(r.ok, r.report).toBe(true);
  });

  it('d penalty / d weights (a gradient of a gradient) matches finite differences', () => {
    const params = [w1, b1, w2, b2].map(asLeaf);
    const r = gradcheck((w1, b1, w2, b2) => penalty((x) => critic(x, w1!, b1!, w2!, b2!), x), params);
    expect(r.ok, r.report).toBe(true);
    // the biases do not change ∇x, so their penalty gradient is exactly zero; the weights' is not
    const [gw1, gb1] = tidy(() => {
      const p = penalty((x) => critic(x, params[0]!, params[1]!, params[2]!, params[3]!), x);
      return gradients(p, params.slice(0, 2));
    });
    expect(Math.max(...Array.from(gb1!.dataSync()).map(Math.abs))).toBe(0);
    expect(Math.max(...Array.from(gw1!.dataSync()).map(Math.abs))).toBeGreaterThan(1e-3);
    gw1!.dispose();
    gb1!.dispose();
  });

  it('d penalty / d x on WGAN-GP interpolates matches finite differences', () => {
    const fake = f64([2, 2, 5, 5]);
    const eps = tensor([0.3, 0.8], { dtype: 'float64' }).reshape([2, 1, 1, 1]);
    const r = gradcheck((real) => penalty((xh) => critic(xh, w1, b1, w2, b2), real.mul(eps).add(fake.mul(eps.neg().add(1)))), [asLeaf(x)]);
    expect(r.ok, r.report).toBe(true);
  });

  it('through pooling and linear too: conv -> leakyRelu -> maxPool2d -> conv -> avgPool2d -> linear', () => {
    const v1 = f64([3, 2, 3, 3], 0.5);
    const v2 = f64([2, 3, 3, 3], 0.5);
    const lw = f64([1, 8], 0.5);
    const xs = f64([2, 2, 6, 6]);
    const score = (x: Tensor, v1: Tensor, v2: Tensor, lw: Tensor) => {
      const h = maxPool2d(leakyRelu(conv2d(x, v1, { padding: 1 }), 0.2), { kernelSize: 2 }); // [2, 3, 3, 3]
      const a = avgPool2d(conv2d(h, v2, { padding: 1 }), { kernelSize: 2, stride: 1 }); // [2, 2, 2, 2]
      return linear(a.reshape([2, 8]), lw).sum(1);
    };
    const r = gradcheck((v1, v2, lw) => penalty((x) => score(x, v1!, v2!, lw!), xs), [v1, v2, lw].map(asLeaf));
    expect(r.ok, r.report).toBe(true);
  });

  it('a linear critic has the penalty computed by hand', () => {
    // critic(x) = sum(conv2d(x, w)) with w = [[1, 2], [3, 4]] on a 3x3 input: ∇x is the sum of the
    // taps that read each pixel, [[1, 3, 2], [4, 10, 6], [3, 7, 4]], whatever x is
    const w = tensor(
      [
        [
          [
            [1, 2],
            [3, 4],
          ],
        ],
      ],
      { dtype: 'float64', requiresGrad: true },
    );
    const xi = tensor(new Float64Array(9).fill(0.5), { shape: [1, 1, 3, 3], dtype: 'float64' });
    const p = penalty((x) => conv2d(x, w).sum([1, 2, 3]), xi);
    const n = Math.sqrt(1 + 9 + 4 + 16 + 100 + 36 + 9 + 49 + 16);
    expect(p.itemSync()).toBeCloseTo((n - 1) ** 2, 10);
    // d/dw (n - 1)² = 2 (n - 1) / n · Σ_ij ∇x_ij · d∇x_ij/dw, and d∇x_ij/dw_ab = 1 when tap (a, b) reads (i, j):
    // so d/dw_ab = 2 (n - 1) / n · (sum of ∇x over the 2x2 window at (a, b))
    p.backward();
    const gx = [
      [1, 3, 2],
      [4, 10, 6],
      [3, 7, 4],
    ];
    const win = (a: number, b: number) => gx[a]![b]! + gx[a]![b + 1]! + gx[a + 1]![b]! + gx[a + 1]![b + 1]!;
    const want = [win(0, 0), win(0, 1), win(1, 0), win(1, 1)].map((s) => ((2 * (n - 1)) / n) * s);
    Array.from(w.grad!.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 10));
  });

  it('penalty + backward inside tidy leave nothing behind', () => {
    const params = [w1, b1, w2, b2].map((t) => t.detach().requiresGrad_());
    const before = memory();
    for (let i = 0; i < 3; i++) {
      tidy(() => penalty((x) => critic(x, params[0]!, params[1]!, params[2]!, params[3]!), x).backward());
      params.forEach((p) => p.zeroGrad());
      expect(memory().tensors).toBe(before.tensors);
      expect(memory().bytes).toBe(before.bytes);
    }
    params.forEach((p) => p.dispose());
  });
});
