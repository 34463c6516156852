/**
 * VGG16/VGG19 in torchvision's layout: names and indices, loading from every checkpoint format
 * (files this test writes with random weights) with the same features as the directly built
 * network, strict key/shape errors, taps and early stopping, normalisation, frozen weights,
 * weight discovery, and a real-size VGG16 file (528 MiB layout) loaded with bounded memory.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Generator, type Tensor, gradients, memory, rand, tensor, tidy } from '@pixgrad/core';
import {
  IMAGENET_MEAN,
  IMAGENET_STD,
  VGG_CONFIGS,
  VggWeightsError,
  WeightsNotFoundError,
  findLpipsWeights,
  findVggWeights,
  loadVgg,
  randomVgg,
  vgg16,
  vgg19,
  vggFromStateDict,
  vggLayers,
  type Vgg,
} from '../src/index.js';
import { legacyBytes, safetensorsBytes, writeRealSizeVgg16Legacy, zipBytes } from './vgg-files.js';

const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'pixgrad-vgg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function expectSameFeatures(a: Vgg, b: Vgg, x: Tensor, taps: string[]): void {
  const fa = a.features(x, taps);
  const fb = b.features(x, taps);
  for (const t of taps) {
    expect(fb.get(t)!.shape).toEqual(fa.get(t)!.shape);
    expect(Array.from(fb.get(t)!.dataSync())).toEqual(Array.from(fa.get(t)!.dataSync()));
  }
  for (const m of [fa, fb]) for (const t of m.values()) t.dispose();
}

describe('layer names follow torchvision indices', () => {
  it('vgg16: 31 modules, conv5_3 = features.28, pool5 = features.30', () => {
    const l = vggLayers(VGG_CONFIGS.vgg16);
    expect(l).toHaveLength(31);
    expect(l.slice(0, 5).map((x) => x.name)).toEqual(['conv1_1', 'relu1_1', 'conv1_2', 'relu1_2', 'pool1']);
    const at = (n: string) => l.find((x) => x.name === n)!.index;
    // torchvision: relu1_2 = 3, relu2_2 = 8, relu3_3 = 15, relu4_3 = 22, relu5_3 = 29 (LPIPS's slice ends)
    expect(['relu1_2', 'relu2_2', 'relu3_3', 'relu4_3', 'relu5_3'].map(at)).toEqual([3, 8, 15, 22, 29]);
    expect(at('conv5_3')).toBe(28);
    expect(at('pool5')).toBe(30);
    expect(l.filter((x) => x.kind === 'conv')).toHaveLength(13);
  });
  it('vgg19: 37 modules, conv5_4 = features.34 (ESRGAN), conv3_4 = 16, relu5_4 = 35', () => {
    const l = vggLayers(VGG_CONFIGS.vgg19);
    expect(l).toHaveLength(37);
    const at = (n: string) => l.find((x) => x.name === n)!.index;
    // BasicSR/mmagic layer_weights '2', '7', '16', '25', '34' = conv1_2, conv2_2, conv3_4, conv4_4, conv5_4
    expect(['conv1_2', 'conv2_2', 'conv3_4', 'conv4_4', 'conv5_4'].map(at)).toEqual([2, 7, 16, 25, 34]);
    expect(at('relu5_4')).toBe(35);
    expect(l.filter((x) => x.kind === 'conv')).toHaveLength(16);
  });
});

describe('checkpoints in every format load to the same network', () => {
  const x = rand([1, 3, 32, 32], { generator: new Generator(3) });
  for (const arch of ['vgg16', 'vgg19'] as const) {
    it(`${arch} (narrow, random weights): legacy, zip and safetensors bytes and files`, async () => {
      const start = memory().tensors;
      const ref = randomVgg(arch, { widthMultiplier: 1 / 8, seed: 11 });
      const state = ref.stateDict();
      const taps = arch === 'vgg16' ? ['relu1_2', 'conv3_3', 'relu4_3', 'pool5'] : ['conv1_1', 'relu3_4', 'conv5_4', 'pool5'];
      const files = { legacy: legacyBytes(state), zip: zipBytes(state), safetensors: safetensorsBytes(state) };
      for (const [fmt, bytes] of Object.entries(files)) {
        const path = join(dir, `${arch}-${fmt}.pth`);
        writeFileSync(path, bytes);
        for (const src of [bytes, path]) {
          const loaded = await loadVgg(ref.config, src);
          expect(loaded.stateDict().size).toBe(state.size);
          expectSameFeatures(ref, loaded, x, taps);
          loaded.dispose();
        }
      }
      ref.dispose();
      expect(memory().tensors).toBe(start);
    });
  }
  it('vgg16({ weights }) and vgg19({ weights }) at full width (zip bytes, safetensors path)', async () => {
    const small = rand([1, 3, 32, 32]);
    const r16 = randomVgg('vgg16', { seed: 5 });
    const v16 = await vgg16({ weights: zipBytes(r16.stateDict()) });
    expect(v16.arch).toBe('vgg16');
    expectSameFeatures(r16, v16, small, ['relu1_2']);
    expect(Array.from(v16.stateDict().get('features.28.weight')!.dataSync().slice(-5))).toEqual(
      Array.from(r16.stateDict().get('features.28.weight')!.dataSync().slice(-5)),
    );
    r16.dispose();
    v16.dispose();
    const r19 = randomVgg('vgg19', { seed: 6 });
    const p = join(dir, 'vgg19.safetensors');
    writeFileSync(p, safetensorsBytes(r19.stateDict()));
    const v19 = await vgg19({ weights: p });
    expectSameFeatures(r19, v19, small, ['conv5_4']);
    r19.dispose();
    v19.dispose();
  });
  it('a Map is used as given (classifier.* ignored) and the model never requires grad', () => {
    const ref = randomVgg('vgg16', { widthMultiplier: 1 / 16, seed: 2 });
    const m = new Map(ref.stateDict());
    const w0 = m.get('features.0.weight')!.clone();
    w0.requiresGrad = true;
    m.set('features.0.weight', w0);
    m.set('classifier.6.bias', tensor([1, 2, 3]));
    const v = vggFromStateDict(ref.config, m);
    for (const t of v.stateDict().values()) expect(t.requiresGrad).toBe(false);
    expectSameFeatures(ref, v, x, ['relu3_1']);
    v.dispose();
    // the caller's tensors survive the model
    expect(w0.isDisposed).toBe(false);
    w0.dispose();
    m.get('classifier.6.bias')!.dispose();
    ref.dispose();
  });
});

describe('strict key and shape checking', () => {
  const full = () => randomVgg('vgg16', { widthMultiplier: 1 / 16 });
  it('lists missing, unexpected and mis-shaped keys together', async () => {
    const ref = full();
    const m = new Map(ref.stateDict());
    m.delete('features.28.bias');
    m.delete('features.0.weight');
    m.set('features.1.weight', tensor([1])); // a ReLU has no weights
    m.set('head.fc.weight', tensor([1]));
    m.set('features.2.bias', tensor([1, 2, 3])); // 4 expected at width 1/16
    let err: VggWeightsError | undefined;
    try {
      vggFromStateDict(ref.config, m);
    } catch (e) {
      err = e as VggWeightsError;
    }
    expect(err).toBeInstanceOf(VggWeightsError);
    expect(err!.missing.sort()).toEqual(['features.0.weight', 'features.28.bias']);
    expect(err!.unexpected.sort()).toEqual(['features.1.weight', 'head.fc.weight']);
    expect(err!.misshaped).toEqual([{ key: 'features.2.bias', expected: [4], got: [3] }]);
    expect(err!.message).toMatch(/missing keys \(2\): .*features\.0\.weight/);
    expect(err!.message).toMatch(/unexpected keys \(2\)/);
    expect(err!.message).toContain('features.2.bias expected [4] got [3]');
    // from a file: unexpected keys are reported without being read; classifier.* is fine
    const withExtra = new Map(ref.stateDict());
    withExtra.set('classifier.0.weight', tensor([1, 2]));
    withExtra.set('optimizer.step', tensor([7]));
    await expect(loadVgg(ref.config, legacyBytes(withExtra))).rejects.toThrow(/unexpected keys \(1\): optimizer\.step/);
    // full-width names with narrow shapes
    await expect(vgg16({ weights: zipBytes(ref.stateDict()) })).rejects.toThrow(
      /mis-shaped keys \(26\): features\.0\.weight expected \[64, 3, 3, 3\] got \[4, 3, 3, 3\]/,
    );
    // a VGG16 file given to vgg19: the extra convs are missing
    await expect(
      loadVgg(
        VGG_CONFIGS.vgg19.map((v) => (v === 'M' ? v : Math.ceil(v / 16))),
        legacyBytes(ref.stateDict()),
      ),
    ).rejects.toThrow(VggWeightsError);
    for (const t of [
      m.get('features.1.weight'),
      m.get('head.fc.weight'),
      m.get('features.2.bias'),
      withExtra.get('classifier.0.weight'),
      withExtra.get('optimizer.step'),
    ])
      t!.dispose();
    ref.dispose();
  });
});

describe('features', () => {
  const net = randomVgg('vgg16', { widthMultiplier: 1 / 16, seed: 9, dtype: 'float64' });
  afterAll(() => net.dispose());
  const x = tensor(
    Float64Array.from({ length: 3 * 8 * 8 }, (_, i) => ((i * 37) % 101) / 100),
    { shape: [1, 3, 8, 8], dtype: 'float64' },
  );

  it('relu taps are max(conv, 0) of the conv taps; pool halves; taps come back in the order asked', () => {
    const f = net.features(x, ['relu1_2', 'conv1_2', 'pool1', 'conv2_1']);
    expect([...f.keys()]).toEqual(['relu1_2', 'conv1_2', 'pool1', 'conv2_1']);
    const c = f.get('conv1_2')!.dataSync();
    const r = f.get('relu1_2')!.dataSync();
    expect(Array.from(c).some((v) => v < 0)).toBe(true);
    expect(Array.from(r)).toEqual(Array.from(c).map((v) => Math.max(v, 0)));
    expect(f.get('pool1')!.shape).toEqual([1, 4, 4, 4]);
    // pool1[0, 0, 0, 0] = max of relu1_2's top-left 2x2 window
    expect(f.get('pool1')!.dataSync()[0]).toBe(Math.max(r[0]!, r[1]!, r[8]!, r[9]!));
    for (const t of f.values()) t.dispose();
  });
  it('stops at the deepest tap (a 2x2 image reaches relu2_2 but cannot reach pool2)', () => {
    const tiny = rand([1, 3, 2, 2], { dtype: 'float64' });
    const start = memory().tensors;
    const f = net.features(tiny, ['relu2_2']);
    expect(f.get('relu2_2')!.shape).toEqual([1, 8, 1, 1]);
    f.get('relu2_2')!.dispose();
    expect(() => net.features(tiny, ['pool2'])).toThrow(/pool2 needs at least 2x2 input/);
    expect(memory().tensors).toBe(start);
    tiny.dispose();
  });
  it('ImageNet normalisation on by default: equals normalize:false on (x - mean) / std', () => {
    const mean = tensor([...IMAGENET_MEAN], { shape: [1, 3, 1, 1], dtype: 'float64' });
    const std = tensor([...IMAGENET_STD], { shape: [1, 3, 1, 1], dtype: 'float64' });
    const xn = x.sub(mean).div(std);
    const a = net.features(x, ['conv1_1']).get('conv1_1')!;
    const b = net.features(xn, ['conv1_1'], { normalize: false }).get('conv1_1')!;
    const c = net.features(x, ['conv1_1'], { normalize: false }).get('conv1_1')!;
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(Array.from(a.dataSync())).not.toEqual(Array.from(c.dataSync()));
    for (const t of [mean, std, xn, a, b, c]) t.dispose();
  });
  it('errors name the tap and the shapes', () => {
    expect(() => net.features(x, ['relu6_1'])).toThrow(/unknown tap "relu6_1".*relu5_3/);
    expect(() => net.features(x, [])).toThrow(/no taps/);
    const grey = rand([1, 1, 8, 8], { dtype: 'float64' });
    expect(() => net.features(grey, ['relu1_1'])).toThrow(/input must be \[N, 3, H, W\], got \[1, 1, 8, 8\]/);
    grey.dispose();
  });
  it('frozen weights: gradients reach the input only, and leave nothing behind', () => {
    const start = memory().tensors;
    const xi = x.clone();
    xi.requiresGrad = true;
    const [g] = tidy(() => gradients(net.features(xi, ['relu2_1']).get('relu2_1')!.sum(), [xi]));
    expect(g!.shape).toEqual([1, 3, 8, 8]);
    expect(Array.from(g!.dataSync()).some((v) => v !== 0)).toBe(true);
    for (const t of net.stateDict().values()) expect(t.grad).toBeNull();
    g!.dispose();
    xi.dispose();
    expect(memory().tensors).toBe(start);
  });
  it('float32 weights run float64 inputs (cast once, cached) and agree with float32', () => {
    const n32 = randomVgg('vgg16', { widthMultiplier: 1 / 16, seed: 9 });
    const x32 = x.cast('float32');
    const a = n32.features(x, ['relu3_3']).get('relu3_3')!;
    const b = n32.features(x32, ['relu3_3']).get('relu3_3')!;
    const c = net.features(x, ['relu3_3']).get('relu3_3')!;
    expect(a.dtype).toBe('float64');
    const [da, db, dc] = [a, b, c].map((t) => Array.from(t.dataSync()));
    da!.forEach((v, i) => {
      expect(v).toBeCloseTo(db![i]!, 4);
      expect(v).toBeCloseTo(dc![i]!, 5); // same seed, same weights up to float32 rounding
    });
    for (const t of [a, b, c, x32]) t.dispose();
    n32.dispose();
  });
  it('randomVgg: same seed same weights, widthMultiplier scales channels', () => {
    const a = randomVgg('vgg19', { widthMultiplier: 1 / 32, seed: 4 });
    const b = randomVgg('vgg19', { widthMultiplier: 1 / 32, seed: 4 });
    expect(a.config).toEqual([2, 2, 'M', 4, 4, 'M', 8, 8, 8, 8, 'M', 16, 16, 16, 16, 'M', 16, 16, 16, 16, 'M']);
    expect(Array.from(a.stateDict().get('features.34.weight')!.dataSync())).toEqual(Array.from(b.stateDict().get('features.34.weight')!.dataSync()));
    a.dispose();
    b.dispose();
  });
});

describe('weight discovery', () => {
  it('finds torchvision files in $TORCH_HOME/hub/checkpoints, else lists where it looked', async () => {
    const home = join(dir, 'home');
    const torchHome = join(dir, 'torch');
    mkdirSync(join(torchHome, 'hub', 'checkpoints'), { recursive: true });
    writeFileSync(join(torchHome, 'hub', 'checkpoints', 'vgg16-397923af.pth'), 'x');
    expect(await findVggWeights('vgg16', { env: { TORCH_HOME: torchHome }, home })).toBe(join(torchHome, 'hub', 'checkpoints', 'vgg16-397923af.pth'));
    let err: WeightsNotFoundError | undefined;
    try {
      await findVggWeights('vgg19', { env: { TORCH_HOME: torchHome }, home });
    } catch (e) {
      err = e as WeightsNotFoundError;
    }
    expect(err).toBeInstanceOf(WeightsNotFoundError);
    expect(err!.fileName).toBe('vgg19-dcbb9e9d.pth');
    expect(err!.searched).toEqual([
      join(torchHome, 'hub', 'checkpoints', 'vgg19-dcbb9e9d.pth'),
      join(home, '.cache', 'torch', 'hub', 'checkpoints', 'vgg19-dcbb9e9d.pth'),
    ]);
    expect(err!.message).toContain('https://download.pytorch.org/models/vgg19-dcbb9e9d.pth');
    expect(err!.message).toContain(join(home, '.cache', 'torch', 'hub', 'checkpoints'));
    // ~/.cache is the fallback
    mkdirSync(join(home, '.cache', 'torch', 'hub', 'checkpoints'), { recursive: true });
    writeFileSync(join(home, '.cache', 'torch', 'hub', 'checkpoints', 'vgg19-dcbb9e9d.pth'), 'x');
    expect(await findVggWeights('vgg19', { env: {}, home })).toBe(join(home, '.cache', 'torch', 'hub', 'checkpoints', 'vgg19-dcbb9e9d.pth'));
  });
  it('vgg16() without weights reports the discovery error', async () => {
    const saved = { ...process.env };
    process.env['TORCH_HOME'] = join(dir, 'nowhere');
    process.env['XDG_CACHE_HOME'] = join(dir, 'nowhere-xdg');
    process.env['HOME'] = join(dir, 'nohome');
    try {
      await expect(vgg16()).rejects.toThrow(/vgg16-397923af\.pth is not in the torch hub cache/);
    } finally {
      process.env = saved;
    }
  });
  it('finds LPIPS heads in an installed lpips package (virtualenv site-packages)', async () => {
    const venv = join(dir, 'venv');
    const pkg = join(venv, 'lib', 'python3.11', 'site-packages', 'lpips', 'weights', 'v0.1');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(join(pkg, 'vgg.pth'), 'x');
    const home = join(dir, 'home2');
    expect(await findLpipsWeights('vgg', '0.1', { env: { VIRTUAL_ENV: venv }, home })).toBe(join(pkg, 'vgg.pth'));
    const err = (await findLpipsWeights('alex', '0.0', { env: { VIRTUAL_ENV: venv }, home }).catch((e: unknown) => e)) as WeightsNotFoundError;
    expect(err).toBeInstanceOf(WeightsNotFoundError);
    expect(err.searched).toContain(join(venv, 'lib', 'python3.11', 'site-packages', 'lpips', 'weights', 'v0.0', 'alex.pth'));
    expect(err.message).toMatch(/pip install lpips/);
  });
});

describe('a real-size VGG16 checkpoint (528 MiB layout, classifier never read)', () => {
  it('loads the 14.7M feature parameters in a fresh process whose peak RSS grows far less than the file size', () => {
    const path = join(dir, 'vgg16-397923af.pth');
    const { size, features } = writeRealSizeVgg16Legacy(path, 7);
    expect(size).toBe(138_357_544 * 4 + (size - 138_357_544 * 4)); // header + counts + every parameter
    expect(size - 138_357_544 * 4).toBeLessThan(10_000);
    const first = features.get('features.0.bias')![5]!;
    const w28 = features.get('features.28.weight')!;
    const last = w28[w28.length - 1]!;
    features.clear();
    // A fresh process, so the peak RSS (getrusage maxrss) measures this load alone.
    const script = join(dir, 'load-real-size.mts');
    writeFileSync(
      script,
      `import { vgg16, loadVgg, VGG_CONFIGS } from ${JSON.stringify(pathToFileURL(join(here, '..', 'src', 'index.ts')).href)};
const rss0 = process.memoryUsage().rss;
const peak0 = process.resourceUsage().maxRSS * 1024;
const t0 = performance.now();
const net = await (process.argv[2].endsWith('warm.pth') ? loadVgg(VGG_CONFIGS.vgg16.map((v) => (v === 'M' ? v : Math.ceil(v / 64))), process.argv[2]) : vgg16({ weights: process.argv[2] }));
const ms = performance.now() - t0;
const sd = net.stateDict();
const w = sd.get('features.28.weight').dataSync();
console.log(JSON.stringify({ rss0, rss1: process.memoryUsage().rss, peak0, peak: process.resourceUsage().maxRSS * 1024, ms, keys: sd.size, first: sd.get('features.0.bias').dataSync()[5], last: w[w.length - 1] }));
`,
    );
    const run = (file: string) =>
      spawnSync(process.execPath, ['--conditions=pixgrad-source', '--import', 'tsx', script, file], { encoding: 'utf8', cwd: join(here, '..', '..', '..') });
    // a first run on a small file warms tsx's transpile cache, whose cold compile would count in the peak
    const warm = join(dir, 'warm.pth');
    const tiny = randomVgg('vgg16', { widthMultiplier: 1 / 64 });
    writeFileSync(warm, legacyBytes(tiny.stateDict()));
    tiny.dispose();
    expect(run(warm).status).toBe(0);
    const r = run(path);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      rss0: number;
      rss1: number;
      peak0: number;
      peak: number;
      ms: number;
      keys: number;
      first: number;
      last: number;
    };
    expect(out.keys).toBe(26);
    expect(out.first).toBe(first);
    expect(out.last).toBe(last);
    // RSS after the load, or the peak if the load raised it above the peak of start-up (module
    // transpiling by tsx often peaks higher than the load itself)
    const growth = Math.max(out.rss1, out.peak > out.peak0 ? out.peak : 0) - out.rss0;
    // the features are 58.9 MB (one copy as raw data, one as tensors at worst); the classifier, or
    // the whole file held in memory, would be 553 MB
    expect(growth).toBeLessThan(size * 0.3);
    expect(out.ms).toBeLessThan(20_000);
    console.log(`real-size vgg16: file ${(size / 2 ** 20).toFixed(0)} MiB, load ${out.ms.toFixed(0)} ms, RSS growth ${(growth / 2 ** 20).toFixed(0)} MiB`);
    rmSync(path);
  });
});
