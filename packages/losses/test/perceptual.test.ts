/**
 * perceptualLoss, styleLoss, textureLoss, contentStyleLoss and topologyLoss on small seeded
 * random VGGs: values recomputed here from the network's features with plain arithmetic, the
 * papers' normalisations, presets, reductions, differing style sizes, and float64 gradchecks.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Generator, type Tensor, gradcheck, memory, rand, tidy } from '@pixgrad/core';
import { randomVgg } from '@pixgrad/models';
import { PERCEPTUAL_PRESETS, contentStyleLoss, perceptualLoss, styleLoss, styleTargets, textureLoss, topologyLoss } from '../src/index.js';

const net16 = randomVgg('vgg16', { widthMultiplier: 1 / 32, seed: 1, dtype: 'float64' }); // 2, 4, 8, 16, 16 channels
const net19 = randomVgg('vgg19', { widthMultiplier: 1 / 32, seed: 2, dtype: 'float64' });
afterAll(() => {
  net16.dispose();
  net19.dispose();
});
const g = new Generator(5);
const img = (n: number, h = 8, w = h, c = 3) => rand([n, c, h, w], { dtype: 'float64', generator: g });

/** [N][C][HW] arrays of a tap. */
function feats(net: typeof net16, x: Tensor, tap: string): number[][][] {
  const f = net.features(x, [tap]).get(tap)!;
  const [N, C, H, W] = f.shape as [number, number, number, number];
  const d = Array.from(f.dataSync());
  f.dispose();
  return Array.from({ length: N }, (_, n) => Array.from({ length: C }, (_, c) => d.slice((n * C + c) * H * W, (n * C + c + 1) * H * W)));
}
const gram = (F: number[][]) => F.map((a) => F.map((b) => a.reduce((s, v, i) => s + v * b[i]!, 0)));
const close = (a: number, b: number, rel = 1e-12) => expect(Math.abs(a - b)).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(b)));

describe('perceptualLoss', () => {
  it('default: relu2_2, mean squared feature difference = ||phi(x) - phi(y)||^2 / (C H W), averaged over the batch', () => {
    const x = img(2);
    const y = img(2);
    const fx = feats(net16, x, 'relu2_2');
    const fy = feats(net16, y, 'relu2_2');
    const per = fx.map((s, n) => {
      const all = s.flat();
      const other = fy[n]!.flat();
      return all.reduce((acc, v, i) => acc + (v - other[i]!) ** 2, 0) / all.length;
    });
    const none = perceptualLoss(x, y, { net: net16, reduction: 'none' });
    expect(none.shape).toEqual([2]);
    Array.from(none.dataSync()).forEach((v, n) => close(v, per[n]!));
    close(perceptualLoss(x, y, { net: net16 }).itemSync(), (per[0]! + per[1]!) / 2);
    close(perceptualLoss(x, y, { net: net16, reduction: 'sum' }).itemSync(), per[0]! + per[1]!);
    expect(perceptualLoss(x, x, { net: net16 }).itemSync()).toBe(0);
  });
  it('weighted layers, l1 criterion, conv (pre-ReLU) taps', () => {
    const x = img(1);
    const y = img(1);
    const term = (tap: string, l1: boolean) => {
      const a = feats(net16, x, tap)[0]!.flat();
      const b = feats(net16, y, tap)[0]!.flat();
      return a.reduce((s, v, i) => s + (l1 ? Math.abs(v - b[i]!) : (v - b[i]!) ** 2), 0) / a.length;
    };
    close(
      perceptualLoss(x, y, { net: net16, layers: { conv1_2: 0.5, relu3_3: 2 }, criterion: 'l1' }).itemSync(),
      0.5 * term('conv1_2', true) + 2 * term('relu3_3', true),
    );
    close(perceptualLoss(x, y, { net: net16, layers: ['relu1_1', 'pool2'] }).itemSync(), term('relu1_1', false) + term('pool2', false));
  });
  it("BasicSR presets: 'realesrgan' on VGG19 = sum of weighted L1 means at conv1_2 ... conv5_4", () => {
    const x = img(1, 16);
    const y = img(1, 16);
    const p = PERCEPTUAL_PRESETS.realesrgan;
    let want = 0;
    for (const [tap, w] of Object.entries(p.layers)) {
      const a = feats(net19, x, tap)[0]!.flat();
      const b = feats(net19, y, tap)[0]!.flat();
      want += (w * a.reduce((s, v, i) => s + Math.abs(v - b[i]!), 0)) / a.length;
    }
    close(perceptualLoss(x, y, { net: net19, preset: 'realesrgan' }).itemSync(), want);
    expect(() => perceptualLoss(x, y, { net: net16, preset: 'esrgan' })).toThrow(/unknown tap "conv5_4"/);
  });
  it('argument errors', () => {
    const x = img(1);
    expect(() => perceptualLoss(x, img(1, 4), { net: net16 })).toThrow(/same shape/);
    expect(() => perceptualLoss(x, x, { net: net16, criterion: 'l3' as never })).toThrow(/criterion/);
    expect(() => perceptualLoss(x, x, { net: net16, layers: [] })).toThrow(/at least one layer/);
    expect(() => perceptualLoss(x, x, {} as never)).toThrow(/feature network is required/);
  });
});

