/**
 * Pixel losses, PSNR and total variation.
 * Expected values are hand-computed from PyTorch's documented formulas
 * (torch.nn.functional.l1_loss / mse_loss / smooth_l1_loss / huber_loss, reduction semantics)
 * and from closed forms (PSNR of a known MSE, TV of a ramp).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { memory, tensor, tidy, type Tensor } from '@pixgrad/core';
import { propertyGradcheck, specOf, type TensorSpec } from '@pixgrad/core/testing';
import { charbonnierLoss, huberLoss, l1Loss, mseLoss, psnr, smoothL1Loss, totalVariation } from '@pixgrad/losses';

const t = (v: number[], shape = [v.length]) => tensor(v, { shape, dtype: 'float64' });
const vals = (x: Tensor) => Array.from(x.dataSync());

describe('pixel losses: PyTorch semantics', () => {
  const x = t([1, 2, 3, 0.25]);
  const y = t([2, 2, 5, 0]);
  // d = x - y = [-1, 0, -2, 0.25]

  it('l1Loss and mseLoss with every reduction', () => {
    expect(l1Loss(x, y).itemSync()).toBeCloseTo(3.25 / 4, 15);
    expect(l1Loss(x, y, { reduction: 'sum' }).itemSync()).toBeCloseTo(3.25, 15);
    expect(vals(l1Loss(x, y, { reduction: 'none' }))).toEqual([1, 0, 2, 0.25]);
    expect(mseLoss(x, y).itemSync()).toBeCloseTo((1 + 0 + 4 + 0.0625) / 4, 15);
    expect(vals(mseLoss(x, y, { reduction: 'none' }))).toEqual([1, 0, 4, 0.0625]);
  });

  it('smoothL1Loss: 0.5 d^2 / beta below beta, |d| - 0.5 beta from beta on', () => {
    // beta 1: |d| = 1 is on the linear branch (PyTorch's `|d| < beta` test): 0.5; 0; 1.5; 0.03125
    expect(vals(smoothL1Loss(x, y, { reduction: 'none' }))).toEqual([0.5, 0, 1.5, 0.03125]);
    // beta 0.5: 0.75, 0, 1.75, 0.0625
    expect(vals(smoothL1Loss(x, y, { beta: 0.5, reduction: 'none' }))).toEqual([0.75, 0, 1.75, 0.0625]);
    // beta 0 is L1
    expect(vals(smoothL1Loss(x, y, { beta: 0, reduction: 'none' }))).toEqual([1, 0, 2, 0.25]);
  });

  it('huberLoss: 0.5 d^2 below delta, delta (|d| - 0.5 delta) above', () => {
    expect(vals(huberLoss(x, y, { reduction: 'none' }))).toEqual([0.5, 0, 1.5, 0.03125]);
    // delta 2: 0.5, 0, 2 * (2 - 1) = 2, 0.03125
    expect(vals(huberLoss(x, y, { delta: 2, reduction: 'none' }))).toEqual([0.5, 0, 2, 0.03125]);
    expect(huberLoss(x, y, { delta: 2 }).itemSync()).toBeCloseTo(2.53125 / 4, 15);
  });

  it('charbonnierLoss: sqrt(d^2 + eps^2), eps 1e-3 by default', () => {
    const got = vals(charbonnierLoss(x, y, { reduction: 'none' }));
    [1, 0, 2, 0.25].forEach((d, i) => expect(got[i]).toBeCloseTo(Math.sqrt(d * d + 1e-6), 15));
    expect(charbonnierLoss(x, x).itemSync()).toBeCloseTo(1e-3, 15);
    expect(charbonnierLoss(x, y, { eps: 1 }).itemSync()).toBeCloseTo((Math.SQRT2 + 1 + Math.sqrt(5) + Math.sqrt(1.0625)) / 4, 14);
  });

  it('per-pixel weights: the mean divides by the sum of the broadcast weights', () => {
    expect(l1Loss(x, y, { weight: t([1, 0, 1, 0]) }).itemSync()).toBeCloseTo(1.5, 15);
    expect(l1Loss(x, y, { weight: t([2, 0, 1, 0]), reduction: 'sum' }).itemSync()).toBeCloseTo(4, 15);
    expect(vals(mseLoss(x, y, { weight: t([1, 0, 0.5, 2]), reduction: 'none' }))).toEqual([1, 0, 2, 0.125]);
    // a [N, 1, H, W] mask shared by 2 channels: sum(w l) / (C * sum(mask))
    const a = t([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2]);
    const b = t([0, 0, 0, 0, 0, 0, 0, 0], [1, 2, 2, 2]);
    const m = t([1, 0, 0, 1], [1, 1, 2, 2]);
    expect(l1Loss(a, b, { weight: m }).itemSync()).toBeCloseTo((1 + 4 + 5 + 8) / 4, 15);
    expect(() => l1Loss(a, b, { weight: t([1, 1, 1], [3]) })).toThrow();
  });

  it('rejects mismatched shapes and bad options, naming them', () => {
    expect(() => l1Loss(t([1, 2]), t([1, 2, 3]))).toThrow(/l1Loss.*\[2\].*\[3\]/);
    expect(() => mseLoss(x, y, { reduction: 'avg' as 'mean' })).toThrow(/mseLoss.*reduction.*avg/);
    expect(() => huberLoss(x, y, { delta: 0 })).toThrow(/delta/);
  });

  it('leave nothing behind (forward + backward)', () => {
    const before = memory().tensors;
    const a = t([1, 2, 3]).requiresGrad_();
    const b = t([0, 2, 1]);
    const w = t([1, 2, 3]);
    for (const f of [l1Loss, mseLoss, smoothL1Loss, huberLoss, charbonnierLoss]) {
      const l = f(a, b, { weight: w });
      l.backward();
      l.dispose();
    }
    for (const u of [a, b, w]) u.dispose();
    expect(memory().tensors).toBe(before);
  });
});

/** x, y of one small [N, C, H, W] shape; sometimes identical; |x - y| kept >= 1e-3 or exactly 0. */
const pairs = fc
  .tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }))
  .chain((s) =>
    fc.tuple(
      specOf([...s]),
      specOf([...s], { min: -2, max: 2, kinks: [0] }),
      fc.boolean(),
      fc.array(fc.boolean(), { minLength: s.reduce((a, b) => a * b, 1), maxLength: s.reduce((a, b) => a * b, 1) }),
    ),
  )
  .map(([x, d, same, w]) => ({
    inputs: [x, { ...x, values: x.values.map((v, i) => (same ? v : v - d.values[i]!)) }] as TensorSpec[],
    params: { weight: w.map((b) => (b ? 1 : 0.5)), shape: x.shape },
  }));

