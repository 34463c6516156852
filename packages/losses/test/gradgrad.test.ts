/**
 * Second derivatives: gradgradcheck (float64) of the losses that are twice differentiable away
 * from their kinks, so they can sit inside gradient penalties, Hessian-vector products or
 * meta-learning loops. Inputs keep off the kinks (|x - y| >= 1e-3, no identical pairs).
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { tensor, tidy, type Tensor } from '@pixgrad/core';
import { propertyGradcheck, specOf } from '@pixgrad/core/testing';
import { bceWithLogits, charbonnierLoss, crossEntropy, deltaE, ganLoss, klDiv, mseLoss, psnr, rgbToLab, ssim } from '@pixgrad/losses';

const img = fc
  .tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 3, max: 5 }), fc.integer({ min: 3, max: 5 }))
  .map((t) => [...t]);
const apart = img
  .chain((s) => fc.tuple(specOf(s, { min: 0, max: 1 }), specOf(s, { min: 0.01, max: 0.5, tiny: false })))
  .map(([x, d]) => [x, { ...x, values: x.values.map((v, i) => v + (i % 2 ? d.values[i]! : -d.values[i]!)) }]);

describe('gradgradcheck (float64)', () => {
  it('mse, charbonnier, psnr, ssim', () => {
    propertyGradcheck(
      'image losses',
      apart,
      (x: Tensor, y: Tensor) =>
        tidy(() =>
          mseLoss(x, y)
            .add(charbonnierLoss(x, y, { eps: 0.1 }))
            .add(psnr(x, y).mul(0.01))
            .add(ssim(x, y, { winSize: 3, sigma: 1 })),
        ),
      { numRuns: 15 },
    );
  });

  it('ciede2000 on Lab of RGB (saturated reds against saturated blues: far from grey and from 180 degrees)', () => {
    const px = fc.integer({ min: 1, max: 3 }).map((n) => [1, 3, 1, n]);
    // channel c of pixel j is value c * n + j; lift one channel by 0.5 so every colour has chroma
    const lift = (ch: number) => (sp: { shape: number[]; values: number[] }) => ({
      ...sp,
      values: sp.values.map((v, i) => v + (Math.floor(i / sp.shape[3]!) === ch ? 0.5 : 0)),
    });
    propertyGradcheck(
      'deltaE',
      px.chain((s) => fc.tuple(specOf(s, { min: 0.05, max: 0.4, tiny: false }).map(lift(0)), specOf(s, { min: 0.05, max: 0.4, tiny: false }).map(lift(2)))),
      (x: Tensor, y: Tensor) => tidy(() => deltaE(rgbToLab(x), rgbToLab(y))),
      { numRuns: 15 },
    );
  });

  it('crossEntropy, bceWithLogits, klDiv, ganLoss', () => {
    const s = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 4 })).map(([a, b]) => [a, b]);
    propertyGradcheck(
      'classification and GAN',
      s.chain((sh) => fc.tuple(specOf(sh, { min: -5, max: 5 }), specOf(sh, { min: 0.05, max: 1, tiny: false }))),
      (x: Tensor, p: Tensor) =>
        tidy(() => {
          const labels = tensor(
            Array.from({ length: x.shape[0]! }, (_, i) => i % x.shape[1]!),
            { dtype: 'int32' },
          );
          return crossEntropy(x, labels, { labelSmoothing: 0.1 })
            .add(crossEntropy(x, p.softmax(1)))
            .add(bceWithLogits(x, p))
            .add(klDiv(x.logSoftmax(1), p, { reduction: 'batchmean' }))
            .add(ganLoss({ real: x, fake: p }, { role: 'discriminator', mode: 'nonSaturating' }))
            .add(ganLoss({ fake: x }, { role: 'generator', mode: 'lsgan' }));
        }),
      { numRuns: 20 },
    );
  });
});
