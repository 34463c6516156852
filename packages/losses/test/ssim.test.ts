/**
 * SSIM, MS-SSIM and the MATLAB-style downsampling.
 *
 * References:
 * - Wang's einstein set: the values published on the SSIM authors' page (Wang et al. 2004,
 *   https://www.cns.nyu.edu/~lcv/ssim/), as tabulated in ../shared/fixtures/expected-values.json
 *   (3 decimals), and scikit-image 0.19.3's structural_similarity with the same parameters
 *   (gaussian_weights, sigma 1.5, population covariance, data_range 255; 6 decimals).
 * - skimage's camera / noisy-camera pair: IPOL imdiff's 0.357959 (skimage's
 *   test_gaussian_structural_similarity_vs_IPOL, 3 decimals) and skimage 0.19.3's
 *   0.3579642362365845.
 * Images are read with readImage from @pixgrad/models.
 * - ssim.m's pre-downsampling (f = round(512/256) = 2) and MS-SSIM: regression values from an
 *   independent NumPy/SciPy transcription of Wang's ssim.m and msssim.m (imfilter 'symmetric'
 *   'same' with MATLAB's kernel origin, filter2 'valid'), which reproduces the skimage numbers
 *   above to 1e-12; given to 1e-9.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gradients, memory, tensor, tidy, type Tensor } from '@pixgrad/core';
import { propertyGradcheck, specOf } from '@pixgrad/core/testing';
import { matlabDownsample, msSsim, mseLoss, ssim, ssimDownsampleFactor, ssimLoss } from '@pixgrad/losses';
import { describeFixtures, fixture } from '../../../test/helpers/fixtures.js';
import { readImage } from '@pixgrad/models';
import { hashUniform } from '../../models/test/inception-weights.js';

/** An 8-bit grey fixture as float64 grey levels 0..255 (readImage gives k / 255 in float32; k is recovered exactly). */
async function readGrey(path: string): Promise<Tensor> {
  const t = await readImage(path);
  const out = tidy(() => t.cast('float64').mul(255).round());
  t.dispose();
  return out;
}

const f64 = (data: number[], shape: number[]) => tensor(data, { shape, dtype: 'float64' });
const expected = async () => JSON.parse(await import('node:fs').then((fs) => fs.readFileSync(fixture('expected-values.json'), 'utf8')));

describeFixtures('ssim on the reference images', () => {
  it("reproduces Wang's published einstein values (and skimage's to 1e-6); downsample is a no-op at 256x256", async () => {
    const ev = (await expected()).ssim['wang-einstein'].pairs;
    const ref = await readGrey(fixture('ssim/wang-einstein/png/einstein.png'));
    for (const name of ['einstein', 'meanshift', 'contrast', 'impulse', 'blur', 'jpg']) {
      const img = await readGrey(fixture(`ssim/wang-einstein/png/${name}.png`));
      const s = ssim(ref, img, { dataRange: 255 }).itemSync();
      expect(Math.abs(s - ev[name].published_ssim), name).toBeLessThan(5e-4);
      expect(Math.abs(s - ev[name].computed_ssim), name).toBeLessThan(1e-6);
      const sd = ssim(ref, img, { dataRange: 255, downsample: true }).itemSync();
      expect(sd).toBe(s);
      expect(Math.abs(mseLoss(ref, img).itemSync() - ev[name].computed_mse)).toBeLessThan(1e-3);
      img.dispose();
    }
    ref.dispose();
  });

  it('camera vs noisy camera: IPOL / skimage without downsampling, ssim.m with it', async () => {
    const ev = (await expected()).ssim['skimage-camera'];
    const cam = await readGrey(fixture('ssim/skimage-camera/camera.png'));
    const noisy = await readGrey(fixture('ssim/skimage-camera/camera_noisy_seed5_sigma20.png'));
    const s = ssim(cam, noisy, { dataRange: 255 }).itemSync();
    expect(Math.abs(s - ev.published.mssim_IPOL.value)).toBeLessThan(5e-4);
    expect(Math.abs(s - ev.computed.gaussian_population)).toBeLessThan(1e-9);
    expect(ssimDownsampleFactor(512, 512)).toBe(2);
    const sd = ssim(cam, noisy, { dataRange: 255, downsample: true }).itemSync();
    expect(Math.abs(sd - 0.6244639495511652)).toBeLessThan(1e-9);
    // dataRange scales with the values: the same images in [0, 1]
    const s01 = ssim(cam.div(255), noisy.div(255)).itemSync();
    expect(Math.abs(s01 - s)).toBeLessThan(1e-12);
    cam.dispose();
    noisy.dispose();
  });

  it('MS-SSIM on the einstein set and the camera pair (regression, msssim.m transcription)', async () => {
    const ref = await readGrey(fixture('ssim/wang-einstein/png/einstein.png'));
    const want: Record<string, number> = { blur: 0.9267811134980044, jpg: 0.886196335045761, contrast: 0.9731790481445632 };
    for (const [name, v] of Object.entries(want)) {
      const img = await readGrey(fixture(`ssim/wang-einstein/png/${name}.png`));
      expect(Math.abs(msSsim(ref, img, { dataRange: 255 }).itemSync() - v), name).toBeLessThan(1e-9);
      img.dispose();
    }
    expect(msSsim(ref, ref, { dataRange: 255 }).itemSync()).toBeCloseTo(1, 12);
    ref.dispose();
    const cam = await readGrey(fixture('ssim/skimage-camera/camera.png'));
    const noisy = await readGrey(fixture('ssim/skimage-camera/camera_noisy_seed5_sigma20.png'));
    expect(Math.abs(msSsim(cam, noisy, { dataRange: 255 }).itemSync() - 0.7933915442547528)).toBeLessThan(1e-9);
    cam.dispose();
    noisy.dispose();
  });
});

