/**
 * GAN losses: the adversarial objectives for the discriminator and the generator, gradient
 * penalties (WGAN-GP, R1) and the CycleGAN cycle-consistency loss.
 */
import { type Generator, type Tensor, ShapeError, ValueError, fmtShape, gradients, rand, tidy } from '@pixgrad/core';
import { l1Loss } from './pixel.js';
import { safeSqrt } from './util.js';

export type GanMode = 'minimax' | 'nonSaturating' | 'lsgan' | 'wasserstein' | 'hinge';

export interface GanLossOptions {
  /** the objective, default 'nonSaturating' */
  mode?: GanMode;
  /** whose loss: 'discriminator' (needs real and fake) or 'generator' (needs fake) */
  role: 'discriminator' | 'generator';
  /** 'mean' (default) or 'sum' over the critic outputs (each term separately, then added) */
  reduction?: 'mean' | 'sum';
}

/**
 * Adversarial losses on the discriminator's raw outputs (logits; no sigmoid applied by the
 * caller), each to be minimised. softplus(t) = log(1 + e^t) keeps the log-sigmoid forms exact
 * for saturated logits (log sigmoid(t) = -softplus(-t), log(1 - sigmoid(t)) = -softplus(t)).
 *
 * | mode | discriminator | generator |
 * |---|---|---|
 * | minimax (Goodfellow et al. 2014) | E softplus(-D(x)) + E softplus(D(G(z))) | -E softplus(D(G(z))) = E log(1 - sigmoid(D(G(z)))) |
 * | nonSaturating (ibid., section 3) | same | E softplus(-D(G(z))) = -E log sigmoid(D(G(z))) |
 * | lsgan (Mao et al. 2017, a = 0, b = c = 1) | 0.5 E (D(x) - 1)^2 + 0.5 E D(G(z))^2 | 0.5 E (D(G(z)) - 1)^2 |
 * | wasserstein (Arjovsky et al. 2017) | E D(G(z)) - E D(x) | -E D(G(z)) |
 * | hinge (Lim and Ye 2017; Miyato et al. 2018) | E relu(1 - D(x)) + E relu(1 + D(G(z))) | -E D(G(z)) |
 *
 * The discriminator's BCE terms are not halved (pix2pix halves them outside the loss).
 * @example const dLoss = ganLoss({ real: D(x), fake: D(G(z).detach()) }, { role: 'discriminator', mode: 'hinge' })
 * @example const gLoss = ganLoss({ fake: D(G(z)) }, { role: 'generator', mode: 'hinge' })
 */
export function ganLoss(outputs: { real?: Tensor; fake: Tensor }, opts: GanLossOptions): Tensor {
  const mode = opts.mode ?? 'nonSaturating';
  const reduction = opts.reduction ?? 'mean';
  if (!['minimax', 'nonSaturating', 'lsgan', 'wasserstein', 'hinge'].includes(mode)) {
    throw new ValueError(`ganLoss: mode must be 'minimax', 'nonSaturating', 'lsgan', 'wasserstein' or 'hinge', got ${JSON.stringify(mode)}`);
  }
  if (reduction !== 'mean' && reduction !== 'sum') throw new ValueError(`ganLoss: reduction must be 'mean' or 'sum', got ${JSON.stringify(reduction)}`);
  if (opts.role !== 'discriminator' && opts.role !== 'generator') {
    throw new ValueError(`ganLoss: role must be 'discriminator' or 'generator', got ${JSON.stringify(opts.role)}`);
  }
  const { real, fake } = outputs;
  if (!fake) throw new ValueError('ganLoss: outputs.fake (the critic on generated samples) is required');
  if (opts.role === 'discriminator' && !real)
    throw new ValueError(`ganLoss: the discriminator loss needs outputs.real as well as outputs.fake ${fmtShape(fake.shape)}`);
  const red = (t: Tensor) => (reduction === 'sum' ? t.sum() : t.mean());
  return tidy(() => {
    if (opts.role === 'generator') {
      switch (mode) {
        case 'minimax':
          return red(fake.softplus()).neg();
        case 'nonSaturating':
          return red(fake.neg().softplus());
        case 'lsgan':
          return red(fake.sub(1).square()).mul(0.5);
        case 'wasserstein':
        case 'hinge':
          return red(fake).neg();
      }
    }
    const r = real!;
    switch (mode) {
      case 'minimax':
      case 'nonSaturating':
        return red(r.neg().softplus()).add(red(fake.softplus()));
      case 'lsgan':
        return red(r.sub(1).square()).mul(0.5).add(red(fake.square()).mul(0.5));
      case 'wasserstein':
        return red(fake).sub(red(r));
      case 'hinge':
        return red(r.neg().add(1).relu()).add(red(fake.add(1).relu()));
    }
    throw new ValueError(`ganLoss: unknown mode ${mode}`);
  });
}

