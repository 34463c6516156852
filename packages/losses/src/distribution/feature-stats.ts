/**
 * Streaming feature statistics for FID and sFID: the count, the sum and the centred co-moment
 * matrix M2 = sum (x - mean)(x - mean)^T, in float64, one batch at a time, so no run ever holds
 * all features (pytorch-fid keeps an N x 2048 array; torchmetrics' online FID keeps sum and sum of
 * outer products, which cancels catastrophically for large means). Batches and shards merge
 * exactly with Chan, Golub and LeVeque's pairwise update (1979):
 *
 *   delta = mean_b - mean_a,  n = n_a + n_b,  M2 = M2_a + M2_b + delta delta^T n_a n_b / n
 *
 * so four shards merged equal one pass to float64 rounding, in any order. The covariance is
 * M2 / (n - 1), numpy's `np.cov(rowvar=False)` (ddof = 1) as pytorch-fid, clean-fid, torch-fidelity
 * and ADM use.
 */
import { ShapeError, ValueError, gemm } from '@pixgrad/core';

export class FeatureStats {
  /** number of samples */
  count = 0;
  /** per-dimension sum of the samples */
  readonly sum: Float64Array;
  /** centred co-moment matrix, row-major dims x dims (full, symmetric) */
  readonly m2: Float64Array;

  constructor(readonly dims: number) {
    if (!Number.isSafeInteger(dims) || dims < 1) throw new ValueError(`FeatureStats: dims must be a positive integer, got ${dims}`);
    this.sum = new Float64Array(dims);
    this.m2 = new Float64Array(dims * dims);
  }

  /**
   * Adds a batch of `features` (rows of `dims` values, row-major; any numeric array, e.g. a
   * Float32Array read back from the network). Non-finite values are an error naming the row.
   */
  add(features: ArrayLike<number>): this {
    const d = this.dims;
    if (features.length % d !== 0) throw new ShapeError(`FeatureStats.add: ${features.length} values are not whole rows of ${d}`);
    const n = features.length / d;
    if (n === 0) return this;
    const mean = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) {
        const x = features[i * d + j]!;
        if (!Number.isFinite(x)) throw new ValueError(`FeatureStats.add: feature ${j} of row ${i} is ${x} (not finite)`);
        mean[j] += x;
      }
    }
    const sum = Float64Array.from(mean);
    for (let j = 0; j < d; j++) mean[j] /= n;
    // M2_b = Xc^T Xc through the packed GEMM (Xc: the centred batch, n x d)
    const xc = new Float64Array(n * d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) xc[i * d + j] = features[i * d + j]! - mean[j]!;
    const m2b = new Float64Array(d * d);
    gemm(d, d, n, xc, 0, 1, d, xc, 0, d, 1, m2b, 0, d);
    return this.mergeMoments(n, sum, m2b);
  }

  /** Adds the samples another `FeatureStats` summarises (a shard, a batch); `other` is unchanged. */
  merge(other: FeatureStats): this {
    if (other.dims !== this.dims) throw new ShapeError(`FeatureStats.merge: dims differ (${this.dims} vs ${other.dims})`);
    return this.mergeMoments(other.count, other.sum, other.m2);
  }

  private mergeMoments(nb: number, sumB: Float64Array, m2b: Float64Array): this {
    const d = this.dims;
    const na = this.count;
    if (nb === 0) return this;
    if (na === 0) {
      this.sum.set(sumB);
      this.m2.set(m2b);
      this.count = nb;
      return this;
    }
    const n = na + nb;
    const delta = new Float64Array(d);
    for (let j = 0; j < d; j++) delta[j] = sumB[j]! / nb - this.sum[j]! / na;
    const f = (na * nb) / n;
    for (let i = 0; i < d; i++) {
      const di = delta[i]! * f;
      const r = i * d;
      for (let j = 0; j < d; j++) this.m2[r + j] += m2b[r + j]! + di * delta[j]!;
    }
    for (let j = 0; j < d; j++) this.sum[j] += sumB[j]!;
    this.count = n;
    return this;
  }

  /** The mean vector. */
  mean(): Float64Array {
    if (this.count === 0) throw new ValueError('FeatureStats.mean: no samples were added');
    return this.sum.map((s) => s / this.count);
  }

  /** The covariance M2 / (n - ddof), ddof 1 by default (np.cov); at least ddof + 1 samples. */
  covariance(ddof = 1): Float64Array {
    if (this.count <= ddof)
      throw new ValueError(`FeatureStats.covariance: ${this.count} sample(s) cannot give a covariance with ddof ${ddof} (FID needs at least 2 images)`);
    const k = 1 / (this.count - ddof);
    return this.m2.map((v) => v * k);
  }

  /** Statistics from a mean and covariance (e.g. a pytorch-fid `.npz`), as if from `count` samples (default 2, only used when merging). */
  static fromMeanCovariance(mu: ArrayLike<number>, sigma: ArrayLike<number>, count = 2): FeatureStats {
    const d = mu.length;
    if (sigma.length !== d * d) throw new ShapeError(`FeatureStats.fromMeanCovariance: sigma has ${sigma.length} values, expected ${d}x${d}`);
    return FeatureStats.fromMoments(
      count,
      Array.from(mu, (m) => m * count),
      Array.from(sigma, (v) => v * (count - 1)),
    );
  }

  /** Statistics from their stored moments (a shard's count, sum and m2), copied. */
  static fromMoments(count: number, sum: ArrayLike<number>, m2: ArrayLike<number>): FeatureStats {
    const d = sum.length;
    if (m2.length !== d * d) throw new ShapeError(`FeatureStats.fromMoments: m2 has ${m2.length} values, expected ${d}x${d}`);
    const s = new FeatureStats(d);
    s.count = count;
    s.sum.set(sum);
    s.m2.set(m2);
    return s;
  }
}