describe("MS-SSIM's two downsampling conventions", () => {
  // packages/losses/scripts/gen-msssim-reference.py: pytorch-msssim (VainF, b057b07) ms_ssim on
  // torch 1.13 in float64, images from the counter hash of models' gen-inception-reference.py
  const ref = JSON.parse(readFileSync(new URL('./data/msssim-reference.json', import.meta.url), 'utf8')) as Record<
    string,
    { value: number; grad_norm: number; grad_dot_r: number; grad_at: number[] }
  > & { indices: number[] };
  const pair = (s: number) => {
    const n = 3 * s * s;
    const x = tensor(hashUniform('msssim:x', n), { shape: [1, 3, s, s], dtype: 'float64', requiresGrad: true });
    const u = hashUniform('msssim:y', n);
    const xv = hashUniform('msssim:x', n);
    const y = tensor(
      xv.map((v, i) => Math.min(1, Math.max(0, 0.7 * v + 0.3 * u[i]!))),
      { shape: [1, 3, s, s], dtype: 'float64' },
    );
    return { x, y, r: hashUniform('msssim:r', n) };
  };

  it("'pytorch-msssim' equals pytorch-msssim's value and gradient on a 300x300 pair (odd sizes at 75 and 19), where 'msssim.m' differs", () => {
    const { x, y, r } = pair(300);
    const want = ref['300']!;
    const v = msSsim(x, y, { downsampling: 'pytorch-msssim' });
    expect(Math.abs(v.itemSync() - want.value)).toBeLessThan(1e-12);
    const [g] = gradients(v, [x]);
    const gd = g!.dataSync() as Float64Array;
    const norm = Math.sqrt(gd.reduce((a, b) => a + b * b, 0));
    expect(Math.abs(norm - want.grad_norm) / want.grad_norm).toBeLessThan(1e-10);
    expect(Math.abs(gd.reduce((a, b, i) => a + b * r[i]!, 0) - want.grad_dot_r)).toBeLessThan(1e-10 * want.grad_norm * 300);
    ref.indices.forEach((k, i) => expect(Math.abs(gd[k]! - want.grad_at[i]!)).toBeLessThan(1e-12 * (1 + Math.abs(want.grad_at[i]!))));
    // msssim.m's symmetric extension: a different value (by ~1e-6 here) and gradient (by percents)
    const m = msSsim(x, y);
    expect(Math.abs(m.itemSync() - want.value)).toBeGreaterThan(1e-7);
    const [gm] = gradients(m, [x]);
    const diff = Math.sqrt((gm!.dataSync() as Float64Array).reduce((a, b, i) => a + (b - gd[i]!) ** 2, 0)) / norm;
    expect(diff).toBeGreaterThan(1e-3);
    for (const t of [x, y, v, g!, m, gm!]) t.dispose();
  }, 60_000);

  it('both conventions agree with pytorch-msssim on a 256x256 pair (even sizes at every scale)', () => {
    const { x, y } = pair(256);
    for (const downsampling of ['msssim.m', 'pytorch-msssim'] as const) {
      const v = msSsim(x, y, { downsampling });
      expect(Math.abs(v.itemSync() - ref['256']!.value), downsampling).toBeLessThan(1e-12);
      v.dispose();
    }
    expect(() => msSsim(x, y, { downsampling: 'piq' as 'msssim.m' })).toThrow(/downsampling must be 'msssim.m' or 'pytorch-msssim', got "piq"/);
    x.dispose();
    y.dispose();
  }, 60_000);
});