export interface GradientPenaltyOptions {
  /** penalty weight lambda, default 10 (Gulrajani et al. 2017) */
  lambda?: number;
  /** target gradient norm, default 1 */
  target?: number;
  /** random generator for the interpolation weights (default: the global one, see manualSeed) */
  generator?: Generator;
}

/** Per-sample squared norms of the critic's input gradient, differentiable (createGraph). */
function inputGradNorm2(critic: (x: Tensor) => Tensor, x: Tensor): Tensor {
  const out = critic(x);
  const [g] = gradients(out.sum(), [x], { createGraph: true });
  // x is an internal leaf: a later backward of the penalty must not accumulate a .grad into it
  // (nobody could read or free it); the gradient with respect to x has already been taken
  x.requiresGrad = false;
  return g!.square().sum(Array.from({ length: g!.rank - 1 }, (_, i) => i + 1));
}

/**
 * WGAN-GP gradient penalty (Gulrajani et al. 2017, "Improved training of Wasserstein GANs",
 * algorithm 1):
 *   x^ = e x_real + (1 - e) x_fake, e ~ U[0, 1) per sample (from `generator`, seedable),
 *   GP = lambda * mean_n (||grad_x^ critic(x^)_n||_2 - target)^2,
 * where critic(x^) is summed over the batch before differentiating (each sample's output depends
 * on its own input only, for a critic without batch coupling). x^ is a new leaf (real and fake are
 * treated as constants, as in the reference code); the gradient is taken with createGraph, so the
 * penalty is differentiable with respect to the critic's parameters (gradients of gradients).
 * A zero gradient norm gets the zero subgradient of the norm.
 * @example const gp = gradientPenalty((x) => critic(x), real, fake.detach(), { generator: new Generator(0) })
 */
export function gradientPenalty(critic: (x: Tensor) => Tensor, real: Tensor, fake: Tensor, opts: GradientPenaltyOptions = {}): Tensor {
  if (real.rank !== fake.rank || real.shape.some((d, i) => d !== fake.shape[i])) {
    throw new ShapeError(`gradientPenalty: real ${fmtShape(real.shape)} and fake ${fmtShape(fake.shape)} must have the same shape`);
  }
  if (real.rank < 1) throw new ShapeError(`gradientPenalty: inputs need a batch dimension, got ${fmtShape(real.shape)}`);
  const lambda = opts.lambda ?? 10;
  const target = opts.target ?? 1;
  return tidy(() => {
    const N = real.shape[0]!;
    const eShape = [N, ...Array<number>(real.rank - 1).fill(1)];
    const e = rand(eShape, { dtype: real.dtype, device: real.device, ...(opts.generator && { generator: opts.generator }) });
    const rd = real.detach();
    const fd = fake.detach();
    const mixed = rd.mul(e).add(fd.mul(e.neg().add(1)));
    const xhat = mixed.detach();
    xhat.requiresGrad = true;
    const norm = safeSqrt(inputGradNorm2(critic, xhat));
    return norm.sub(target).square().mean().mul(lambda);
  });
}

/**
 * R1 regularisation (Mescheder, Geiger and Nowozin 2018, "Which training methods for GANs do
 * actually converge?", eq. 9): R1 = gamma / 2 * mean_n ||grad_x critic(x)_n||^2 on real data
 * (default gamma 10). Differentiable with respect to the critic's parameters.
 * @example const r1 = r1Penalty((x) => D(x), realImages, { gamma: 10 })
 */
export function r1Penalty(critic: (x: Tensor) => Tensor, real: Tensor, opts: { gamma?: number } = {}): Tensor {
  if (real.rank < 1) throw new ShapeError(`r1Penalty: real needs a batch dimension, got ${fmtShape(real.shape)}`);
  const gamma = opts.gamma ?? 10;
  return tidy(() => {
    const x = real.detach();
    x.requiresGrad = true;
    return inputGradNorm2(critic, x)
      .mean()
      .mul(gamma / 2);
  });
}

/**
 * Cycle-consistency loss of CycleGAN (Zhu et al. 2017, eq. 2), for generators G: X -> Y and
 * F: Y -> X:  L_cyc = mean |F(G(x)) - x| + mean |G(F(y)) - y|  (times `lambda`, default 1; the
 * paper weighs it by 10 in the full objective).
 * @example cycleConsistencyLoss(G, F, x, y, { lambda: 10 })
 */
export function cycleConsistencyLoss(G: (x: Tensor) => Tensor, F: (y: Tensor) => Tensor, x: Tensor, y: Tensor, opts: { lambda?: number } = {}): Tensor {
  const lambda = opts.lambda ?? 1;
  return tidy(() =>
    l1Loss(F(G(x)), x)
      .add(l1Loss(G(F(y)), y))
      .mul(lambda),
  );
}
