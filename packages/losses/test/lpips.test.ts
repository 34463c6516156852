/**
 * LPIPS (VGG) against an independent float64 implementation of the reference's formula written
 * with plain loops in helpers/lpips-reference.ts (conv 3x3 pad 1 + bias, ReLU, 2x2 max pool, scaling layer, channel
 * unit-normalisation with eps on the norm, 1x1 heads, spatial mean or PyTorch-bilinear upsampling)
 * on the fixture images, with seeded random backbones; identities, symmetry, gradients, loading.
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Tensor, gradcheck, gradients, memory, rand, resize, tensor, Generator, tidy } from '@pixgrad/core';
import { LPIPS_CHANNELS, loadLpipsHeads, randomLpipsHeads, randomVgg, readImage, type Vgg, type LpipsHeads } from '@pixgrad/models';
import { LpipsModel, loadLpips, lpips } from '../src/index.js';
import { describeFixtures, fixture } from '../../../test/helpers/fixtures.js';
import { type Img, conv, lpipsFormula, pool2, relu, toImg } from './helpers/lpips-reference.js';

// ---------------------------------------------------------------- independent reference (float64 loops)

/** VGG16 taps relu1_2 ... relu5_3 from the net's weights, computed in float64 loops. */
function refTaps(net: Vgg, x: Img): Img[] {
  const sd = net.stateDict();
  const taps: Img[] = [];
  let h = x;
  const tapAfter = new Set([3, 8, 15, 22, 29]);
  for (const l of net.layers) {
    if (l.index > 29) break;
    if (l.kind === 'conv')
      h = conv(h, sd.get(`features.${l.index}.weight`)!.dataSync(), sd.get(`features.${l.index}.bias`)!.dataSync(), l.outChannels!, 3, 1, 1);
    else if (l.kind === 'relu') h = relu(h);
    else h = pool2(h);
    if (tapAfter.has(l.index)) taps.push(h);
  }
  return taps;
}

/** LPIPS of one image pair ([3, H, W] values in [-1, 1]); scalar, or the [H, W] map when spatial. */
const refLpips = (net: Vgg, heads: LpipsHeads, a: Img, b: Img, version: '0.1' | '0.0', spatial: boolean): number | Float64Array =>
  lpipsFormula(
    (x) => refTaps(net, x),
    (k) => heads.weights[k]!.dataSync(),
    a,
    b,
    version,
    spatial,
  );

// ---------------------------------------------------------------- tests

describeFixtures('LPIPS on the fixture images against the independent float64 formula', () => {
  const load = async () => {
    const [ref, p0, p1] = await Promise.all(['ex_ref', 'ex_p0', 'ex_p1'].map((n) => readImage(fixture('lpips', 'imgs', `${n}.png`))));
    // [0, 1] -> [-1, 1] as the reference's im2tensor does (the library's normalize option is tested too)
    return tidy(() => [ref!, p0!, p1!].map((t) => t.cast('float64').mul(2).sub(1)));
  };

  it('narrow random VGG16 (4..32 channels), random heads: v0.1 and v0.0, both pairs, scalar and spatial', async () => {
    const [ref, p0, p1] = await load();
    const net = randomVgg('vgg16', { widthMultiplier: 1 / 16, seed: 21, dtype: 'float64' });
    for (const version of ['0.1', '0.0'] as const) {
      const heads = randomLpipsHeads(net.config.filter((v) => v !== 'M').filter((_, i) => [1, 3, 6, 9, 12].includes(i)) as number[], {
        seed: 5,
        dtype: 'float64',
        version,
      });
      const model = new LpipsModel(net, heads);
      for (const p of [p0!, p1!]) {
        const got = model.forward(ref!, p);
        expect(got.shape).toEqual([1, 1, 1, 1]);
        const want = refLpips(net, heads, toImg(ref!), toImg(p), version, false) as number;
        expect(want).toBeGreaterThan(0);
        expect(Math.abs(got.itemSync() - want)).toBeLessThan(1e-12 * Math.max(1, want));
        got.dispose();
        const map = model.forward(ref!, p, { spatial: true });
        expect(map.shape).toEqual([1, 1, 64, 64]);
        const wantMap = refLpips(net, heads, toImg(ref!), toImg(p), version, true) as Float64Array;
        const gotMap = map.dataSync();
        let maxErr = 0;
        wantMap.forEach((v, i) => (maxErr = Math.max(maxErr, Math.abs(v - gotMap[i]!))));
        expect(maxErr).toBeLessThan(1e-12);
        map.dispose();
      }
      heads.dispose();
    }
    net.dispose();
    for (const t of [ref!, p0!, p1!]) t.dispose();
  });

  it('full-width random VGG16 (float32) with the real v0.1 heads: within float32 rounding of the float64 formula; normalize maps [0, 1]', async () => {
    // a 32x32 crop keeps the float64 loops (full-width VGG16 twice) to a few seconds
    const [ref, p0] = (await load()).map((t) => {
      const c = t.slice([
        [0, 1],
        [0, 3],
        [16, 48],
        [16, 48],
      ]);
      t.dispose();
      return c;
    });
    const net = randomVgg('vgg16', { seed: 8 });
    const heads = await loadLpipsHeads(fixture('lpips', 'weights', 'v0.1', 'vgg.pth'));
    const want = refLpips(net, heads, toImg(ref!), toImg(p0!), '0.1', false) as number;
    const [r32, q32, r01, q01] = tidy(() => [ref!.cast('float32'), p0!.cast('float32'), ref!.add(1).div(2).cast('float32'), p0!.add(1).div(2).cast('float32')]);
    const got = lpips(r32!, q32!, { weights: heads, backbone: net });
    expect(Math.abs(got.itemSync() - want) / want).toBeLessThan(1e-4);
    const viaNormalize = lpips(r01!, q01!, { weights: heads, backbone: net, normalize: true });
    expect(Math.abs(viaNormalize.itemSync() - want) / want).toBeLessThan(1e-4);
    for (const t of [got, viaNormalize, r32!, q32!, r01!, q01!, ref!, p0!]) t.dispose();
    heads.dispose();
    net.dispose();
  });
});

