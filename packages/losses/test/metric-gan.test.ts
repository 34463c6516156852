/**
 * Metric-learning and GAN losses. Expected values are hand-computed from PyTorch's documented
 * formulas (triplet_margin_loss with pairwise_distance's eps added to the difference,
 * cosine_embedding_loss with its 1e-12 in the norms, margin_ranking_loss), Hadsell et al. (2006)
 * eq. 4, the GAN objectives cited in gan.ts, and Gulrajani et al. (2017) for WGAN-GP; the
 * gradient penalty of a small conv critic is differentiated with respect to the critic's weights
 * and compared with central finite differences (gradcheck, float64).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Generator, conv2d, gradcheck, gradients, memory, rand, tensor, tidy, type Tensor } from '@pixgrad/core';
import { propertyGradcheck, specOf } from '@pixgrad/core/testing';
import {
  contrastiveLoss,
  cosineEmbeddingLoss,
  cycleConsistencyLoss,
  ganLoss,
  gradientPenalty,
  marginRankingLoss,
  r1Penalty,
  tripletMarginLoss,
} from '@pixgrad/losses';

const f = (v: number[], shape = [v.length]) => tensor(v, { shape, dtype: 'float64' });
const vals = (x: Tensor) => Array.from(x.dataSync());
const sp = (v: number) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));

describe('metric learning', () => {
  const a = f([0, 0, 1, 1], [2, 2]);
  const p = f([3, 4, 1, 2], [2, 2]);
  const n = f([6, 8, 1, 1], [2, 2]);
  const e = 1e-6;
  const d = (u: number[], v: number[], q = 2) =>
    Math.pow(
      u.reduce((s, x, i) => s + Math.abs(x - v[i]! + e) ** q, 0),
      1 / q,
    );

  it('tripletMarginLoss: max(d(a, p) - d(a, n) + margin, 0) with eps in the distance; swap; p', () => {
    const want = [Math.max(d([0, 0], [3, 4]) - d([0, 0], [6, 8]) + 6, 0), Math.max(d([1, 1], [1, 2]) - d([1, 1], [1, 1]) + 6, 0)];
    vals(tripletMarginLoss(a, p, n, { margin: 6, reduction: 'none' })).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 12));
    // swap: the negative distance is min(d(a, n), d(p, n)) = d(p, n) = 5 for the first triplet
    expect(vals(tripletMarginLoss(a, p, n, { margin: 6, swap: true, reduction: 'none' }))[0]).toBeCloseTo(d([0, 0], [3, 4]) - d([3, 4], [6, 8]) + 6, 12);
    expect(tripletMarginLoss(a, p, n, { p: 1, margin: 6 }).itemSync()).toBeCloseTo(
      (Math.max(d([0, 0], [3, 4], 1) - d([0, 0], [6, 8], 1) + 6, 0) + Math.max(d([1, 1], [1, 2], 1) - d([1, 1], [1, 1], 1) + 6, 0)) / 2,
      12,
    );
    expect(tripletMarginLoss(a, p, n).itemSync()).toBeCloseTo((0 + Math.max(d([1, 1], [1, 2]) - d([1, 1], [1, 1]) + 1, 0)) / 2, 12);
  });

  it('contrastiveLoss (Hadsell et al.: y = 0 similar, y = 1 dissimilar)', () => {
    const x1 = f([0, 0, 0, 0], [2, 2]);
    const x2 = f([3, 4, 3, 4], [2, 2]);
    const D = d([0, 0], [3, 4]);
    expect(vals(contrastiveLoss(x1, x2, f([0, 1]), { margin: 6, reduction: 'none' }))).toEqual([0.5 * D * D, 0.5 * (6 - D) ** 2]);
    expect(contrastiveLoss(x1, x2, f([1, 1]), { margin: 4 }).itemSync()).toBe(0);
  });

  it('cosineEmbeddingLoss and marginRankingLoss', () => {
    const x1 = f([1, 0, 1, 0], [2, 2]);
    const x2 = f([1, 1, 1, 1], [2, 2]);
    const cos = 1 / Math.sqrt((1 + 1e-12) * (2 + 1e-12));
    expect(vals(cosineEmbeddingLoss(x1, x2, f([1, -1]), { margin: 0.5, reduction: 'none' })).map((v) => +v.toFixed(12))).toEqual([
      +(1 - cos).toFixed(12),
      +(cos - 0.5).toFixed(12),
    ]);
    expect(cosineEmbeddingLoss(x1, x2, f([-1, -1]), { margin: 0.9 }).itemSync()).toBe(0);
    expect(marginRankingLoss(f([1, 2]), f([2, 1]), f([1, 1]), { margin: 0.5 }).itemSync()).toBeCloseTo(0.75, 15);
    expect(vals(marginRankingLoss(f([1, 2]), f([2, 1]), f([-1, -1]), { reduction: 'none' }))).toEqual([0, 1]);
  });

  it('identical embeddings have finite gradients (eps in the distance)', () => {
    const x = f([1, 2, 3], [1, 3]).requiresGrad_();
    const [g] = gradients(
      tidy(() => tripletMarginLoss(x, x, x.add(1)).add(contrastiveLoss(x, x, f([1])))),
      [x],
    );
    for (const v of g!.dataSync()) expect(Number.isFinite(v)).toBe(true);
  });

  it('gradcheck (float64): triplet (p = 2, 1.5, swap), contrastive, cosine embedding, margin ranking', () => {
    const s = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 })).map(([N, D]) => [N, D]);
    propertyGradcheck(
      'metric losses',
      s.chain((sh) =>
        fc.record({
          // every coordinate of the three inputs differs by >= 1e-3: a zero difference sits on the
          // kink of |d + eps|^p (p = 1.5) and of the norm
          inputs: fc
            .tuple(specOf(sh, { tiny: false }), specOf(sh, { tiny: false }), specOf(sh, { tiny: false }))
            .map((t) => [...t])
            .filter((t) =>
              t[0]!.values.every(
                (v, j) =>
                  Math.abs(v - t[1]!.values[j]!) > 1e-3 && Math.abs(v - t[2]!.values[j]!) > 1e-3 && Math.abs(t[1]!.values[j]! - t[2]!.values[j]!) > 1e-3,
              ),
            ),
          params: fc.record({
            y: fc.array(fc.constantFrom(0, 1), { minLength: sh[0]!, maxLength: sh[0]! }),
            margin: fc.double({ min: 0.1, max: 2, noNaN: true }),
          }),
        }),
      ),
      ([x, y, z], q) =>
        tidy(() => {
          const lab = tensor(q.y, { dtype: 'float64' });
          const pm = lab.mul(2).sub(1);
          return tripletMarginLoss(x!, y!, z!, { margin: q.margin })
            .add(tripletMarginLoss(x!, y!, z!, { p: 1.5, swap: true, reduction: 'sum' }))
            .add(contrastiveLoss(x!, y!, lab, { margin: q.margin }))
            .add(cosineEmbeddingLoss(x!, z!, pm, { margin: 0.1 }))
            .add(marginRankingLoss(x!.sum(1), z!.sum(1), pm, { margin: q.margin }));
        }),
      { numRuns: 50, gradgrad: false },
    );
  });
});

describe('GAN losses', () => {
  const r = [2, -1];
  const fk = [0.5, -3];
  const real = f(r);
  const fake = f(fk);
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

  it('discriminator and generator objectives match their formulas', () => {
    const D = (mode: 'minimax' | 'nonSaturating' | 'lsgan' | 'wasserstein' | 'hinge') => ganLoss({ real, fake }, { role: 'discriminator', mode }).itemSync();
    const G = (mode: 'minimax' | 'nonSaturating' | 'lsgan' | 'wasserstein' | 'hinge') => ganLoss({ fake }, { role: 'generator', mode }).itemSync();
    const dBce = mean(r.map((v) => sp(-v))) + mean(fk.map(sp));
    expect(D('minimax')).toBeCloseTo(dBce, 14);
    expect(D('nonSaturating')).toBeCloseTo(dBce, 14);
    expect(G('minimax')).toBeCloseTo(-mean(fk.map(sp)), 14);
    expect(G('nonSaturating')).toBeCloseTo(mean(fk.map((v) => sp(-v))), 14);
    expect(D('lsgan')).toBeCloseTo(0.5 * mean(r.map((v) => (v - 1) ** 2)) + 0.5 * mean(fk.map((v) => v * v)), 14);
    expect(G('lsgan')).toBeCloseTo(0.5 * mean(fk.map((v) => (v - 1) ** 2)), 14);
    expect(D('wasserstein')).toBeCloseTo(mean(fk) - mean(r), 14);
    expect(G('wasserstein')).toBeCloseTo(-mean(fk), 14);
    expect(D('hinge')).toBeCloseTo(mean(r.map((v) => Math.max(0, 1 - v))) + mean(fk.map((v) => Math.max(0, 1 + v))), 14);
    expect(G('hinge')).toBeCloseTo(-mean(fk), 14);
    expect(ganLoss({ real, fake }, { role: 'discriminator', mode: 'wasserstein', reduction: 'sum' }).itemSync()).toBeCloseTo(-2.5 - 1, 14);
    expect(() => ganLoss({ fake }, { role: 'discriminator' })).toThrow(/real/);
  });

  it('saturated logits stay finite in value and gradient', () => {
    const big = f([1000, -1000]).requiresGrad_();
    const l = tidy(() =>
      ganLoss({ real: big, fake: big }, { role: 'discriminator', mode: 'minimax' })
        .add(ganLoss({ fake: big }, { role: 'generator', mode: 'nonSaturating' }))
        .add(ganLoss({ fake: big }, { role: 'generator', mode: 'minimax' })),
    );
    expect(l.itemSync()).toBeCloseTo((1000 + 1000) / 2 + 1000 / 2 - 1000 / 2, 9);
    const [g] = gradients(l, [big]);
    for (const v of g!.dataSync()) expect(Number.isFinite(v)).toBe(true);
  });

  it('gradcheck every mode and role (incl. saturated logits)', () => {
    const s = fc.integer({ min: 1, max: 4 }).map((n) => [n]);
    propertyGradcheck(
      'ganLoss',
      s.chain((sh) => fc.tuple(specOf(sh, { min: -40, max: 40, large: 40, kinks: [1, -1] }), specOf(sh, { min: -40, max: 40, large: 40, kinks: [1, -1] }))),
      (rl: Tensor, fl: Tensor) =>
        tidy(() => {
          let acc = rl.sum().mul(0);
          for (const mode of ['minimax', 'nonSaturating', 'lsgan', 'wasserstein', 'hinge'] as const) {
            acc = acc.add(ganLoss({ real: rl, fake: fl }, { role: 'discriminator', mode })).add(ganLoss({ fake: fl }, { role: 'generator', mode }));
          }
          return acc;
        }),
      { numRuns: 50, gradgrad: false },
    );
  });

  it('cycleConsistencyLoss', () => {
    const x = f([1, 2, 3], [1, 3]);
    const y = f([4, 5, 6], [1, 3]);
    expect(
      cycleConsistencyLoss(
        (u) => u.mul(2),
        (v) => v.div(2),
        x,
        y,
      ).itemSync(),
    ).toBe(0);
    expect(
      cycleConsistencyLoss(
        (u) => u.add(1),
        (v) => v,
        x,
        y,
        { lambda: 10 },
      ).itemSync(),
    ).toBeCloseTo(20, 14);
  });
});

describe('gradient penalties on a small conv critic', () => {
  // critic(x) = mean over (C, H, W) of tanh(conv3x3(x, w1)) weighted by conv1x1 w2: [N, 2, 4, 4] -> [N]
  const critic = (w1: Tensor, w2: Tensor) => (x: Tensor) => tidy(() => conv2d(conv2d(x, w1, { padding: 1 }).tanh(), w2).mean([1, 2, 3]));
  const gen = new Generator(3);
  const real = rand([2, 2, 4, 4], { dtype: 'float64', generator: gen });
  const fake = rand([2, 2, 4, 4], { dtype: 'float64', generator: gen }).mul(2).sub(0.5);
  const w1 = rand([3, 2, 3, 3], { dtype: 'float64', generator: gen }).sub(0.5).mul(1.5).requiresGrad_();
  const w2 = rand([1, 3, 1, 1], { dtype: 'float64', generator: gen }).sub(0.5).mul(4).requiresGrad_();

  it('WGAN-GP equals lambda * mean((||grad critic(x^)|| - 1)^2) at the seeded interpolation', () => {
    const gp = gradientPenalty(critic(w1, w2), real, fake, { generator: new Generator(11), lambda: 10 }).itemSync();
    // recompute by hand from the same seeded eps
    const e = rand([2, 1, 1, 1], { dtype: 'float64', generator: new Generator(11) });
    const xhat = real
      .mul(e)
      .add(fake.mul(e.neg().add(1)))
      .detach()
      .requiresGrad_();
    const [g] = gradients(critic(w1.detach(), w2.detach())(xhat).sum(), [xhat]);
    const gv = g!.dataSync();
    const per = [0, 1].map((n) => Math.sqrt(Array.from(gv.slice(n * 32, (n + 1) * 32)).reduce((s, v) => s + v * v, 0)));
    expect(gp).toBeCloseTo((10 * ((per[0]! - 1) ** 2 + (per[1]! - 1) ** 2)) / 2, 12);
    // different seeds interpolate differently
    expect(gradientPenalty(critic(w1, w2), real, fake, { generator: new Generator(12) }).itemSync()).not.toBeCloseTo(gp, 6);
  });

  it('d GP / d critic weights matches finite differences (gradients of gradients through conv2d)', () => {
    const r = gradcheck((a: Tensor, b: Tensor) => gradientPenalty(critic(a, b), real, fake, { generator: new Generator(5) }), [w1, w2], {
      atol: 1e-5,
      rtol: 1e-3,
    });
    expect(r.ok, r.report).toBe(true);
  });

  it('d R1 / d critic weights matches finite differences; R1 = gamma/2 mean ||grad||^2', () => {
    const r = gradcheck((a: Tensor, b: Tensor) => r1Penalty(critic(a, b), real, { gamma: 4 }), [w1, w2]);
    expect(r.ok, r.report).toBe(true);
    const x = real.detach().requiresGrad_();
    const [g] = gradients(critic(w1.detach(), w2.detach())(x).sum(), [x]);
    const sq = Array.from(g!.dataSync()).reduce((s, v) => s + v * v, 0);
    expect(r1Penalty(critic(w1, w2), real, { gamma: 4 }).itemSync()).toBeCloseTo((4 / 2) * (sq / 2), 12);
  });

  it('penalties leave no tensors behind after backward to the critic weights', () => {
    const before = memory().tensors;
    for (let i = 0; i < 2; i++) {
      const gp = gradientPenalty(critic(w1, w2), real, fake, { generator: new Generator(i) });
      const r1 = r1Penalty(critic(w1, w2), real);
      const total = gp.add(r1);
      total.backward();
      for (const t of [gp, r1, total]) t.dispose();
      w1.zeroGrad();
      w2.zeroGrad();
    }
    expect(memory().tensors).toBe(before);
  });
});
