/**
 * Classification and statistical losses. Expected values are hand-computed (plain JS arithmetic
 * below) from PyTorch's documented semantics: torch.nn.functional.cross_entropy (weighted mean
 * normalisation by the target weights, ignore_index, label_smoothing as in ATen's
 * cross_entropy_loss_label_smoothing), nll_loss, binary_cross_entropy (log clamped at -100),
 * binary_cross_entropy_with_logits (pos_weight), kl_div (reduction 'batchmean', log_target);
 * and from closed forms: JS divergence of disjoint supports = ln 2, entropy of a uniform
 * distribution = ln C.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IndexError, tensor, tidy, type Tensor } from '@pixgrad/core';
import { propertyGradcheck, specOf, type TensorSpec } from '@pixgrad/core/testing';
import {
  bceWithLogits,
  binaryCrossEntropy,
  classBalanceWeightMap,
  crossEntropy,
  entropy,
  frobeniusNorm,
  gramMatrix,
  jsDivergence,
  klDiv,
  nllLoss,
  pixelWeightedCrossEntropy,
} from '@pixgrad/losses';

const f = (v: number[], shape = [v.length]) => tensor(v, { shape, dtype: 'float64' });
const i32 = (v: number[], shape = [v.length]) => tensor(v, { shape, dtype: 'int32' });
const vals = (x: Tensor) => Array.from(x.dataSync());
const lse = (r: number[]) => Math.log(r.reduce((s, v) => s + Math.exp(v), 0));
const logSoftmax = (r: number[]) => r.map((v) => v - lse(r));

describe('crossEntropy and nllLoss', () => {
  const rows = [
    [1, 2, 3],
    [1, 1, 1],
    [0.5, -1, 2],
  ];
  const logits = f(rows.flat(), [3, 3]);
  const lp = rows.map(logSoftmax);

  it('class indices: mean, sum, none', () => {
    const y = i32([2, 0, 1]);
    const nll = [-lp[0]![2]!, -lp[1]![0]!, -lp[2]![1]!];
    expect(crossEntropy(logits, y).itemSync()).toBeCloseTo((nll[0]! + nll[1]! + nll[2]!) / 3, 14);
    expect(crossEntropy(logits, y, { reduction: 'sum' }).itemSync()).toBeCloseTo(nll[0]! + nll[1]! + nll[2]!, 14);
    vals(crossEntropy(logits, y, { reduction: 'none' })).forEach((v, i) => expect(v).toBeCloseTo(nll[i]!, 14));
    expect(nllLoss(logits.logSoftmax(1), y).itemSync()).toBeCloseTo((nll[0]! + nll[1]! + nll[2]!) / 3, 14);
  });

  it('class weights: the mean divides by the sum of the targets’ weights; ignoreIndex drops samples', () => {
    const w = f([1, 2, 3]);
    const y = i32([2, 0, 1]);
    const num = 3 * -lp[0]![2]! + 1 * -lp[1]![0]! + 2 * -lp[2]![1]!;
    expect(crossEntropy(logits, y, { weight: w }).itemSync()).toBeCloseTo(num / 6, 14);
    expect(crossEntropy(logits, y, { weight: w, reduction: 'sum' }).itemSync()).toBeCloseTo(num, 14);
    const yi = i32([2, -100, 1]);
    expect(crossEntropy(logits, yi).itemSync()).toBeCloseTo((-lp[0]![2]! - lp[2]![1]!) / 2, 14);
    expect(crossEntropy(logits, yi, { weight: w }).itemSync()).toBeCloseTo((3 * -lp[0]![2]! + 2 * -lp[2]![1]!) / 5, 14);
    expect(vals(crossEntropy(logits, i32([2, 7, 1]), { ignoreIndex: 7, reduction: 'none' }))[1]).toBe(0);
    // every target ignored: NaN, as PyTorch
    expect(crossEntropy(logits, i32([-100, -100, -100])).itemSync()).toBeNaN();
  });

  it('label smoothing (with weights and ignored targets) as ATen computes it', () => {
    const w = [1, 2, 3];
    const y = [2, -100, 1];
    const eps = 0.2;
    const C = 3;
    const keep = y.map((c) => c !== -100);
    const nllSum = y.reduce((s, c, i) => s + (keep[i] ? w[c]! * -lp[i]![c]! : 0), 0);
    const wSum = y.reduce((s, c, i) => s + (keep[i] ? w[c]! : 0), 0);
    const smooth = lp.map((r, i) => (keep[i] ? -r.reduce((s, v, c) => s + w[c]! * v, 0) : 0));
    const want = (1 - eps) * (nllSum / wSum) + (eps / C) * (smooth.reduce((a, b) => a + b, 0) / wSum);
    expect(crossEntropy(logits, i32(y), { weight: f(w), labelSmoothing: eps }).itemSync()).toBeCloseTo(want, 14);
    // unweighted: the smoothing term is divided by the number of kept targets
    const nll0 = (-lp[0]![2]! - lp[2]![1]!) / 2;
    const sm0 = (-lp[0]!.reduce((a, b) => a + b, 0) - lp[2]!.reduce((a, b) => a + b, 0)) / 2;
    expect(crossEntropy(logits, i32(y), { labelSmoothing: eps }).itemSync()).toBeCloseTo((1 - eps) * nll0 + (eps / C) * sm0, 14);
    // 'none': per sample, 0 where ignored
    const none = vals(crossEntropy(logits, i32(y), { labelSmoothing: eps, reduction: 'none' }));
    expect(none[1]).toBe(0);
    expect(none[0]).toBeCloseTo((1 - eps) * -lp[0]![2]! + (eps / C) * -lp[0]!.reduce((a, b) => a + b, 0), 14);
  });

  it('probability targets: -sum t log p, smoothed t, mean over samples (weights do not normalise)', () => {
    const t = [
      [0, 0.5, 0.5],
      [1 / 3, 1 / 3, 1 / 3],
      [1, 0, 0],
    ];
    const per = t.map((r, i) => -r.reduce((s, v, c) => s + v * lp[i]![c]!, 0));
    expect(crossEntropy(logits, f(t.flat(), [3, 3])).itemSync()).toBeCloseTo((per[0]! + per[1]! + per[2]!) / 3, 14);
    const w = [1, 2, 3];
    const perW = t.map((r, i) => -r.reduce((s, v, c) => s + w[c]! * v * lp[i]![c]!, 0));
    expect(crossEntropy(logits, f(t.flat(), [3, 3]), { weight: f(w) }).itemSync()).toBeCloseTo((perW[0]! + perW[1]! + perW[2]!) / 3, 14);
    const ts = t.map((r) => r.map((v) => v * 0.9 + 0.1 / 3));
    const perS = ts.map((r, i) => -r.reduce((s, v, c) => s + v * lp[i]![c]!, 0));
    expect(crossEntropy(logits, f(t.flat(), [3, 3]), { labelSmoothing: 0.1, reduction: 'sum' }).itemSync()).toBeCloseTo(perS[0]! + perS[1]! + perS[2]!, 14);
  });

  it('per-pixel segmentation [N, C, H, W] with [N, H, W] labels; unbatched [C]', () => {
    // N = 1, C = 3, H = 1, W = 3: pixel j has the logits rows[j]
    const seg = f(
      [0, 1, 2].flatMap((c) => rows.map((r) => r[c]!)),
      [1, 3, 1, 3],
    );
    const labels = i32([2, 0, 1], [1, 1, 3]);
    const flat = crossEntropy(logits, i32([2, 0, 1]), { reduction: 'none' });
    const map = crossEntropy(seg, labels, { reduction: 'none' });
    expect(map.shape).toEqual([1, 1, 3]);
    vals(map).forEach((v, i) => expect(v).toBeCloseTo(vals(flat)[i]!, 14));
    expect(crossEntropy(f(rows[0]!), i32([2], [])).itemSync()).toBeCloseTo(-lp[0]![2]!, 14);
  });

  it('bad targets: out of range is an IndexError; shapes are named', () => {
    expect(() => crossEntropy(logits, i32([3, 0, 1])).itemSync()).toThrow(IndexError);
    expect(() => crossEntropy(logits, i32([0, 1]))).toThrow(/crossEntropy.*\[2\].*\[3\].*\[3, 3\]/);
    expect(() => crossEntropy(logits, i32([0, 1, 2]), { weight: f([1, 2]) })).toThrow(/weight \[2\].*\[3\]/);
  });

  it('pixelWeightedCrossEntropy and classBalanceWeightMap', () => {
    const seg = f(
      [0, 1, 2].flatMap((c) => rows.map((r) => r[c]!)),
      [1, 3, 1, 3],
    );
    const labels = i32([2, 0, 0], [1, 1, 3]);
    const ce = vals(crossEntropy(seg, labels, { reduction: 'none' }));
    const wm = classBalanceWeightMap(labels, 3, { dtype: 'float64' });
    // total 3 labelled pixels, 2 classes present: class 2 -> 3 / (2 * 1), class 0 -> 3 / (2 * 2)
    expect(vals(wm)).toEqual([1.5, 0.75, 0.75]);
    const want = (1.5 * ce[0]! + 0.75 * ce[1]! + 0.75 * ce[2]!) / 3;
    expect(pixelWeightedCrossEntropy(seg, labels, wm).itemSync()).toBeCloseTo(want, 14);
    const ign = i32([2, -100, 0], [1, 1, 3]);
    expect(vals(classBalanceWeightMap(ign, 3, { dtype: 'float64' }))).toEqual([1, 0, 1]);
  });
});

describe('binary cross-entropy', () => {
  it('binaryCrossEntropy: -(y log p + (1 - y) log(1 - p)), logs clamped at -100', () => {
    const l = vals(binaryCrossEntropy(f([0.2, 0.9, 0, 1, 0, 0.5]), f([0, 1, 0, 1, 1, 0.3]), { reduction: 'none' }));
    const want = [-Math.log(0.8), -Math.log(0.9), 0, 0, 100, -Math.log(0.5)];
    want.forEach((v, i) => expect(l[i]).toBeCloseTo(v, 12));
    expect(binaryCrossEntropy(f([0.2, 0.9]), f([0, 1]), { weight: f([2, 1]) }).itemSync()).toBeCloseTo((-2 * Math.log(0.8) - Math.log(0.9)) / 2, 14);
  });

  it('bceWithLogits: stable for saturated logits; posWeight multiplies the positive term', () => {
    const sp = (v: number) => Math.log1p(Math.exp(v));
    const l = vals(bceWithLogits(f([0, 2, -3, 100, -100, 800]), f([1, 0, 1, 1, 0, 0]), { reduction: 'none' }));
    [Math.LN2, sp(2), sp(3), 0, 0, 800].forEach((v, i) => expect(l[i]).toBeCloseTo(v, 12));
    const lp = vals(bceWithLogits(f([0, 2, -3]), f([1, 0, 0.5]), { posWeight: f([2]), reduction: 'none' }));
    // (1 - y) x + (1 + (pw - 1) y) softplus(-x)
    [2 * Math.LN2, 2 + sp(-2), 0.5 * -3 + 1.5 * sp(3)].forEach((v, i) => expect(lp[i]).toBeCloseTo(v, 12));
    // agrees with binaryCrossEntropy(sigmoid(x)) where sigmoid does not saturate
    const x = f([-2, -0.5, 0.3, 1.7]);
    const y = f([0, 1, 0.25, 1]);
    expect(bceWithLogits(x, y).itemSync()).toBeCloseTo(binaryCrossEntropy(x.sigmoid(), y).itemSync(), 13);
  });
});

describe('divergences, entropy, norms', () => {
  it('klDiv: p (log p - log q) with PyTorch reductions; 0 log 0 = 0; logTarget', () => {
    const logq = f([Math.log(0.25), Math.log(0.75)], [1, 2]);
    const p = f([0.5, 0.5], [1, 2]);
    const kl = 0.5 * Math.log(2) + 0.5 * Math.log(0.5 / 0.75);
    expect(klDiv(logq, p, { reduction: 'batchmean' }).itemSync()).toBeCloseTo(kl, 14);
    expect(klDiv(logq, p).itemSync()).toBeCloseTo(kl / 2, 14);
    expect(klDiv(logq, p, { reduction: 'sum' }).itemSync()).toBeCloseTo(kl, 14);
    expect(klDiv(logq, p.log(), { logTarget: true, reduction: 'batchmean' }).itemSync()).toBeCloseTo(kl, 14);
    expect(klDiv(logq, f([0, 1], [1, 2]), { reduction: 'sum' }).itemSync()).toBeCloseTo(-Math.log(0.75), 14);
    // batchmean divides by the batch size
    const two = klDiv(f([Math.log(0.25), Math.log(0.75), Math.log(0.5), Math.log(0.5)], [2, 2]), f([0.5, 0.5, 0.5, 0.5], [2, 2]), { reduction: 'batchmean' });
    expect(two.itemSync()).toBeCloseTo(kl / 2, 14);
  });

  it('jsDivergence: ln 2 for disjoint supports, 0 for identical, symmetric', () => {
    const p = f([1, 0, 0.5, 0.5, 0.2, 0.8], [3, 2]);
    const q = f([0, 1, 0.5, 0.5, 0.6, 0.4], [3, 2]);
    const js = vals(jsDivergence(p, q, { reduction: 'none' }));
    expect(js[0]).toBeCloseTo(Math.LN2, 15);
    expect(js[1]).toBe(0);
    const m = [0.4, 0.6];
    expect(js[2]).toBeCloseTo(
      0.5 * (0.2 * Math.log(0.2 / m[0]!) + 0.8 * Math.log(0.8 / m[1]!)) + 0.5 * (0.6 * Math.log(0.6 / m[0]!) + 0.4 * Math.log(0.4 / m[1]!)),
      14,
    );
    vals(jsDivergence(q, p, { reduction: 'none' })).forEach((v, i) => expect(v).toBeCloseTo(js[i]!, 15));
    expect(jsDivergence(p.log(), q.log(), { log: true, reduction: 'none' }).dataSync()[0]).toBeCloseTo(Math.LN2, 15);
  });

  it('entropy: ln C for uniform, 0 for one-hot; frobeniusNorm; gramMatrix / (C H W)', () => {
    expect(vals(entropy(f([0.25, 0.25, 0.25, 0.25, 1, 0, 0, 0], [2, 4]), { reduction: 'none' })).map((v) => v + 0)).toEqual([Math.log(4), 0]);
    expect(entropy(f([0.25, 0.75], [1, 2]).log(), { log: true }).itemSync()).toBeCloseTo(-(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75)), 15);
    expect(frobeniusNorm(f([3, 4], [1, 2])).itemSync()).toBe(5);
    expect(vals(frobeniusNorm(f([3, 4, 0, 0, 6, 8, 0, 0], [2, 2, 2]), { axis: [-2, -1] }))).toEqual([5, 10]);
    const g = gramMatrix(f([1, 2, 3, 4], [1, 2, 1, 2]));
    expect(g.arraySync()).toEqual([
      [
        [5 / 4, 11 / 4],
        [11 / 4, 25 / 4],
      ],
    ]);
  });
});

/** logits [N, C] or [N, C, 1, W] with int labels (some ignored), saturated logits included */
const ceCase = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 4 }), fc.constantFrom<number[]>([], [1, 2])).chain(([N, C, sp]) => {
  const inShape = [N, C, ...sp];
  const tShape = [N, ...sp];
  const nT = tShape.reduce((a, b) => a * b, 1);
  return fc.record({
    inputs: fc.tuple(specOf(inShape, { min: -30, max: 30, large: 30 })).map((s) => [...s] as TensorSpec[]),
    params: fc.record({
      labels: fc
        .array(fc.oneof({ arbitrary: fc.integer({ min: 0, max: C - 1 }), weight: 4 }, { arbitrary: fc.constant(-100), weight: 1 }), {
          minLength: nT,
          maxLength: nT,
        })
        .filter((l) => l.some((v) => v >= 0)),
      probs: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: (N * C * nT) / N, maxLength: (N * C * nT) / N }),
      weight: fc.array(fc.double({ min: 0.1, max: 3, noNaN: true }), { minLength: C, maxLength: C }),
      smoothing: fc.constantFrom(0, 0.1),
      tShape: fc.constant(tShape),
      inShape: fc.constant(inShape),
    }),
  });
});