describe('LPIPS properties', () => {
  const net = randomVgg('vgg16', { widthMultiplier: 1 / 32, seed: 3, dtype: 'float64' });
  const heads = randomLpipsHeads([2, 4, 8, 16, 16], { seed: 1, dtype: 'float64' });
  const model = new LpipsModel(net, heads);
  afterAll(() => model.dispose());

  it('lpips(x, x) = 0 exactly, symmetric, batched per image, reductions', () => {
    const g = new Generator(2);
    const x = rand([2, 3, 16, 16], { dtype: 'float64', generator: g }).mul(2).sub(1);
    const y = rand([2, 3, 16, 16], { dtype: 'float64', generator: g }).mul(2).sub(1);
    const same = model.forward(x, x);
    expect(Array.from(same.dataSync())).toEqual([0, 0]);
    const xy = model.forward(x, y).dataSync();
    const yx = model.forward(y, x).dataSync();
    expect(Array.from(xy)).toEqual(Array.from(yx));
    expect(xy[0]).toBeGreaterThan(0);
    // each image on its own gives the same value as in the batch
    const one = model.forward(x.slice([[0, 1]]), y.slice([[0, 1]]));
    expect(one.itemSync()).toBeCloseTo(xy[0]!, 14);
    expect(model.forward(x, y, { reduction: 'mean' }).itemSync()).toBeCloseTo((xy[0]! + xy[1]!) / 2, 14);
    expect(model.forward(x, y, { reduction: 'sum' }).itemSync()).toBeCloseTo(xy[0]! + xy[1]!, 14);
  });

  it('gradcheck in float64 (both inputs; a 16x16 pair reaches relu5_3 at 1x1)', () => {
    // Each image is a random 16x16 base plus a bilinearly upsampled 4x4 perturbation p: checking
    // d/dp exercises every pixel's gradient through the whole network with 48 columns per input
    // instead of 768 (the check costs two forward passes per column).
    const g = new Generator(7);
    const bx = rand([1, 3, 16, 16], { dtype: 'float64', generator: g });
    const by = rand([1, 3, 16, 16], { dtype: 'float64', generator: g });
    const px = rand([1, 3, 4, 4], { dtype: 'float64', generator: g, requiresGrad: true });
    const py = rand([1, 3, 4, 4], { dtype: 'float64', generator: g, requiresGrad: true });
    const img = (b: Tensor, p: Tensor) => b.add(resize(p, [16, 16]).mul(0.3));
    const r = gradcheck((a, b) => model.forward(img(bx, a!), img(by, b!), { normalize: true }), [px, py]);
    expect(r.ok, r.report).toBe(true);
    const rs = gradcheck((a) => model.forward(img(bx, a!), by, { normalize: true, spatial: true }), [px]);
    expect(rs.ok, rs.report).toBe(true);
    // not vacuous: the gradient is non-zero, and every tap has live (non-zero) feature columns,
    // so the unit-normalisation's gradient is exercised (dead columns, all channels 0, are
    // constant under the small perturbations and get the zero subgradient)
    const [gx] = tidy(() => gradients(model.forward(img(bx, px), img(by, py), { normalize: true }).sum(), [px]));
    expect(Array.from(gx!.dataSync()).some((v) => Math.abs(v) > 1e-6)).toBe(true);
    gx!.dispose();
    const f = tidy(() => {
      const xin = img(bx, px)
        .mul(2)
        .sub(1)
        .sub(tensor([-0.03, -0.088, -0.188], { shape: [1, 3, 1, 1], dtype: 'float64' }))
        .div(tensor([0.458, 0.448, 0.45], { shape: [1, 3, 1, 1], dtype: 'float64' }));
      return net.features(xin, ['relu1_2', 'relu2_2', 'relu3_3', 'relu4_3', 'relu5_3'], { normalize: false });
    });
    for (const t of f.values()) expect(Array.from(t.square().sum(1).dataSync()).some((v) => v > 0)).toBe(true);
  });

  it('forward + backward leaves nothing behind', () => {
    const x = rand([1, 3, 16, 16], { dtype: 'float64', requiresGrad: true });
    const y = rand([1, 3, 16, 16], { dtype: 'float64' });
    const start = memory().tensors;
    const d = model.forward(x, y);
    d.backward();
    d.dispose();
    expect(x.grad).not.toBeNull();
    expect(memory().tensors).toBe(start + 1); // x.grad
    x.dispose();
    y.dispose();
  });

  it('shape and argument errors', () => {
    const a = rand([1, 3, 16, 16], { dtype: 'float64' });
    const b = rand([1, 3, 8, 8], { dtype: 'float64' });
    const grey = rand([1, 1, 16, 16], { dtype: 'float64' });
    expect(() => model.forward(a, b)).toThrow(/same shape/);
    expect(() => model.forward(grey, grey)).toThrow(/\[N, 3, H, W\]/);
    expect(() => new LpipsModel(net, randomLpipsHeads([2, 4]))).toThrow(/needs 5 heads/);
    expect(() => lpips(a, a, { weights: model, version: '0.0' })).toThrow(/version 0\.0 asked for but the model is v0\.1/);
  });
});

