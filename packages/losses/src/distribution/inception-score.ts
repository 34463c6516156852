/**
 * Inception Score (Salimans et al. 2016, "Improved Techniques for Training GANs"):
 *
 *   IS = exp( mean_x KL(p(y|x) || p(y)) ),  p(y) = mean_x p(y|x),  p(y|x) = softmax(logits)
 *
 * per split, then the mean and population std over splits. Conventions are torch-fidelity's
 * (metric_isc.py): the 1008 unbiased logits of the FID Inception (pool_3 times fc.weight^T, no
 * bias: the bias changes IS, openai/improved-gan#39), 10 splits of rows [i N / s, (i + 1) N / s),
 * rows shuffled first by numpy RandomState(2020).permutation(N), all in float64.
 */
import { ShapeError, ValueError } from '@pixgrad/core';
import type { FeatureMatrix } from './kid.js';
import { RandomState } from './random-state.js';

export interface InceptionScoreOptions {
  /** number of splits (default 10) */
  splits?: number;
  /** shuffle the rows first (default true, as torch-fidelity) */
  shuffle?: boolean;
  /** seed of numpy's RandomState for the shuffle (default 2020) */
  seed?: number;
}

export interface InceptionScoreResult {
  mean: number;
  /** population standard deviation over splits (np.std) */
  std: number;
  splits: number;
}

/**
 * The Inception Score of `logits` ([N, classes]: `logits_unbiased` of the FID Inception).
 * @example const { mean, std } = inceptionScore({ data, rows: n, dims: 1008 }); // torch-fidelity's inception_score_mean / _std
 */
export function inceptionScore(logits: FeatureMatrix, opts: InceptionScoreOptions = {}): InceptionScoreResult {
  const { rows: n, dims: c, data } = logits;
  if (data.length !== n * c) throw new ShapeError(`inceptionScore: ${data.length} values are not ${n} x ${c}`);
  const splits = opts.splits ?? 10;
  if (!Number.isInteger(splits) || splits < 1) throw new ValueError(`inceptionScore: splits must be a positive integer, got ${splits}`);
  if (n < splits) throw new ValueError(`inceptionScore: ${n} images cannot make ${splits} splits (lower --isc-splits)`);
  const order = (opts.shuffle ?? true) ? new RandomState(opts.seed ?? 2020).permutation(n) : Int32Array.from({ length: n }, (_, i) => i);
  // log-softmax per row, float64
  const logp = new Float64Array(n * c);
  for (let r = 0; r < n; r++) {
    const src = order[r]! * c;
    let max = -Infinity;
    for (let j = 0; j < c; j++) {
      const v = data[src + j]!;
      if (!Number.isFinite(v)) throw new ValueError(`inceptionScore: logit ${j} of row ${order[r]} is ${v} (not finite)`);
      max = Math.max(max, v);
    }
    let z = 0;
    for (let j = 0; j < c; j++) z += Math.exp(data[src + j]! - max);
    const lz = max + Math.log(z);
    for (let j = 0; j < c; j++) logp[r * c + j] = data[src + j]! - lz;
  }
  const scores: number[] = [];
  for (let s = 0; s < splits; s++) {
    const r0 = Math.floor((s * n) / splits);
    const r1 = Math.floor(((s + 1) * n) / splits);
    const q = new Float64Array(c);
    for (let r = r0; r < r1; r++) for (let j = 0; j < c; j++) q[j] += Math.exp(logp[r * c + j]!);
    for (let j = 0; j < c; j++) q[j] = Math.log(q[j]! / (r1 - r0));
    let kl = 0;
    for (let r = r0; r < r1; r++) {
      for (let j = 0; j < c; j++) {
        const p = Math.exp(logp[r * c + j]!);
        if (p > 0) kl += p * (logp[r * c + j]! - q[j]!); // 0 log 0 = 0
      }
    }
    scores.push(Math.exp(kl / (r1 - r0)));
  }
  const mean = scores.reduce((a, b) => a + b, 0) / splits;
  const std = Math.sqrt(scores.reduce((a, b) => a + (b - mean) ** 2, 0) / splits);
  return { mean, std, splits };
}