describe('styleLoss, textureLoss, contentStyleLoss', () => {
  it('styleLoss = sum_j ||G_j(x) - G_j(s)||_F^2 with G = F F^T / (C H W); the style image may be larger; precomputed targets agree', () => {
    const x = img(2, 8);
    const s = img(1, 16, 12);
    const layers = ['relu1_2', 'relu2_2', 'relu3_3'];
    const want = [0, 1].map((n) =>
      layers.reduce((acc, tap) => {
        const Fx = feats(net16, x, tap)[n]!;
        const Fs = feats(net16, s, tap)[0]!;
        const nx = Fx.length * Fx[0]!.length;
        const ns = Fs.length * Fs[0]!.length;
        const Gx = gram(Fx);
        const Gs = gram(Fs);
        return acc + Gx.flat().reduce((a, v, i) => a + (v / nx - Gs.flat()[i]! / ns) ** 2, 0);
      }, 0),
    );
    const got = styleLoss(x, s, { net: net16, layers, reduction: 'none' });
    Array.from(got.dataSync()).forEach((v, n) => close(v, want[n]!));
    const targets = styleTargets(net16, s, layers);
    close(styleLoss(x, targets, { net: net16, layers }).itemSync(), (want[0]! + want[1]!) / 2);
    expect(() => styleLoss(x, img(3, 8), { net: net16, layers })).toThrow(/expected \[1 or 2, 2, 2\]/);
    expect(() => styleLoss(x, targets, { net: net16, layers: ['relu4_3'] })).toThrow(/no Gram matrix for relu4_3/);
    for (const t of targets.values()) t.dispose();
  });
  it('textureLoss: Gatys et al. E_l = sum (G - A)^2 / (4 N^2 M^2) with unnormalised G, w_l = 1/L', () => {
    const x = img(1, 16);
    const s = img(1, 16);
    const layers = ['relu1_1', 'relu2_1', 'relu3_1', 'relu4_1', 'relu5_1'];
    let want = 0;
    for (const tap of layers) {
      const Fx = feats(net16, x, tap)[0]!;
      const Fs = feats(net16, s, tap)[0]!;
      const N = Fx.length;
      const M = Fx[0]!.length;
      const G = gram(Fx).flat();
      const A = gram(Fs).flat();
      want += (1 / layers.length) * (G.reduce((a, v, i) => a + (v - A[i]!) ** 2, 0) / (4 * N * N * M * M));
    }
    close(textureLoss(x, s, { net: net16 }).itemSync(), want);
  });
  it('contentStyleLoss = alpha * 1/2 sum (F - P)^2 at relu4_2 + beta * textureLoss', () => {
    const x = img(1, 16);
    const c = img(1, 16);
    const s = img(1, 20);
    const Fx = feats(net16, x, 'relu4_2')[0]!.flat();
    const Fc = feats(net16, c, 'relu4_2')[0]!.flat();
    const content = 0.5 * Fx.reduce((a, v, i) => a + (v - Fc[i]!) ** 2, 0);
    const style = textureLoss(x, s, { net: net16 }).itemSync();
    close(contentStyleLoss(x, c, s, { net: net16, alpha: 2, beta: 30 }).itemSync(), 2 * content + 30 * style);
    close(contentStyleLoss(x, c, s, { net: net16 }).itemSync(), content + 1e3 * style);
  });
});