describe('classification gradcheck (float64, incl. saturated logits)', () => {
  it('crossEntropy (indices with weight, ignoreIndex, smoothing; probabilities), nllLoss, pixelWeightedCrossEntropy', () => {
    propertyGradcheck(
      'crossEntropy',
      ceCase,
      ([x], p) =>
        tidy(() => {
          const y = tensor(p.labels, { shape: p.tShape, dtype: 'int32' });
          const w = tensor(p.weight, { dtype: 'float64' });
          const probs = tensor(p.probs, { shape: p.inShape, dtype: 'float64' });
          let l = crossEntropy(x!, y, { weight: w, labelSmoothing: p.smoothing })
            .add(crossEntropy(x!, y, { reduction: 'sum' }))
            .add(crossEntropy(x!, probs, { labelSmoothing: p.smoothing, weight: w }))
            .add(nllLoss(x!.logSoftmax(1), y, { weight: w, reduction: 'sum' }));
          if (p.tShape.length === 3) {
            const map = tensor(
              p.labels.map((_, i) => 0.5 + (i % 3)),
              { shape: p.tShape, dtype: 'float64' },
            );
            l = l.add(pixelWeightedCrossEntropy(x!, y, map));
          }
          return l;
        }),
      { numRuns: 50, gradgrad: false },
    );
  });

  it('binaryCrossEntropy, bceWithLogits (saturated, posWeight)', () => {
    const s = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })).map(([a, b]) => [a, b]);
    propertyGradcheck(
      'bce',
      s.chain((sh) => fc.tuple(specOf(sh, { min: 0.02, max: 0.98 }), specOf(sh, { min: 0, max: 1 }), specOf(sh, { min: -40, max: 40, large: 40 }))),
      (p: Tensor, y: Tensor, x: Tensor) =>
        tidy(() => {
          const pw = tensor(
            Array.from({ length: x.shape[1]! }, (_, i) => 0.5 + i),
            { dtype: 'float64' },
          );
          return binaryCrossEntropy(p, y)
            .add(bceWithLogits(x, y, { posWeight: pw, reduction: 'sum' }))
            .add(bceWithLogits(x, y));
        }),
      { numRuns: 50, gradgrad: false },
    );
  });

  it('klDiv, jsDivergence, entropy, frobeniusNorm (incl. zeros), gramMatrix', () => {
    const s = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 4 })).map(([a, b]) => [a, b]);
    propertyGradcheck(
      'divergences',
      s.chain((sh) => fc.tuple(specOf(sh, { min: -3, max: -0.01 }), specOf(sh, { min: 0.01, max: 1 }), specOf(sh, { min: 0.01, max: 1 }))),
      (logq: Tensor, p: Tensor, q: Tensor) =>
        tidy(() =>
          klDiv(logq, p, { reduction: 'batchmean' })
            .add(klDiv(logq, q.log(), { logTarget: true }))
            .add(jsDivergence(p, q))
            .add(entropy(p, { reduction: 'sum' }))
            .add(frobeniusNorm(logq))
            .add(frobeniusNorm(q.sub(q)).mul(3)),
        ),
      { numRuns: 50, gradgrad: false },
    );
    const g = fc
      .tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }))
      .map((t) => [...t]);
    propertyGradcheck(
      'gramMatrix',
      g.chain((sh) => specOf(sh)).map((a) => [a]),
      (x: Tensor) => gramMatrix(x),
      { numRuns: 50 },
    );
  });
});
