/**
 * The Fréchet distance between two Gaussians, the "F" of FID (Heusel et al. 2017, "GANs Trained
 * by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium"; Dowson and Landau 1982):
 *
 *   d^2 = |mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr((S1 S2)^(1/2))
 *
 * The trace of the square root is the sum of the square roots of the eigenvalues of S1 S2. Those
 * are the eigenvalues of the symmetric L^T S2 L for any factor S1 = L L^T: the spec's "route 3"
 * (tr sqrt(S^(1/2) S2 S^(1/2))) with a pivoted Cholesky factor in place of S1^(1/2). The factor
 * costs n^3/3 instead of a full eigendecomposition with vectors, handles rank-deficient S1 (fewer
 * images than dimensions) by stopping at its rank, and the symmetric eigenvalues are real, so
 * tiny negative ones (round-off) are clamped to 0 instead of giving NaN (torch-fidelity's
 * regression fixed in 154062cf). Everything is float64.
 */
import { ShapeError, ValueError } from '@pixgrad/core';
import { congruence, pivotedCholesky, symmetricEigenvalues } from './linalg.js';

/** A mean vector and a covariance matrix (row-major, dims x dims). */
export interface GaussianStats {
  mu: ArrayLike<number>;
  sigma: ArrayLike<number>;
}

function checked(op: string, name: string, v: ArrayLike<number>, n: number): Float64Array {
  if (v.length !== n) throw new ShapeError(`${op}: ${name} has ${v.length} values, expected ${n}`);
  const out = Float64Array.from(v as ArrayLike<number>);
  for (let i = 0; i < n; i++) if (!Number.isFinite(out[i]!)) throw new ValueError(`${op}: ${name}[${i}] is ${out[i]} (not finite)`);
  return out;
}

/** (A + A^T) / 2, so a covariance that lost exact symmetry to round-off is read as symmetric. */
function symmetrised(a: Float64Array, d: number): Float64Array {
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) {
      const v = (a[i * d + j]! + a[j * d + i]!) / 2;
      a[i * d + j] = v;
      a[j * d + i] = v;
    }
  }
  return a;
}

/** tr((S1 S2)^(1/2)) for symmetric positive semi-definite S1, S2 (d x d, float64; not modified). */
export function traceSqrtProduct(sigma1: Float64Array, sigma2: Float64Array, d: number): number {
  const f = pivotedCholesky(sigma1, d);
  if (f.rank === 0) return 0;
  const lambda = symmetricEigenvalues(congruence(sigma2, d, f), f.rank);
  let t = 0;
  for (const l of lambda) if (l > 0) t += Math.sqrt(l);
  return t;
}

/**
 * The Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2), float64, as pytorch-fid's
 * `calculate_frechet_distance` (and torch-fidelity's, torchmetrics', clean-fid's) computes FID from
 * statistics: equal to pytorch-fid's value to ~1e-10 relative where scipy's sqrtm is well
 * conditioned, and finite on rank-deficient covariances where the eigenvalue route gives NaN.
 * sigma is row-major d x d. Two full-rank 2048-d covariances take about 6-8 s on one core of the
 * 2-core development machine (bench/README.md); fewer dims or fewer images than dims are much faster.
 * @example frechetDistance(mu1, sigma1, mu2, sigma2) // 2048 for means 0 and 1, identity covariances, 2048 dims
 */
export function frechetDistance(mu1: ArrayLike<number>, sigma1: ArrayLike<number>, mu2: ArrayLike<number>, sigma2: ArrayLike<number>): number {
  const op = 'frechetDistance';
  const d = mu1.length;
  if (d === 0) throw new ShapeError(`${op}: the statistics are empty`);
  if (mu2.length !== d) throw new ShapeError(`${op}: the means have different lengths (${d} vs ${mu2.length})`);
  const m1 = checked(op, 'mu1', mu1, d);
  const m2 = checked(op, 'mu2', mu2, d);
  const s1 = symmetrised(checked(op, 'sigma1', sigma1, d * d), d);
  const s2 = symmetrised(checked(op, 'sigma2', sigma2, d * d), d);
  let diff = 0;
  let tr = 0;
  for (let i = 0; i < d; i++) {
    diff += (m1[i]! - m2[i]!) ** 2;
    tr += s1[i * d + i]! + s2[i * d + i]!;
  }
  return diff + tr - 2 * traceSqrtProduct(s1, s2, d);
}
