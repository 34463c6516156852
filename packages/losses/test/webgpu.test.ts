/**
 * Every loss gives the same value and the same input gradient on the WebGPU backend as on the CPU
 * reference backend, in float32 on identical inputs.
 * Tolerance: |gpu - cpu| <= 1e-4 * max|cpu| + 1e-6 over each output / gradient tensor (the two
 * backends sum in different orders; float32 epsilon is 1.2e-7, and the longest reductions here
 * cover a few thousand terms).
 * Needs a WebGPU adapter (lavapipe on a machine without a GPU: scripts/setup-webgpu.sh): without
 * one the suite is skipped with a one-line reason, or fails when CI is set.
 */
import { expect, it } from 'vitest';
import { Generator, conv2d, tensor, tidy, type Tensor } from '@pixgrad/core';
import * as L from '@pixgrad/losses';
import { close, data, describeWebgpu, valueAndGradients } from './helpers/webgpu.js';

interface Spec {
  shape: number[];
  values: number[];
  dtype?: 'float32' | 'int32';
  grad?: boolean;
}
const spec = (shape: number[], seed: number, lo = 0, hi = 1): Spec => ({
  shape,
  values: data(
    shape.reduce((a, b) => a * b, 1),
    seed,
    lo,
    hi,
  ),
  grad: true,
});
const ints = (shape: number[], values: number[]): Spec => ({ shape, values, dtype: 'int32', grad: false });
const fixed = (shape: number[], values: number[]): Spec => ({ shape, values, grad: false });

/** value and gradients (w.r.t. the specs marked grad) of f on one device */
async function run(device: 'cpu' | 'webgpu', specs: Spec[], f: (...xs: Tensor[]) => Tensor): Promise<number[][]> {
  const xs = specs.map((s) => tensor(s.values, { shape: s.shape, dtype: s.dtype ?? 'float32', device, requiresGrad: s.grad ?? false }));
  const res = await valueAndGradients(
    device,
    f(...xs),
    xs.filter((_, i) => specs[i]!.grad),
  );
  for (const t of xs) t.dispose();
  return res;
}

const img = (seed: number, shape = [2, 3, 12, 12]) => spec(shape, seed);
const critic = (w: Tensor) => (x: Tensor) => tidy(() => conv2d(x, w, { padding: 1 }).tanh().mean([1, 2, 3]));