describe('ssim semantics', () => {
  it('a large multi-channel image (filtered one channel at a time) gives the per-channel values, map and gradient', async () => {
    // 1024x1024: past the plane size from which ssim filters channel by channel
    const [H, W] = [1024, 1024];
    const x = tensor(Float32Array.from(hashUniform('ssim-large-x', 3 * H * W)), { shape: [1, 3, H, W] });
    const y = tensor(Float32Array.from(hashUniform('ssim-large-y', 3 * H * W)), { shape: [1, 3, H, W] }).requiresGrad_();
    const { ssim: s, map } = ssim(x, y, { returnMap: true });
    const [dy] = gradients(s, [y]);
    for (let c = 0; c < 3; c++) {
      const xc = x.slice([null, [c, c + 1]]);
      const yc = y
        .detach()
        .slice([null, [c, c + 1]])
        .requiresGrad_();
      const one = ssim(xc, yc, { returnMap: true });
      const [dc] = gradients(one.ssim, [yc]);
      expect(Array.from(map.slice([null, [c, c + 1]]).dataSync())).toEqual(Array.from(one.map.dataSync()));
      // the 3-channel value is the mean of the channels': its gradient is a third of each channel's
      const want = dc!.dataSync();
      const got = dy!.slice([null, [c, c + 1]]).dataSync();
      // (float32: the two scalings round differently)
      for (let i = 0; i < want.length; i += 997) expect(Math.abs(got[i]! - want[i]! / 3)).toBeLessThanOrEqual(1e-5 * Math.abs(want[i]! / 3) + 1e-12);
    }
    const means = await Promise.all(
      [0, 1, 2].map((c) =>
        map
          .slice([null, [c, c + 1]])
          .mean()
          .item(),
      ),
    );
    expect(await s.item()).toBeCloseTo((means[0]! + means[1]! + means[2]!) / 3, 6);
  });

  const img = (seed: number, shape = [2, 3, 13, 14]) => {
    let s = seed;
    const n = shape.reduce((a, b) => a * b, 1);
    const v = Array.from({ length: n }, () => (s = (s * 16807) % 2147483647) / 2147483647);
    return f64(v, shape);
  };

  it('identical images give exactly 1; maps have the documented shapes', () => {
    const x = img(1);
    const y = img(2);
    expect(ssim(x, x).itemSync()).toBeCloseTo(1, 14);
    const { ssim: v, map } = ssim(x, y, { returnMap: true });
    expect(map.shape).toEqual([2, 3, 3, 4]);
    expect(v.itemSync()).toBeCloseTo(map.mean().itemSync(), 14);
    for (const padding of ['reflect', 'symmetric'] as const) {
      const r = ssim(x, y, { padding, returnMap: true });
      expect(r.map.shape).toEqual([2, 3, 13, 14]);
    }
    expect(ssim(x, y, { reduction: 'none' }).shape).toEqual([2]);
    expect(ssimLoss(x, y).itemSync()).toBeCloseTo(1 - v.itemSync(), 14);
  });

  it('is the per-channel mean: a 2-channel image scores the mean of its channels', () => {
    const x = img(3, [1, 2, 12, 12]);
    const y = img(4, [1, 2, 12, 12]);
    const per = [0, 1].map((c) => ssim(x.slice([null, [c, c + 1]]), y.slice([null, [c, c + 1]])).itemSync());
    expect(ssim(x, y).itemSync()).toBeCloseTo((per[0]! + per[1]!) / 2, 14);
  });

  it('hand-computed: constant images reduce to the luminance term', () => {
    // constant a and b: variances 0, so SSIM = (2ab + C1) / (a^2 + b^2 + C1)
    const x = f64(Array(144).fill(0.2), [1, 1, 12, 12]);
    const y = f64(Array(144).fill(0.6), [1, 1, 12, 12]);
    const C1 = 0.01 ** 2;
    expect(ssim(x, y).itemSync()).toBeCloseTo((2 * 0.2 * 0.6 + C1) / (0.04 + 0.36 + C1), 11);
  });

  it('rejects images smaller than the window and mismatched shapes, naming the shapes', () => {
    const x = img(5, [1, 1, 8, 8]);
    expect(() => ssim(x, x)).toThrow(/\[1, 1, 8, 8\].*11x11/);
    expect(() => ssim(x, img(6, [1, 1, 8, 9]))).toThrow(/\[1, 1, 8, 8\].*\[1, 1, 8, 9\]/);
    expect(() => msSsim(img(7, [1, 1, 100, 100]), img(8, [1, 1, 100, 100]))).toThrow(/161/);
  });

  it("matlabDownsample matches imfilter(ones(f)/f^2, 'symmetric', 'same') then (1:f:end) on odd sizes", () => {
    const x = f64(
      Array.from({ length: 35 }, (_, i) => i),
      [1, 1, 5, 7],
    );
    expect(matlabDownsample(x, 2).arraySync()).toEqual([
      [
        [
          [4, 6, 8, 9.5],
          [18, 20, 22, 23.5],
          [28.5, 30.5, 32.5, 34],
        ],
      ],
    ]);
    const d3 = matlabDownsample(x, 3).dataSync();
    [8 / 3, 16 / 3, 8, 64 / 3, 24, 80 / 3].forEach((v, i) => expect(d3[i]).toBeCloseTo(v, 12));
  });

  it('MS-SSIM with one scale is SSIM; identical images give 1', () => {
    const x = img(9, [1, 2, 12, 12]);
    const y = img(10, [1, 2, 12, 12]);
    // per channel: relu(SSIM_c)^1, then the mean over channels
    const perChannel = [0, 1].map((c) => Math.max(0, ssim(x.slice([null, [c, c + 1]]), y.slice([null, [c, c + 1]])).itemSync()));
    expect(msSsim(x, y, { weights: [1] }).itemSync()).toBeCloseTo((perChannel[0]! + perChannel[1]!) / 2, 14);
    expect(msSsim(x, x, { weights: [0.5, 0.5], winSize: 3 }).itemSync()).toBeCloseTo(1, 14);
  });

  it('leaves no tensors behind (forward and backward)', () => {
    const x = img(11, [1, 1, 12, 12]);
    const y = img(12, [1, 1, 12, 12]);
    x.requiresGrad = true;
    const before = memory().tensors;
    const l = ssimLoss(x, y);
    l.backward();
    l.dispose();
    x.zeroGrad();
    expect(memory().tensors).toBe(before);
  });
});