describe('topologyLoss', () => {
  it('1-channel masks are repeated to RGB; mu * mean squared feature difference per layer (normalize) or the plain sum', () => {
    const p = img(1, 8, 8, 1);
    const t = tidy(() => img(1, 8, 8, 1).gt(0.5).cast('float64'));
    const rgb = (m: Tensor) => m.expand([1, 3, 8, 8]);
    let mean = 0;
    let sum = 0;
    for (const tap of ['relu1_2', 'relu2_2', 'relu3_4']) {
      const a = feats(net19, rgb(p), tap)[0]!.flat();
      const b = feats(net19, rgb(t), tap)[0]!.flat();
      const sq = a.reduce((acc, v, i) => acc + (v - b[i]!) ** 2, 0);
      sum += sq;
      mean += sq / a.length;
    }
    close(topologyLoss(p, t, { net: net19 }).itemSync(), 0.1 * mean);
    close(topologyLoss(p, t, { net: net19, mu: 1, normalize: false }).itemSync(), sum);
    expect(() => topologyLoss(img(1, 8, 8, 2), img(1, 8, 8, 2), { net: net19 })).toThrow(/1 \(or 3\) channels/);
  });
});

describe('gradients (float64 gradcheck on 2..16-channel VGGs) and memory', () => {
  const x = img(1, 8);
  const y = img(1, 8);
  const s12 = img(1, 12);
  const xr = () => {
    const t = x.clone();
    t.requiresGrad = true;
    return t;
  };
  const cases: [string, (a: Tensor) => Tensor][] = [
    ['perceptualLoss l2 relu2_2', (a) => perceptualLoss(a, y, { net: net16 })],
    ['perceptualLoss l1 conv taps', (a) => perceptualLoss(a, y, { net: net16, layers: { conv1_2: 1, conv2_2: 0.5 }, criterion: 'l1' })],
    ['styleLoss (style 12x12)', (a) => styleLoss(a, s12, { net: net16, layers: ['relu1_2', 'relu2_2', 'relu3_3'] })],
    ['textureLoss', (a) => textureLoss(a, y, { net: net16, layers: ['relu1_1', 'relu2_1', 'relu3_1'] })],
    ['contentStyleLoss', (a) => contentStyleLoss(a, y, y, { net: net16, contentLayer: 'relu2_2', styleLayers: ['relu1_1', 'relu2_1'] })],
    ['topologyLoss (1-channel)', (a) => tidy(() => topologyLoss(a.mean(1, true), y.mean(1, true), { net: net19 }))],
  ];
  for (const [name, f] of cases) {
    it(name, () => {
      const a = xr();
      const r = gradcheck(f, [a]);
      expect(r.ok, r.report).toBe(true);
      const start = memory().tensors;
      const l = f(a);
      l.backward();
      l.dispose();
      expect(Array.from(a.grad!.dataSync()).some((v) => v !== 0)).toBe(true);
      expect(memory().tensors).toBe(start + 1); // a.grad
      a.dispose();
    });
  }
});