describe('pixel losses: gradcheck (float64, incl. identical inputs and the beta/delta kinks)', () => {
  it('l1, mse, smoothL1, huber, charbonnier, unweighted and weighted', () => {
    propertyGradcheck(
      'pixel losses',
      pairs,
      ([x, y], p) =>
        tidy(() => {
          const weight = tensor(p.weight, { shape: p.shape, dtype: 'float64' });
          return l1Loss(x!, y!)
            .add(mseLoss(x!, y!, { weight }))
            .add(smoothL1Loss(x!, y!, { beta: 0.5, reduction: 'sum' }))
            .add(huberLoss(x!, y!, { delta: 0.7, weight }))
            .add(charbonnierLoss(x!, y!));
        }),
      { numRuns: 50, gradgrad: false },
    );
  });
});

describe('psnr', () => {
  it('closed forms: MSE 1e-3 is 30 dB; per image, then the mean; dataRange', () => {
    const zero = t(Array(8).fill(0), [2, 1, 2, 2]);
    // image 0: MSE 0.01 (20 dB); image 1: MSE 1e-4 (40 dB)
    const y = t([0.1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.01], [2, 1, 2, 2]);
    expect(vals(psnr(zero, y, { reduction: 'none' })).map((v) => +v.toFixed(12))).toEqual([20, 40]);
    expect(psnr(zero, y).itemSync()).toBeCloseTo(30, 12);
    expect(psnr(zero, y, { reduction: 'sum' }).itemSync()).toBeCloseTo(60, 12);
    const c = t(Array(4).fill(Math.sqrt(1e-3)), [1, 1, 2, 2]);
    expect(psnr(t([0, 0, 0, 0], [1, 1, 2, 2]), c).itemSync()).toBeCloseTo(30, 12);
    // 8-bit range: MSE 65.025 = 255^2 / 1000 is 30 dB
    expect(psnr(t([0, 0, 0, 0], [1, 1, 2, 2]), t(Array(4).fill(Math.sqrt(65.025)), [1, 1, 2, 2]), { dataRange: 255 }).itemSync()).toBeCloseTo(30, 12);
  });

  it('identical images give +Infinity (not clamped)', () => {
    const a = t([0.2, 0.4, 0.6, 0.8], [1, 1, 2, 2]);
    expect(psnr(a, a).itemSync()).toBe(Infinity);
    expect(vals(psnr(t([0, 0, 1, 1], [2, 1, 1, 2]), t([0, 0, 1, 0.9], [2, 1, 1, 2]), { reduction: 'none' }))[0]).toBe(Infinity);
  });

  it('gradcheck (different images)', () => {
    const arb = pairs.filter((c) => c.inputs[0]!.values.some((v, i) => v !== c.inputs[1]!.values[i])).map((c) => c.inputs);
    propertyGradcheck('psnr', arb, (x: Tensor, y: Tensor) => psnr(x, y, { dataRange: 2, reduction: 'sum' }), { numRuns: 40, gradgrad: false, atol: 1e-4 });
  });
});

