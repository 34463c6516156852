/**
 * FID as a differentiable training loss: the Fréchet distance between the Gaussian of a batch of
 * generated features and fixed reference statistics (Mathiasen and Hvilshøj 2020, "Backpropagating
 * through Fréchet Inception Distance"). Good for fine-tuning a generator towards a dataset's
 * statistics, or for checking which images move FID most; a batch estimate is biased upwards (Chong
 * and Forsyth 2020), so report FID with `frechetDistance` on many images, not with this.
 *
 *   FID(batch) = |mu_b - mu_r|^2 + tr S_b + tr S_r - 2 tr sqrt(S_b S_r)
 *
 * With S_r = F F^T (a pivoted Cholesky factor, computed once by `fidReference`) and
 * S_b = Xc^T Xc / (n - 1) for the centred batch Xc [n, d], the eigenvalues of S_b S_r are the
 * squared singular values of B = Xc F / sqrt(n - 1) [n, r], so tr sqrt(S_b S_r) is B's nuclear norm,
 * a problem of the batch's size (Mathiasen and Hvilshøj's observation: S_b has rank < n).
 *
 * The nuclear norm is tr(U^T B) for B's polar factor U, which the Newton-Schulz iteration
 * X <- X (3I - X^T X) / 2 from X = B / |B|_F computes (Higham 2008, "Functions of Matrices",
 * eq. 8.20), on the smaller Gram side. Why Newton-Schulz and not the eigenvector VJP: it is only
 * matmuls, so it runs on the device without reading values back (the engine is asynchronous; an
 * eigensolver needs the matrix on the host), and its gradient, and the gradient of that, come from
 * the matmuls' own VJPs. Why the polar form and not the coupled square-root iteration on B B^T: its
 * map on singular values, s -> s (3 - s^2) / 2, is odd and stays in [0, 1], so round-off cannot
 * push a zero singular value negative and make the iteration diverge (the square-root iteration does,
 * in float32, once a centred batch's zero eigenvalue rounds below 0). Each step multiplies a small
 * singular value by up to 1.5 until it converges, so `iterations` (default 40) resolves singular
 * values down to ~1e-6 |B|_F; a smaller one is under-counted by at most its own size.
 */
import { type Tensor, ShapeError, ValueError, eye, fmtShape, tensor, tidy } from '@pixgrad/core';
import { pivotedCholesky } from './linalg.js';

/** Reference statistics prepared for `fidLoss`: the mean, tr(sigma) and a factor F with F F^T = sigma. */
export interface FidReference {
  dims: number;
  mu: Float64Array;
  traceSigma: number;
  /** d x rank, row-major, rows in the original order */
  factor: Float64Array;
  rank: number;
}

/**
 * Prepares reference statistics (e.g. a pytorch-fid `.npz`'s `mu` and `sigma`) for `fidLoss`:
 * one pivoted Cholesky factorisation, in float64 on the host.
 */
export function fidReference(mu: ArrayLike<number>, sigma: ArrayLike<number>): FidReference {
  const d = mu.length;
  if (sigma.length !== d * d) throw new ShapeError(`fidReference: sigma has ${sigma.length} values, expected ${d}x${d} for a mean of ${d}`);
  const s = Float64Array.from(sigma);
  let tr = 0;
  for (let i = 0; i < d; i++) tr += s[i * d + i]!;
  const f = pivotedCholesky(s, d);
  const factor = new Float64Array(d * f.rank);
  for (let i = 0; i < d; i++) factor.set(f.L.subarray(i * f.rank, (i + 1) * f.rank), f.perm[i]! * f.rank);
  return { dims: d, mu: Float64Array.from(mu), traceSigma: tr, factor, rank: f.rank };
}

export interface FidLossOptions {
  /** Newton-Schulz iterations (default 40) */
  iterations?: number;
}

/**
 * The FID between the batch `features` [n, d] (n >= 2; e.g. Inception's `2048` tap of generated
 * images) and `ref`, as a differentiable scalar on the features' device and dtype.
 * @example
 * const ref = fidReference(stats.get('mu')!.data, stats.get('sigma')!.data);
 * const f = net.features(inceptionPreprocess(generator(z), 'pytorch-fid'), ['2048']).get('2048')!;
 * fidLoss(f, ref).backward();
 */
export function fidLoss(features: Tensor, ref: FidReference, opts: FidLossOptions = {}): Tensor {
  if (features.rank !== 2 || features.shape[1] !== ref.dims)
    throw new ShapeError(`fidLoss: features must be [n, ${ref.dims}], got ${fmtShape(features.shape)}`);
  const n = features.shape[0]!;
  if (n < 2) throw new ValueError(`fidLoss: a batch of ${n} has no covariance; use at least 2 images`);
  const iterations = opts.iterations ?? 40;
  if (!Number.isInteger(iterations) || iterations < 1) throw new ValueError(`fidLoss: iterations must be a positive integer, got ${iterations}`);
  return tidy(() => {
    const o = { dtype: features.dtype, device: features.device };
    const mu = features.mean(0);
    const xc = features.sub(mu);
    const meanTerm = mu
      .sub(tensor(ref.mu, { shape: [ref.dims], ...o }))
      .square()
      .sum();
    const traceB = xc
      .square()
      .sum()
      .div(n - 1);
    if (ref.rank === 0) return meanTerm.add(traceB).add(ref.traceSigma);
    const b = xc.matmul(tensor(ref.factor, { shape: [ref.dims, ref.rank], ...o })).div(Math.sqrt(n - 1));
    // |B|_F, smooth at B = 0 (identical features) so the gradient there is 0, not 0 * inf
    let x = b.div(b.square().sum().add(1e-30).sqrt());
    const wide = n <= ref.rank;
    const i3 = eye(wide ? n : ref.rank, wide ? n : ref.rank, o).mul(3);
    for (let it = 0; it < iterations; it++) {
      x = wide ? i3.sub(x.matmul(x.transpose())).matmul(x).div(2) : x.matmul(i3.sub(x.transpose().matmul(x))).div(2);
    }
    const trSqrt = x.mul(b).sum();
    return meanTerm.add(traceB).add(ref.traceSigma).sub(trSqrt.mul(2));
  });
}