describeFixtures('LPIPS loading paths', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pixgrad-lpips-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lpips() without a loaded model loads heads (path) and backbone (Map) and returns a Promise; loadLpips agrees', async () => {
    const net = randomVgg('vgg16', { seed: 2 });
    const x = rand([1, 3, 32, 32]);
    const y = rand([1, 3, 32, 32]);
    const headsPath = fixture('lpips', 'weights', 'v0.1', 'vgg.pth');
    const pending = lpips(x, y, { weights: headsPath, backbone: net.stateDict(), normalize: true });
    expect(pending).toBeInstanceOf(Promise);
    const d = await pending;
    const model = await loadLpips({ weights: headsPath, backbone: net });
    const e = model.forward(x, y, { normalize: true });
    expect(d.itemSync()).toBe(e.itemSync());
    model.heads.dispose();
    for (const t of [d, e, x, y]) t.dispose();
    net.dispose();
  });

  it('without weights anywhere the error says where it looked', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { TORCH_HOME: join(dir, 'none'), HOME: join(dir, 'nohome'), VIRTUAL_ENV: join(dir, 'novenv'), PYTHONPATH: '' });
    const x = rand([1, 3, 32, 32]);
    try {
      await expect(lpips(x, x, { weights: fixture('lpips', 'weights', 'v0.1', 'vgg.pth') })).rejects.toThrow(
        /vgg16-397923af\.pth is not in the torch hub cache/,
      );
      writeFileSync(join(dir, 'x'), '');
      await expect(lpips(x, x, { backbone: new Map() })).rejects.toThrow(
        /lpips: no head weights given and no installed lpips package has lpips\/weights\/v0\.1\/vgg\.pth/,
      );
    } finally {
      process.env = saved;
      x.dispose();
    }
    void LPIPS_CHANNELS;
  });
});
