/**
 * LPIPS with the AlexNet and SqueezeNet 1.1 backbones against an independent float64 loop
 * implementation of the reference (richzhang/PerceptualSimilarity: pretrained_networks.alexnet /
 * squeezenet slices, scaling layer, unit-normalisation with eps on the norm, 1x1 heads, spatial
 * mean or bilinear upsampling) written here from torchvision's layer definitions (general strided,
 * padded conv; 3/2 max pools, ceil mode for SqueezeNet; Fire modules), on the fixture images with
 * seeded random backbones; the real heads; identities; float64 gradchecks on narrow nets.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Generator, type Tensor, gradcheck, gradients, rand, resize, tidy } from '@pixgrad/core';
import {
  type AlexNet,
  type LpipsHeads,
  type NetLayer,
  type SqueezeNet,
  LPIPS_ALEX_TAPS,
  LPIPS_SQUEEZE_TAPS,
  loadLpipsHeads,
  randomAlexNet,
  randomLpipsHeads,
  randomSqueezeNet,
  randomVgg,
  readImage,
} from '@pixgrad/models';
import { LpipsModel, loadLpips, lpips } from '../src/index.js';
import { describeFixtures, fixture } from '../../../test/helpers/fixtures.js';
import { type Img, cat, conv, lpipsFormula, pool3s2, relu, toImg } from './helpers/lpips-reference.js';

// ---------------------------------------------------------------- independent reference (float64 loops)

/** The torchvision definitions, written out here (not taken from the library's layer lists). */
function alexTaps(sd: Map<string, Tensor>, x: Img): Img[] {
  const W = (i: number) => sd.get(`features.${i}.weight`)!;
  const B = (i: number) => sd.get(`features.${i}.bias`)!.dataSync();
  const cv = (h: Img, i: number, k: number, s: number, p: number) => conv(h, W(i).dataSync(), B(i), W(i).shape[0]!, k, s, p);
  const r1 = relu(cv(x, 0, 11, 4, 2));
  const r2 = relu(cv(pool3s2(r1, false), 3, 5, 1, 2));
  const r3 = relu(cv(pool3s2(r2, false), 6, 3, 1, 1));
  const r4 = relu(cv(r3, 8, 3, 1, 1));
  const r5 = relu(cv(r4, 10, 3, 1, 1));
  return [r1, r2, r3, r4, r5];
}

function squeezeTaps(sd: Map<string, Tensor>, x: Img): Img[] {
  const cv = (h: Img, key: string, k: number, s: number, p: number) => {
    const w = sd.get(`${key}.weight`)!;
    return conv(h, w.dataSync(), sd.get(`${key}.bias`)!.dataSync(), w.shape[0]!, k, s, p);
  };
  const fire = (h: Img, i: number) => {
    const s = relu(cv(h, `features.${i}.squeeze`, 1, 1, 0));
    return cat(relu(cv(s, `features.${i}.expand1x1`, 1, 1, 0)), relu(cv(s, `features.${i}.expand3x3`, 3, 1, 1)));
  };
  const t1 = relu(cv(x, 'features.0', 3, 2, 0)); // slice1: 0-1
  const t2 = fire(fire(pool3s2(t1, true), 3), 4); // slice2: 2-4
  const t3 = fire(fire(pool3s2(t2, true), 6), 7); // slice3: 5-7
  const t4 = fire(pool3s2(t3, true), 9); // slice4: 8-9
  const t5 = fire(t4, 10);
  const t6 = fire(t5, 11);
  const t7 = fire(t6, 12);
  return [t1, t2, t3, t4, t5, t6, t7];
}

function refLpips(
  net: AlexNet | SqueezeNet,
  kind: 'alex' | 'squeeze',
  heads: LpipsHeads,
  a: Img,
  b: Img,
  version: '0.1' | '0.0',
  spatial: boolean,
): number | Float64Array {
  const sd = net.stateDict();
  const taps = kind === 'alex' ? alexTaps : squeezeTaps;
  return lpipsFormula(
    (x) => taps(sd, x),
    (k) => heads.weights[k]!.dataSync(),
    a,
    b,
    version,
    spatial,
  );
}

const tapChannels = (net: AlexNet | SqueezeNet, kind: 'alex' | 'squeeze') =>
  (kind === 'alex' ? LPIPS_ALEX_TAPS : LPIPS_SQUEEZE_TAPS).map((t) => net.channelsAt(t));
const makeNet = (kind: 'alex' | 'squeeze', o: { seed: number; widthMultiplier?: number; dtype?: 'float64' }) =>
  kind === 'alex' ? randomAlexNet(o) : randomSqueezeNet(o);

