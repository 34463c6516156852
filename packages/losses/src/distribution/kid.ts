/**
 * Kernel Inception Distance (Bińkowski et al. 2018, "Demystifying MMD GANs"): the unbiased
 * estimator of the squared maximum mean discrepancy with the polynomial kernel
 * k(x, y) = (x.y / d + 1)^3, averaged over random subsets:
 *
 *   MMD^2_u = [sum_{i != j} k(x_i, x_j) + sum_{i != j} k(y_i, y_j)] / (m (m - 1)) - 2 sum_{i,j} k(x_i, y_j) / m^2
 *
 * Defaults and draws are torch-fidelity's (metric_kid.py): 100 subsets of 1000, numpy
 * RandomState(2020) choosing a subset of the first set then of the second each time, mean and
 * population std over subsets. Fewer samples than the subset size is an error (torch-fidelity's
 * behaviour; clean-fid silently shrinks) unless `shrink` asks for min(n1, n2).
 *
 * The dot products run as float32 matmuls on a pixgrad device (torch-fidelity computes the kernel
 * in float32 too); sums are float64. When both sets fit (Gram matrix at most `maxGramBytes`), one
 * Gram matrix of all samples serves every subset; otherwise each subset gets its own.
 */
import { type Device, ShapeError, ValueError, tensor } from '@pixgrad/core';
import { RandomState } from './random-state.js';

/** Features: rows of `dims` values, row-major. */
export interface FeatureMatrix {
  data: Float32Array | Float64Array;
  rows: number;
  dims: number;
}

export interface KidOptions {
  /** number of subsets (default 100) */
  subsets?: number;
  /** samples per subset (default 1000) */
  subsetSize?: number;
  /** kernel degree (default 3), gamma (default 1 / dims) and coef0 (default 1) */
  degree?: number;
  gamma?: number;
  coef0?: number;
  /** seed of numpy's RandomState (default 2020, torch-fidelity's) */
  seed?: number;
  /** use min(n1, n2, subsetSize) samples per subset instead of failing when a set is smaller (clean-fid's behaviour) */
  shrink?: boolean;
  /** device for the matmuls (default: core's default device) */
  device?: Device;
  /** largest Gram matrix of all samples to hold at once (default 1 GiB of float32) */
  maxGramBytes?: number;
}

export interface KidResult {
  mean: number;
  /** population standard deviation over subsets (np.std, as torch-fidelity) */
  std: number;
  subsetSize: number;
  subsets: number;
}

/** Gram matrix rows of `z` [n, d] against itself, read back as float32. */
async function gram(z: Float32Array, n: number, d: number, device: Device | undefined): Promise<Float32Array> {
  const t = tensor(z, { shape: [n, d], dtype: 'float32', ...(device !== undefined ? { device } : {}) });
  const g = t.matmul(t.transpose());
  t.dispose();
  try {
    return (await g.data()) as Float32Array;
  } finally {
    g.dispose();
  }
}

/**
 * KID between two feature sets (Inception pool_3 features, [n, 2048] each).
 * @example const { mean, std } = await kid(realFeatures, fakeFeatures); // torch-fidelity's kernel_inception_distance_mean / _std
 */
export async function kid(features1: FeatureMatrix, features2: FeatureMatrix, opts: KidOptions = {}): Promise<KidResult> {
  const op = 'kid';
  const d = features1.dims;
  if (features2.dims !== d) throw new ShapeError(`${op}: the feature sets have different dims (${d} vs ${features2.dims})`);
  for (const [name, f] of [
    ['features1', features1],
    ['features2', features2],
  ] as const) {
    if (f.data.length !== f.rows * f.dims) throw new ShapeError(`${op}: ${name} holds ${f.data.length} values, not ${f.rows} x ${f.dims}`);
  }
  const subsets = opts.subsets ?? 100;
  let m = opts.subsetSize ?? 1000;
  if (!Number.isInteger(subsets) || subsets < 1) throw new ValueError(`${op}: subsets must be a positive integer, got ${subsets}`);
  const n1 = features1.rows;
  const n2 = features2.rows;
  if (Math.min(n1, n2) < m) {
    if (!opts.shrink) {
      throw new ValueError(
        `${op}: the subset size ${m} is larger than the ${n1 <= n2 ? 'first' : 'second'} set (${Math.min(n1, n2)} samples); ` +
          `lower subsetSize (--kid-subset-size) or allow shrinking (shrink: true)`,
      );
    }
    m = Math.min(n1, n2);
  }
  if (m < 2) throw new ValueError(`${op}: subsets need at least 2 samples, got ${m}`);
  const degree = opts.degree ?? 3;
  const gamma = opts.gamma ?? 1 / d;
  const coef0 = opts.coef0 ?? 1;
  const k = (dot: number) => (gamma * dot + coef0) ** degree;
  const rng = new RandomState(opts.seed ?? 2020);
  const f32 = (a: Float32Array | Float64Array) => (a instanceof Float32Array ? a : Float32Array.from(a));
  const x1 = f32(features1.data);
  const x2 = f32(features2.data);

  const N = n1 + n2;
  const full = N * N * 4 <= (opts.maxGramBytes ?? 2 ** 30) && N * N <= subsets * 4 * m * m;
  let G: Float32Array | null = null;
  if (full) {
    const z = new Float32Array(N * d);
    z.set(x1, 0);
    z.set(x2, n1 * d);
    G = await gram(z, N, d, opts.device);
  }
  const scores = new Float64Array(subsets);
  for (let s = 0; s < subsets; s++) {
    const i1 = rng.choice(n1, m);
    const i2 = rng.choice(n2, m);
    // rows 0..m-1: the first set's subset, m..2m-1: the second's, as indices into G (or a subset Gram)
    const idx = new Int32Array(2 * m);
    let g: Float32Array;
    let ld: number;
    if (G) {
      for (let i = 0; i < m; i++) {
        idx[i] = i1[i]!;
        idx[m + i] = n1 + i2[i]!;
      }
      g = G;
      ld = N;
    } else {
      const z = new Float32Array(2 * m * d);
      for (let i = 0; i < m; i++) {
        z.set(x1.subarray(i1[i]! * d, (i1[i]! + 1) * d), i * d);
        z.set(x2.subarray(i2[i]! * d, (i2[i]! + 1) * d), (m + i) * d);
      }
      g = await gram(z, 2 * m, d, opts.device);
      ld = 2 * m;
      for (let i = 0; i < 2 * m; i++) idx[i] = i;
    }
    let xx = 0;
    let yy = 0;
    let xy = 0;
    for (let i = 0; i < m; i++) {
      const ri = idx[i]! * ld;
      const rj = idx[m + i]! * ld;
      for (let j = 0; j < m; j++) {
        if (j !== i) {
          xx += k(g[ri + idx[j]!]!);
          yy += k(g[rj + idx[m + j]!]!);
        }
        xy += k(g[ri + idx[m + j]!]!);
      }
    }
    scores[s] = (xx + yy) / (m * (m - 1)) - (2 * xy) / (m * m);
  }
  let mean = 0;
  for (const v of scores) mean += v;
  mean /= subsets;
  let v2 = 0;
  for (const v of scores) v2 += (v - mean) ** 2;
  return { mean, std: Math.sqrt(v2 / subsets), subsetSize: m, subsets };
}
