/**
 * The distribution metrics against their closed forms (shared/reference/distribution-metrics.md
 * §9: O1-O6, K1-K3, I1-I4) and against the Python tools, through values that
 * scripts/gen-distribution-reference.py wrote with numpy 1.24 / scipy 1.10 by pytorch-fid's
 * (scipy sqrtm) and torch-fidelity's (KID, IS, RandomState(2020)) code paths; streaming
 * statistics and shard merges against one pass and np.cov; the linear algebra against invariants;
 * fidLoss against frechetDistance and through gradcheck in float64.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Tensor, memory, tensor } from '@pixgrad/core';
import { type ParamCase, propertyGradcheck, specOf, type TensorSpec } from '@pixgrad/core/testing';
import { FeatureStats, RandomState, type FidReference, fidLoss, fidReference, frechetDistance, inceptionScore, kid } from '@pixgrad/losses';
import { congruence, pivotedCholesky, symmetricEigenvalues } from '../src/distribution/linalg.js';

const here = dirname(fileURLToPath(import.meta.url));
const ref = JSON.parse(readFileSync(join(here, 'data', 'distribution-reference.json'), 'utf8'));

const eye = (d: number, s = 1) => Float64Array.from({ length: d * d }, (_, i) => (i % (d + 1) === 0 ? s : 0));
const relErr = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-300, Math.abs(b));

function stats(f: number[], n: number, d: number): { mu: Float64Array; sigma: Float64Array } {
  const s = new FeatureStats(d).add(f.slice(0, n * d));
  return { mu: s.mean(), sigma: s.covariance() };
}

describe('frechetDistance: closed forms (spec §9)', () => {
  it('O1: identity covariances, means 0 and 1 in 2048 dims give exactly 2048', () => {
    const d = 2048;
    expect(frechetDistance(new Float64Array(d), eye(d), new Float64Array(d).fill(1), eye(d))).toBe(2048);
  }, 60_000);

  it('O2-O5: 1-D, diagonal, the 2x2 closed form and scaled identities', () => {
    expect(frechetDistance([0], [4], [1], [9])).toBeCloseTo(2, 14);
    expect(frechetDistance([0, 0], [1, 0, 0, 4], [1, 2], [9, 0, 0, 16])).toBeCloseTo(13, 13);
    expect(frechetDistance([0, 0], [2, 1, 1, 2], [0, 0], [1, 0, 0, 4])).toBeCloseTo(0.7712204476543416, 14);
    expect(frechetDistance(new Float64Array(5), eye(5, 2), new Float64Array(5).fill(1), eye(5, 8))).toBeCloseTo(15, 12);
  });

  it("O6: torch-fidelity's NaN case (4x4 features, a -5e-17 eigenvalue) is finite and equals scipy's 4.753837617472015", () => {
    const f1 = [
      1.6243453636632417, -0.6117564136500754, -0.5281717522634557, -1.0729686221561705, 0.8654076293246785, -2.3015386968802827, 1.74481176421648,
      -0.7612069008951028, 0.31903909605709857, -0.2493703754774101, 1.462107937044974, -2.060140709497654, -0.3224172040135075, -0.38405435466841564,
      1.1337694423354374, -1.0998912673140309,
    ];
    const f2 = [
      -0.17242820755043575, -0.8778584179213718, 0.04221374671559283, 0.5828152137158222, -1.1006191772129212, 1.1447237098396141, 0.9015907205927955,
      0.5024943389018682, 0.9008559492644118, -0.6837278591743331, -0.12289022551864817, -0.9357694342590688, -0.2678880796260159, 0.530355466738186,
      -0.691660751725309, -0.39675352685597737,
    ];
    const a = stats(f1, 4, 4);
    const b = stats(f2, 4, 4);
    const v = frechetDistance(a.mu, a.sigma, b.mu, b.sigma);
    expect(relErr(v, 4.753837617472015)).toBeLessThan(1e-12);
  });

  it('symmetric in its arguments, zero for identical statistics, invariant under a common permutation of dims', () => {
    const c = ref.frechet[2];
    const a = stats(c.f1, c.n, c.d);
    const b = stats(c.f2, c.n, c.d);
    expect(relErr(frechetDistance(a.mu, a.sigma, b.mu, b.sigma), frechetDistance(b.mu, b.sigma, a.mu, a.sigma))).toBeLessThan(1e-12);
    expect(Math.abs(frechetDistance(a.mu, a.sigma, a.mu, a.sigma))).toBeLessThan(1e-12 * c.d * 100); // round-off of a sum of d square roots
    const d = c.d as number;
    const perm = new RandomState(3).permutation(d);
    const pm = (m: Float64Array) => m.map((_, i) => m[perm[Math.floor(i / d)]! * d + perm[i % d]!]!);
    const pv = (v: Float64Array) => v.map((_, i) => v[perm[i]!]!);
    expect(relErr(frechetDistance(pv(a.mu), pm(a.sigma), pv(b.mu), pm(b.sigma)), frechetDistance(a.mu, a.sigma, b.mu, b.sigma))).toBeLessThan(1e-12);
  });

  // With fewer samples than dims the product is singular: its zero eigenvalues come out as round-off
  // (~1e-16) whose square roots (~1e-8) enter the trace, so scipy's sqrtm, numpy's eigvals and the
  // symmetric route already disagree by ~5e-8 there (generator output); 1e-7 is that spread.
  it("equals pytorch-fid's scipy-sqrtm value: 1e-9 relative on full-rank statistics (4 to 64 dims), 1e-7 with fewer samples than dims", () => {
    for (const c of ref.frechet) {
      const a = stats(c.f1, c.n, c.d);
      const b = stats(c.f2, c.n, c.d);
      const v = frechetDistance(a.mu, a.sigma, b.mu, b.sigma);
      expect(relErr(v, c.fid), `n ${c.n} d ${c.d}: ${v} vs scipy ${c.fid}`).toBeLessThan(c.n > c.d ? 1e-9 : 1e-7);
    }
  });

  it('bad input: lengths, non-finite values', () => {
    expect(() => frechetDistance([0, 1], [1, 0, 0, 1], [0], [1])).toThrow(/different lengths \(2 vs 1\)/);
    expect(() => frechetDistance([0, 1], [1, 0, 0], [0, 1], [1, 0, 0, 1])).toThrow(/sigma1 has 3 values, expected 4/);
    expect(() => frechetDistance([0, Number.NaN], [1, 0, 0, 1], [0, 1], [1, 0, 0, 1])).toThrow(/mu1\[1\] is NaN/);
  });
});

describe('linear algebra', () => {
  const spd = (d: number, rank: number, seed: number) => {
    const g = new RandomState(seed);
    const x = Float64Array.from({ length: d * rank }, () => g.nextUint32() / 2 ** 32 - 0.5);
    const a = new Float64Array(d * d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) for (let k = 0; k < rank; k++) a[i * d + j] += x[i * rank + k]! * x[j * rank + k]!;
    return a;
  };

  it('pivoted Cholesky: P A P^T = L L^T, and the rank of a rank-deficient matrix, across panel edges', () => {
    for (const [d, rank] of [
      [1, 1],
      [7, 7],
      [70, 70],
      [130, 41],
      [65, 64],
    ] as const) {
      const a = spd(d, rank, d);
      const f = pivotedCholesky(a, d);
      expect(f.rank).toBe(rank);
      let err = 0;
      for (let i = 0; i < d; i++) {
        for (let j = 0; j < d; j++) {
          let s = 0;
          for (let k = 0; k < f.rank; k++) s += f.L[i * f.rank + k]! * f.L[j * f.rank + k]!;
          err = Math.max(err, Math.abs(s - a[f.perm[i]! * d + f.perm[j]!]!));
        }
      }
      expect(err, `d ${d}`).toBeLessThan(1e-13);
    }
  });

  it('symmetric eigenvalues: trace and Frobenius norm kept, a known spectrum recovered, and congruence gives eig(A B)', () => {
    const d = 150;
    const a = spd(d, d, 5);
    const copy = Float64Array.from(a);
    const e = symmetricEigenvalues(copy, d);
    let tr = 0;
    let fro = 0;
    for (let i = 0; i < d; i++) tr += a[i * d + i]!;
    for (const v of a) fro += v * v;
    expect(
      relErr(
        e.reduce((s, v) => s + v, 0),
        tr,
      ),
    ).toBeLessThan(1e-12);
    expect(
      relErr(
        e.reduce((s, v) => s + v * v, 0),
        fro,
      ),
    ).toBeLessThan(1e-12);
    // diag(1..5) rotated by a Householder reflection
    const u = [1, -2, 0.5, 3, 1];
    const uu = u.reduce((s, v) => s + v * v, 0);
    const h = Float64Array.from({ length: 25 }, (_, i) => (i % 6 === 0 ? 1 : 0) - (2 * u[Math.floor(i / 5)]! * u[i % 5]!) / uu);
    const m = new Float64Array(25);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) for (let k = 0; k < 5; k++) m[i * 5 + j] += h[i * 5 + k]! * (k + 1) * h[j * 5 + k]!;
    Array.from(symmetricEigenvalues(m, 5)).forEach((v, i) => expect(v).toBeCloseTo(i + 1, 12));
    // eig(A B) through L^T B L: the trace of A B
    const b = spd(d, 30, 6);
    const f = pivotedCholesky(a, d);
    const ev = symmetricEigenvalues(congruence(b, d, f), f.rank);
    let trAB = 0;
    for (let i = 0; i < d; i++) for (let k = 0; k < d; k++) trAB += a[i * d + k]! * b[k * d + i]!;
    expect(
      relErr(
        ev.reduce((s, v) => s + v, 0),
        trAB,
      ),
    ).toBeLessThan(1e-11);
    expect(ev.filter((v) => v > 1e-10).length).toBe(30);
  });
});

describe('FeatureStats: streaming, merging, np.cov', () => {
  it("mean and covariance equal numpy's np.mean / np.cov(rowvar=False)", () => {
    for (const c of ref.frechet.filter((c: { sigma1?: number[] }) => c.sigma1)) {
      const s = stats(c.f1, c.n, c.d);
      s.mu.forEach((v, i) => expect(relErr(v, c.mu1[i]) < 1e-13 || Math.abs(v - c.mu1[i]) < 1e-15).toBe(true));
      s.sigma.forEach((v, i) => expect(Math.abs(v - c.sigma1[i])).toBeLessThan(1e-14 * (1 + Math.abs(c.sigma1[i]))));
    }
  });

  it('batches of any size, and four shards merged in any order, equal one pass to float64 rounding', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 60 }),
        fc.integer({ min: 1, max: 9 }),
        fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 6 }),
        fc.integer(),
        (n, d, cuts, seed) => {
          const g = new RandomState(seed >>> 0);
          const x = Float64Array.from({ length: n * d }, () => 1e3 + (g.nextUint32() / 2 ** 32) * 4);
          const one = new FeatureStats(d).add(x);
          const streamed = new FeatureStats(d);
          let at = 0;
          for (let i = 0; at < n; i++) {
            const k = Math.min(cuts[i % cuts.length]!, n - at);
            streamed.add(x.subarray(at * d, (at + k) * d));
            at += k;
          }
          const shards = [0, 1, 2, 3].map((s) => {
            const st = new FeatureStats(d);
            for (let i = s; i < n; i += 4) st.add(x.subarray(i * d, (i + 1) * d));
            return st;
          });
          const merged = new FeatureStats(d).merge(shards[2]!).merge(shards[0]!).merge(shards[3]!).merge(shards[1]!);
          for (const s of [streamed, merged]) {
            expect(s.count).toBe(n);
            s.mean().forEach((v, i) => expect(relErr(v, one.mean()[i]!)).toBeLessThan(1e-14));
            const c1 = one.covariance();
            // the covariance of values near 1e3 with spread 4 is ~1; shifted data keeps full precision with centred co-moments
            s.covariance().forEach((v, i) => expect(Math.abs(v - c1[i]!)).toBeLessThan(1e-11));
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('bad input: partial rows, non-finite values, too few samples', () => {
    expect(() => new FeatureStats(3).add([1, 2])).toThrow(/2 values are not whole rows of 3/);
    expect(() => new FeatureStats(2).add([1, Number.POSITIVE_INFINITY])).toThrow(/feature 1 of row 0 is Infinity/);
    expect(() => new FeatureStats(2).add([1, 2]).covariance()).toThrow(/1 sample\(s\) cannot give a covariance/);
    expect(() => new FeatureStats(2).merge(new FeatureStats(3))).toThrow(/dims differ \(2 vs 3\)/);
  });
});

describe("numpy's legacy RandomState", () => {
  it('MT19937 outputs, permutation and choice equal numpy 1.24', () => {
    const g = new RandomState(123456789);
    expect(Array.from({ length: 5 }, () => g.nextUint32())).toEqual(ref.random_state.uint32_123456789);
    expect(Array.from(new RandomState(2020).permutation(10))).toEqual(ref.random_state.permutation_2020_10);
    expect(Array.from(new RandomState(2020).choice(70000, 8))).toEqual(ref.random_state.choice_2020);
  });
});

describe('KID', () => {
  const mat = (rows: number[][]) => ({ data: Float64Array.from(rows.flat()), rows: rows.length, dims: rows[0]!.length });
  const X = [
    [0, 1, 2],
    [1, 0, 1],
    [2, 2, 0],
    [1, 1, 1],
  ];
  const Y = [
    [1, 2, 3],
    [0, 0, 1],
    [2, 1, 1],
    [3, 0, 2],
  ];

  it('K1-K3: the small example 44/27, identical sets -6.8426, and subset = set size is the deterministic full MMD with std 0', async () => {
    const r = await kid(mat(X), mat(Y), { subsets: 5, subsetSize: 4 });
    expect(r.mean).toBeCloseTo(44 / 27, 5);
    expect(r.std).toBeLessThan(1e-5);
    expect((await kid(mat(X), mat(X), { subsets: 1, subsetSize: 4 })).mean).toBeCloseTo(-6.8425925925925934, 5);
  });

  it("torch-fidelity's value with its RandomState(2020) subsets (6 subsets of 12 from 40 and 35 samples)", async () => {
    const k = ref.kid;
    const r = await kid(
      { data: Float32Array.from(k.f1), rows: k.n1, dims: k.d },
      { data: Float32Array.from(k.f2), rows: k.n2, dims: k.d },
      { subsets: k.subsets, subsetSize: k.subset_size },
    );
    expect(relErr(r.mean, k.mean)).toBeLessThan(1e-5);
    expect(relErr(r.std, k.std)).toBeLessThan(1e-4);
    // the per-subset Gram path gives the same numbers as the one-Gram path
    const r2 = await kid(
      { data: Float32Array.from(k.f1), rows: k.n1, dims: k.d },
      { data: Float32Array.from(k.f2), rows: k.n2, dims: k.d },
      { subsets: k.subsets, subsetSize: k.subset_size, maxGramBytes: 0 },
    );
    expect(relErr(r2.mean, r.mean)).toBeLessThan(1e-6);
  });

  it('fewer samples than the subset size is an error unless shrinking is asked for', async () => {
    await expect(kid(mat(X), mat(Y))).rejects.toThrow(/subset size 1000 is larger than the first set \(4 samples\); lower subsetSize/);
    const r = await kid(mat(X), mat(Y), { shrink: true, subsets: 2 });
    expect(r.subsetSize).toBe(4);
    await expect(kid(mat(X), { data: new Float64Array(8), rows: 4, dims: 2 })).rejects.toThrow(/different dims \(3 vs 2\)/);
  });
});

describe('Inception Score', () => {
  const mat = (rows: number[][]) => ({ data: Float64Array.from(rows.flat()), rows: rows.length, dims: rows[0]!.length });
  it('I1-I4: constant logits 1, the spec example 1.405691886427673, one-hot 4 classes 4, two splits', () => {
    expect(inceptionScore({ data: new Float32Array(20 * 1008), rows: 20, dims: 1008 }).mean).toBeCloseTo(1, 12);
    const L = [
      [2, 0, 0],
      [0, 2, 0],
      [0, 0, 2],
      [1, 1, 0],
    ];
    expect(inceptionScore(mat(L), { splits: 1 }).mean).toBeCloseTo(1.405691886427673, 13);
    const hot = Array.from({ length: 200 }, (_, i) => [0, 1, 2, 3].map((c) => (c === i % 4 ? 1000 : 0)));
    expect(inceptionScore(mat(hot), { splits: 1 }).mean).toBeCloseTo(4, 12);
    const r = inceptionScore(mat(L), { splits: 2, shuffle: false });
    expect(r.mean).toBeCloseTo(1.2910608663688656, 13);
    expect(r.std).toBeCloseTo(0.04924643697906017, 13);
  });

  it("torch-fidelity's value with its RandomState(2020) shuffle (53 images, 5 splits)", () => {
    const r = inceptionScore({ data: Float32Array.from(ref.isc.logits), rows: ref.isc.n, dims: ref.isc.c }, { splits: ref.isc.splits });
    expect(relErr(r.mean, ref.isc.mean)).toBeLessThan(1e-12);
    expect(relErr(r.std, ref.isc.std)).toBeLessThan(1e-10);
  });

  it('bad input', () => {
    expect(() => inceptionScore({ data: new Float32Array(5), rows: 2, dims: 3 })).toThrow(/5 values are not 2 x 3/);
    expect(() => inceptionScore({ data: new Float32Array(6), rows: 2, dims: 3 })).toThrow(/2 images cannot make 10 splits/);
  });
});

describe('fidLoss', () => {
  const features = (n: number, d: number, seed: number) => {
    const g = new RandomState(seed);
    return Float64Array.from({ length: n * d }, () => Math.max(0, g.nextUint32() / 2 ** 32 - 0.2) * 2);
  };
  const reference = (d: number, n: number, seed: number) => {
    const s = new FeatureStats(d).add(features(n, d, seed));
    return { mu: s.mean(), sigma: s.covariance() };
  };

  it('equals frechetDistance of the batch statistics (batch smaller and larger than the reference rank, a rank-deficient reference)', () => {
    for (const [n, d, nRef] of [
      [6, 16, 40],
      [30, 8, 40],
      [5, 12, 4],
      [2, 3, 9],
    ] as const) {
      const r = reference(d, nRef, n + d);
      const x = features(n, d, 99 + n);
      const b = new FeatureStats(d).add(x);
      const want = frechetDistance(b.mean(), b.covariance(), r.mu, r.sigma);
      const before = memory().tensors;
      const xt = tensor(x, { shape: [n, d], dtype: 'float64' });
      const loss = fidLoss(xt, fidReference(r.mu, r.sigma));
      expect(relErr(loss.itemSync(), want), `n ${n} d ${d}`).toBeLessThan(1e-8);
      loss.dispose();
      xt.dispose();
      expect(memory().tensors).toBe(before);
    }
  });

  // generated batches (2-5 rows, 1-4 dims, values in [0, 2]) against generated references. Every
  // column keeps a spread of 0.05: where the batch covariance loses rank, an eigenvalue of S_b S_r
  // reaches 0 and tr sqrt has its kink (the finite differences then straddle it, as deltaE's do at
  // equal colours).
  const refs = new Map<string, FidReference>();
  const refFor = (d: number, nRef: number) => {
    const key = `${d}:${nRef}`;
    if (!refs.has(key)) {
      const r = reference(d, nRef, d * 31 + nRef);
      refs.set(key, fidReference(r.mu, r.sigma));
    }
    return refs.get(key)!;
  };
  const arb: fc.Arbitrary<ParamCase<FidReference>> = fc
    .record({ n: fc.integer({ min: 2, max: 5 }), d: fc.integer({ min: 1, max: 4 }), nRef: fc.integer({ min: 2, max: 8 }) })
    .chain(({ n, d, nRef }) =>
      specOf([n, d], { min: 0, max: 2, tiny: false })
        .filter((x: TensorSpec) =>
          Array.from({ length: d }, (_, j) => x.values.filter((_, i) => i % d === j)).every((col) => Math.max(...col) - Math.min(...col) >= 0.05),
        )
        .map((x: TensorSpec) => ({ inputs: [x], params: refFor(d, nRef) })),
    );
  it('gradcheck and gradgradcheck in float64 on generated batches and references', () => {
    propertyGradcheck('fidLoss', arb, (xs: Tensor[], r: FidReference) => fidLoss(xs[0]!, r, { iterations: 25 }), { numRuns: 25 });
  }, 120_000);

  it('bad input', () => {
    const r = fidReference([0, 0], [1, 0, 0, 1]);
    expect(() => fidLoss(tensor([[1, 2, 3]]), r)).toThrow(/features must be \[n, 2\], got \[1, 3\]/);
    expect(() => fidLoss(tensor([[1, 2]]), r)).toThrow(/a batch of 1 has no covariance/);
    expect(() => fidReference([0, 0], [1, 0, 0])).toThrow(/sigma has 3 values, expected 2x2/);
  });
});