// ---------------------------------------------------------------- tests

describeFixtures('LPIPS alex / squeeze on the fixture images against the independent float64 formula', () => {
  const load = async () => {
    const [ref, p0, p1] = await Promise.all(['ex_ref', 'ex_p0', 'ex_p1'].map((n) => readImage(fixture('lpips', 'imgs', `${n}.png`))));
    return tidy(() => [ref!, p0!, p1!].map((t) => t.cast('float64').mul(2).sub(1)));
  };

  for (const kind of ['alex', 'squeeze'] as const) {
    it(`${kind}: narrow random backbone, random heads: v0.1 and v0.0, both pairs, scalar and spatial (1e-12)`, async () => {
      const [ref, p0, p1] = await load();
      const net = makeNet(kind, { seed: 21, widthMultiplier: 1 / 8, dtype: 'float64' });
      for (const version of ['0.1', '0.0'] as const) {
        const heads = randomLpipsHeads(tapChannels(net, kind), { seed: 5, dtype: 'float64', version });
        const model = new LpipsModel(net, heads);
        expect(model.net).toBe(kind);
        for (const p of [p0!, p1!]) {
          const got = model.forward(ref!, p);
          const want = refLpips(net, kind, heads, toImg(ref!), toImg(p), version, false) as number;
          expect(want).toBeGreaterThan(0);
          expect(Math.abs(got.itemSync() - want)).toBeLessThan(1e-12 * Math.max(1, want));
          got.dispose();
          const map = model.forward(ref!, p, { spatial: true });
          expect(map.shape).toEqual([1, 1, 64, 64]);
          const wantMap = refLpips(net, kind, heads, toImg(ref!), toImg(p), version, true) as Float64Array;
          const gotMap = map.dataSync();
          let maxErr = 0;
          wantMap.forEach((v, i) => (maxErr = Math.max(maxErr, Math.abs(v - gotMap[i]!))));
          expect(maxErr).toBeLessThan(1e-12);
          map.dispose();
        }
        heads.dispose();
      }
      // 60x58 crops: SqueezeNet's ceil-mode pools then differ from floor mode (29 -> 14 -> 7, not 6)
      const heads = randomLpipsHeads(tapChannels(net, kind), { seed: 6, dtype: 'float64' });
      const model = new LpipsModel(net, heads);
      const [rc, pc] = tidy(() =>
        [ref!, p1!].map((t) =>
          t.slice([
            [0, 1],
            [0, 3],
            [2, 62],
            [3, 61],
          ]),
        ),
      );
      if (kind === 'squeeze') expect(net.features(rc!, ['fire5']).get('fire5')!.shape.slice(2)).toEqual([7, 7]);
      const got = model.forward(rc!, pc!);
      const want = refLpips(net, kind, heads, toImg(rc!), toImg(pc!), '0.1', false) as number;
      expect(Math.abs(got.itemSync() - want)).toBeLessThan(1e-12 * Math.max(1, want));
      for (const t of [got, rc!, pc!]) t.dispose();
      heads.dispose();
      net.dispose();
      for (const t of [ref!, p0!, p1!]) t.dispose();
    });

    it(`${kind}: full-width random backbone (float32) with the real v0.1 heads: within 1e-4 of the float64 formula; normalize maps [0, 1]`, async () => {
      const [ref, p0] = await load();
      const net = makeNet(kind, { seed: 8 });
      const heads = await loadLpipsHeads(fixture('lpips', 'weights', 'v0.1', `${kind}.pth`), { net: kind });
      const want = refLpips(net, kind, heads, toImg(ref!), toImg(p0!), '0.1', false) as number;
      const [r32, q32, r01, q01] = tidy(() => [
        ref!.cast('float32'),
        p0!.cast('float32'),
        ref!.add(1).div(2).cast('float32'),
        p0!.add(1).div(2).cast('float32'),
      ]);
      const got = lpips(r32!, q32!, { weights: heads, backbone: net });
      expect(want).toBeGreaterThan(0);
      expect(Math.abs(got.itemSync() - want) / want).toBeLessThan(1e-4);
      const viaNormalize = lpips(r01!, q01!, { weights: heads, backbone: net, normalize: true, net: kind });
      expect(Math.abs(viaNormalize.itemSync() - want) / want).toBeLessThan(1e-4);
      for (const t of [got, viaNormalize, r32!, q32!, r01!, q01!, ref!, p0!]) t.dispose();
      heads.dispose();
      net.dispose();
    });
  }

  it('loadLpips({ net }) loads the heads file and a backbone Map; mismatches are errors', async () => {
    const net = randomAlexNet({ seed: 2 });
    const x = rand([1, 3, 32, 32]);
    const y = rand([1, 3, 32, 32]);
    const path = fixture('lpips', 'weights', 'v0.1', 'alex.pth');
    const model = await loadLpips({ net: 'alex', weights: path, backbone: net.stateDict() });
    expect(model.net).toBe('alex');
    const d = model.forward(x, y, { normalize: true });
    const e = await lpips(x, y, { net: 'alex', weights: path, backbone: net, normalize: true });
    expect(d.itemSync()).toBe(e.itemSync());
    model.dispose();
    await expect(loadLpips({ net: 'squeeze', weights: path, backbone: net })).rejects.toThrow(/net 'squeeze' asked for but the backbone is alex/);
    const sq = await loadLpipsHeads(fixture('lpips', 'weights', 'v0.1', 'squeeze.pth'), { net: 'squeeze' });
    expect(() => new LpipsModel(net, sq)).toThrow(/an AlexNet backbone needs 5 heads, got 7/);
    const narrow = randomSqueezeNet({ widthMultiplier: 1 / 8 });
    expect(() => new LpipsModel(narrow, sq)).toThrow(
      /the heads have 64, 128, 256, 384, 384, 512, 512 channels but the squeeze backbone's taps have 8, 16, 32, 48, 48, 64, 64/,
    );
    for (const t of [d, e, x, y]) t.dispose();
    sq.dispose();
    narrow.dispose();
    net.dispose();
  });
});

