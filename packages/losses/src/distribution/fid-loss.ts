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
 * S_b = Xc^T Xc / (n - 1) for the centred batch Xc [n, d], the eigenvalues of S_b S_r are those of
 * the small G = B B^T, B = Xc F / sqrt(n - 1) [n, r] (Mathiasen and Hvilshøj's observation: the batch
 * covariance has rank < n), so tr sqrt(S_b S_r) = tr sqrt(G), an n x n problem.
 *
 * tr sqrt(G) is taken by coupled Newton-Schulz iterations (Higham 2008, eq. 6.35) on G / tr G:
 * T = (3I - Z Y) / 2, Y <- Y T, Z <- T Z, Y -> sqrt(G / tr G). Why Newton-Schulz and not the
 * eigenvector VJP: it is only matmuls, so it runs on the device without reading values back (the
 * engine is asynchronous; an eigensolver needs the matrix on the host), and its gradient, and the
 * gradient of that, come from the matmuls' own VJPs. Each iteration multiplies a small eigenvalue's
 * square root by up to 1.5 until it converges, so `iterations` (default 40) resolves eigenvalues
 * down to ~1e-14 of tr G; smaller ones contribute less than ~1e-7 sqrt(tr G) each.
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
  if (features.rank !== 2 || features.shape[1] !== ref.dims) throw new ShapeError(`fidLoss: features must be [n, ${ref.dims}], got ${fmtShape(features.shape)}`);
  const n = features.shape[0]!;
  if (n < 2) throw new ValueError(`fidLoss: a batch of ${n} has no covariance; use at least 2 images`);
  const iterations = opts.iterations ?? 40;
  if (!Number.isInteger(iterations) || iterations < 1) throw new ValueError(`fidLoss: iterations must be a positive integer, got ${iterations}`);
  return tidy(() => {
    const o = { dtype: features.dtype, device: features.device };
    const mu = features.mean(0);
    const xc = features.sub(mu);
    const meanTerm = mu.sub(tensor(ref.mu, { shape: [ref.dims], ...o })).square().sum();
    const traceB = xc.square().sum().div(n - 1);
    if (ref.rank === 0) return meanTerm.add(traceB).add(ref.traceSigma);
    const b = xc.matmul(tensor(ref.factor, { shape: [ref.dims, ref.rank], ...o })).div(Math.sqrt(n - 1));
    const g = n <= ref.rank ? b.matmul(b.transpose()) : b.transpose().matmul(b);
    const k = g.shape[0]!;
    const c = g.mul(eye(k, k, o)).sum().add(1e-30);
    let y = g.div(c);
    let z = eye(k, k, o);
    const i3 = eye(k, k, o).mul(3);
    for (let it = 0; it < iterations; it++) {
      const t = i3.sub(z.matmul(y)).div(2);
      y = y.matmul(t);
      z = t.matmul(z);
    }
    const trSqrt = y.mul(eye(k, k, o)).sum().mul(c.sqrt());
    return meanTerm.add(traceB).add(ref.traceSigma).sub(trSqrt.mul(2));
  });
}