describe('totalVariation', () => {
  // x[n, c, i, j] = a i + b j on a 4 x 5 grid, a = 0.3, b = -0.2
  const ramp = (a: number, b: number, N = 1, C = 1, H = 4, W = 5) => {
    const v: number[] = [];
    for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) v.push(a * i + b * j);
    return t(v, [N, C, H, W]);
  };

  it('TV of a ramp: anisotropic (H-1) W |a| + H (W-1) |b|; isotropic (H-1)(W-1) sqrt(a^2 + b^2) + (W-1)|b| + (H-1)|a|', () => {
    expect(totalVariation(ramp(0.3, -0.2)).itemSync()).toBeCloseTo(3 * 5 * 0.3 + 4 * 4 * 0.2, 13);
    expect(totalVariation(ramp(0.3, -0.2), { mode: 'isotropic' }).itemSync()).toBeCloseTo(12 * Math.hypot(0.3, 0.2) + 4 * 0.2 + 3 * 0.3, 13);
    const two = ramp(0.3, -0.2, 2, 3);
    expect(vals(totalVariation(two, { reduction: 'none' })).map((v) => +v.toFixed(12))).toEqual([23.1, 23.1]);
    expect(totalVariation(two, { reduction: 'mean' }).itemSync()).toBeCloseTo(46.2 / 120, 13);
    expect(totalVariation(t(Array(6).fill(0.5), [1, 1, 2, 3])).itemSync()).toBe(0);
  });

  it('gradcheck, anisotropic and isotropic, with exact ties (flat regions)', () => {
    const img = fc
      .tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }))
      .chain((s) => specOf([...s], { grid: { step: 0.01 }, ties: true }))
      .map((s) => [s]);
    propertyGradcheck('totalVariation', img, (x: Tensor) => tidy(() => totalVariation(x).add(totalVariation(x, { mode: 'isotropic', reduction: 'mean' }))), {
      numRuns: 50,
      gradgrad: false,
    });
  });
});