describe('LPIPS alex / squeeze properties and gradients', () => {
  const nets = {
    alex: randomAlexNet({ seed: 3, widthMultiplier: 1 / 16, dtype: 'float64' }),
    squeeze: randomSqueezeNet({ seed: 3, widthMultiplier: 1 / 16, dtype: 'float64' }),
  };
  const models = {
    alex: new LpipsModel(nets.alex, randomLpipsHeads(tapChannels(nets.alex, 'alex'), { seed: 1, dtype: 'float64' })),
    squeeze: new LpipsModel(nets.squeeze, randomLpipsHeads(tapChannels(nets.squeeze, 'squeeze'), { seed: 1, dtype: 'float64' })),
  };
  afterAll(() => {
    models.alex.dispose();
    models.squeeze.dispose();
  });

  for (const kind of ['alex', 'squeeze'] as const) {
    it(`${kind}: lpips(x, x) = 0, symmetric, gradcheck in float64 (34x34 inputs, ceil-mode pools active, through a 4x4 perturbation)`, () => {
      const model = models[kind];
      const g = new Generator(2);
      const x = rand([2, 3, 32, 32], { dtype: 'float64', generator: g });
      const y = rand([2, 3, 32, 32], { dtype: 'float64', generator: g });
      expect(Array.from(model.forward(x, x, { normalize: true }).dataSync())).toEqual([0, 0]);
      const xy = Array.from(model.forward(x, y, { normalize: true }).dataSync());
      expect(xy).toEqual(Array.from(model.forward(y, x, { normalize: true }).dataSync()));
      expect(Math.min(...xy)).toBeGreaterThan(0);

      const bx = rand([1, 3, 34, 34], { dtype: 'float64', generator: g });
      const by = rand([1, 3, 34, 34], { dtype: 'float64', generator: g });
      const px = rand([1, 3, 4, 4], { dtype: 'float64', generator: g, requiresGrad: true });
      const py = rand([1, 3, 4, 4], { dtype: 'float64', generator: g, requiresGrad: true });
      const img = (b: Tensor, p: Tensor) => b.add(resize(p, [34, 34]).mul(0.3));
      const r = gradcheck((a, b) => model.forward(img(bx, a!), img(by, b!), { normalize: true }), [px, py]);
      expect(r.ok, r.report).toBe(true);
      const [gx] = tidy(() => gradients(model.forward(img(bx, px), img(by, py), { normalize: true }).sum(), [px]));
      expect(Array.from(gx!.dataSync()).some((v) => Math.abs(v) > 1e-6)).toBe(true);
      gx!.dispose();
    });
  }

  it('the backbone kind is told from the object; a VGG model still needs 5 heads', () => {
    const vgg = randomVgg('vgg16', { widthMultiplier: 1 / 32 });
    expect(() => new LpipsModel(vgg, randomLpipsHeads([2, 4, 8, 16, 16, 16, 16]))).toThrow(/a VGG backbone needs 5 heads, got 7/);
    vgg.dispose();
    const layers: NetLayer[] = [...nets.alex.layers];
    expect(layers.filter((l) => l.kind === 'conv')).toHaveLength(5);
  });
});