describe('ssim gradients (float64 gradcheck, fast-check)', () => {
  const pair = (shape: fc.Arbitrary<number[]>) => shape.chain((s) => fc.tuple(specOf(s, { min: 0, max: 1 }), specOf(s, { min: 0, max: 1 }), fc.boolean()));
  const small = fc
    .tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 5, max: 7 }), fc.integer({ min: 5, max: 7 }))
    .map((t) => [...t]);

  it('ssim (valid and reflect borders, including identical images)', () => {
    propertyGradcheck(
      'ssim',
      pair(small).map(([a, b, same]) => ({ inputs: [a, same ? { ...a } : b], params: { same } })),
      ([x, y]) => tidy(() => ssim(x!, y!, { winSize: 5, sigma: 1, padding: 'valid' }).add(ssim(x!, y!, { winSize: 3, padding: 'reflect' }))),
      { numRuns: 25, gradgrad: false },
    );
  });

  it('msSsim (two scales) and the MATLAB downsampling', () => {
    const s = fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 5, max: 7 }), fc.integer({ min: 5, max: 7 })).map(([c, h, w]) => [1, c, h, w]);
    propertyGradcheck(
      'msSsim',
      pair(s).map(([a, b]) => [a, b] as const),
      (x: Tensor, y: Tensor) =>
        tidy(() => msSsim(x, y, { winSize: 3, sigma: 1, weights: [0.4, 0.6], dataRange: 0.5 }).add(matlabDownsample(x, 3).square().sum())),
      { numRuns: 20, gradgrad: false },
    );
  });
});