const CASES: [string, Spec[], (...xs: Tensor[]) => Tensor][] = [
  [
    'l1/mse/smoothL1/huber/charbonnier',
    [img(1), img(2)],
    (x, y) =>
      tidy(() =>
        L.l1Loss(x!, y!)
          .add(L.mseLoss(x!, y!))
          .add(L.smoothL1Loss(x!, y!, { beta: 0.2 }))
          .add(L.huberLoss(x!, y!, { delta: 0.3 }))
          .add(L.charbonnierLoss(x!, y!)),
      ),
  ],
  ['psnr', [img(3), img(4)], (x, y) => L.psnr(x!, y!, { reduction: 'none' })],
  [
    'ssim 11x11 and reflect map',
    [img(5, [1, 2, 16, 16]), img(6, [1, 2, 16, 16])],
    (x, y) => tidy(() => L.ssim(x!, y!).add(L.ssim(x!, y!, { padding: 'reflect', winSize: 5 }))),
  ],
  ['msSsim (3 scales, 3x3)', [img(7, [1, 2, 20, 20]), img(8, [1, 2, 20, 20])], (x, y) => L.msSsim(x!, y!, { winSize: 3, weights: [0.3, 0.3, 0.4] })],
  ['totalVariation', [img(9)], (x) => tidy(() => L.totalVariation(x!).add(L.totalVariation(x!, { mode: 'isotropic' })))],
  ['rgbToLab / labToRgb', [img(10, [1, 3, 4, 5])], (x) => tidy(() => L.labToRgb(L.rgbToLab(x!).mul(1.01)))],
  [
    'deltaE cie76/cie94/ciede2000',
    [img(11, [2, 3, 4, 4]), img(12, [2, 3, 4, 4])],
    (x, y) =>
      tidy(() => {
        const a = L.rgbToLab(x!);
        const b = L.rgbToLab(y!);
        return L.deltaE(a, b, { formula: 'cie76', reduction: 'none' })
          .add(L.deltaE(a, b, { formula: 'cie94', reduction: 'none' }))
          .add(L.deltaE(a, b, { reduction: 'none' }));
      }),
  ],
  [
    'colorAngle / blurColor / edge',
    [img(13, [1, 3, 8, 8]), img(14, [1, 3, 8, 8])],
    (x, y) =>
      tidy(() =>
        L.colorAngleLoss(x!, y!)
          .add(L.blurColorLoss(x!, y!, { kernelSize: 7 }))
          .add(L.edgeLoss(x!, y!)),
      ),
  ],
  [
    'crossEntropy (indices, weight, ignoreIndex, smoothing; probabilities), nll, pixel-weighted',
    [
      spec([2, 4, 3, 3], 15, -3, 3),
      ints([2, 3, 3], [0, 1, 2, 3, -100, 1, 2, 0, 3, 3, 2, 1, 0, -100, 0, 1, 2, 3]),
      fixed([2, 4, 3, 3], data(72, 16)),
      fixed([4], [1, 2, 0.5, 3]),
      fixed([2, 3, 3], data(18, 17, 0.5, 2)),
    ],
    (x, y, p, w, m) =>
      tidy(() =>
        L.crossEntropy(x!, y!, { weight: w!, labelSmoothing: 0.1 })
          .add(L.crossEntropy(x!, p!))
          .add(L.nllLoss(x!.logSoftmax(1), y!, { reduction: 'sum' }))
          .add(L.pixelWeightedCrossEntropy(x!, y!, m!)),
      ),
  ],
  [
    'bce / bceWithLogits',
    [spec([3, 4], 18, 0.05, 0.95), spec([3, 4], 19, -30, 30), fixed([3, 4], data(12, 20))],
    (p, x, y) => tidy(() => L.binaryCrossEntropy(p!, y!).add(L.bceWithLogits(x!, y!, { posWeight: tensor([1, 2, 3, 0.5], { device: x!.device }) }))),
  ],
  [
    'klDiv / js / entropy / frobenius / gram',
    [spec([3, 4], 21, -3, -0.1), spec([3, 4], 22, 0.05, 1), img(23, [2, 3, 4, 5])],
    (lq, p, f) =>
      tidy(() =>
        L.klDiv(lq!, p!, { reduction: 'batchmean' }).add(L.jsDivergence(p!, lq!.exp())).add(L.entropy(p!)).add(L.frobeniusNorm(f!)).add(L.gramMatrix(f!).sum()),
      ),
  ],
  [
    'triplet / contrastive / cosine / ranking',
    [spec([4, 5], 24, -1, 1), spec([4, 5], 25, -1, 1), spec([4, 5], 26, -1, 1), fixed([4], [0, 1, 1, 0]), fixed([4], [1, -1, 1, -1])],
    (a, p, n, y, s) =>
      tidy(() =>
        L.tripletMarginLoss(a!, p!, n!, { swap: true })
          .add(L.tripletMarginLoss(a!, p!, n!, { p: 1.5 }))
          .add(L.contrastiveLoss(a!, p!, y!))
          .add(L.cosineEmbeddingLoss(a!, n!, s!))
          .add(L.marginRankingLoss(a!.sum(1), n!.sum(1), s!)),
      ),
  ],
  [
    'ganLoss (every mode and role)',
    [spec([6], 27, -20, 20), spec([6], 28, -20, 20)],
    (r, f) =>
      tidy(() => {
        let acc = r!.sum().mul(0);
        for (const mode of ['minimax', 'nonSaturating', 'lsgan', 'wasserstein', 'hinge'] as const) {
          acc = acc.add(L.ganLoss({ real: r!, fake: f! }, { role: 'discriminator', mode })).add(L.ganLoss({ fake: f! }, { role: 'generator', mode }));
        }
        return acc;
      }),
  ],
  [
    'gradientPenalty / r1Penalty (conv critic, d/d weights)',
    [spec([2, 2, 3, 3], 29, -0.7, 0.7), fixed([2, 2, 4, 4], data(32 * 2, 30)), fixed([2, 2, 4, 4], data(32 * 2, 31))],
    (w, real, fake) => tidy(() => L.gradientPenalty(critic(w!), real!, fake!, { generator: new Generator(3) }).add(L.r1Penalty(critic(w!), real!))),
  ],
];

describeWebgpu('losses: WebGPU matches the CPU backend (float32)', "losses' WebGPU-vs-CPU suite", () => {
  for (const [name, specs, f] of CASES) {
    it(name, async () => {
      const want = await run('cpu', specs, f);
      const got = await run('webgpu', specs, f);
      expect(got.length).toBe(want.length);
      got.forEach((g, i) => close(`${name} ${i === 0 ? 'value' : `gradient ${i}`}`, g, want[i]!));
    });
  }
});
