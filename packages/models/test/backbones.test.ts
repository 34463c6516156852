/**
 * AlexNet and SqueezeNet 1.1 feature networks in torchvision's layout: the state-dict keys and
 * shapes torchvision's `alexnet().features` / `squeezenet1_1().features` have (listed by hand
 * here), tap shapes computed by hand, the channel counts the real LPIPS head files expect,
 * loading from every checkpoint format (the classifier skipped), strict errors, weight discovery.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Tensor, memory, rand, tensor } from '@pixgrad/core';
import {
  ALEXNET_CHANNELS,
  AlexNet,
  BackboneWeightsError,
  LPIPS_ALEX_TAPS,
  LPIPS_CHANNELS,
  LPIPS_SQUEEZE_TAPS,
  SqueezeNet,
  WeightsNotFoundError,
  alexnet,
  alexnetFromStateDict,
  alexnetLayers,
  findTorchvisionWeights,
  loadCheckpoint,
  loadLpipsHeads,
  netStateDictShapes,
  randomAlexNet,
  randomSqueezeNet,
  squeezenet1_1,
  squeezenetFromStateDict,
  squeezenetLayers,
} from '../src/index.js';
import { legacyBytes, safetensorsBytes, zipBytes } from './vgg-files.js';
import { describeFixtures, fixture } from '../../../test/helpers/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'pixgrad-backbones-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('layouts', () => {
  it("AlexNet: torchvision's features keys and shapes", () => {
    expect([...netStateDictShapes(alexnetLayers())]).toEqual([
      ['features.0.weight', [64, 3, 11, 11]],
      ['features.0.bias', [64]],
      ['features.3.weight', [192, 64, 5, 5]],
      ['features.3.bias', [192]],
      ['features.6.weight', [384, 192, 3, 3]],
      ['features.6.bias', [384]],
      ['features.8.weight', [256, 384, 3, 3]],
      ['features.8.bias', [256]],
      ['features.10.weight', [256, 256, 3, 3]],
      ['features.10.bias', [256]],
    ]);
    expect(
      alexnetLayers()
        .map((l) => `${l.index}:${l.name}`)
        .join(' '),
    ).toBe('0:conv1 1:relu1 2:pool1 3:conv2 4:relu2 5:pool2 6:conv3 7:relu3 8:conv4 9:relu4 10:conv5 11:relu5 12:pool5');
  });

  it("SqueezeNet 1.1: torchvision's features keys and shapes (Fire modules at 3, 4, 6, 7, 9, 10, 11, 12)", () => {
    const m = netStateDictShapes(squeezenetLayers());
    expect(m.size).toBe(2 + 8 * 6);
    expect(m.get('features.0.weight')).toEqual([64, 3, 3, 3]);
    const fires: [number, number, number, number][] = [
      [3, 64, 16, 64],
      [4, 128, 16, 64],
      [6, 128, 32, 128],
      [7, 256, 32, 128],
      [9, 256, 48, 192],
      [10, 384, 48, 192],
      [11, 384, 64, 256],
      [12, 512, 64, 256],
    ];
    for (const [i, cin, sq, ex] of fires) {
      expect(m.get(`features.${i}.squeeze.weight`), `fire at ${i}`).toEqual([sq, cin, 1, 1]);
      expect(m.get(`features.${i}.squeeze.bias`)).toEqual([sq]);
      expect(m.get(`features.${i}.expand1x1.weight`)).toEqual([ex, sq, 1, 1]);
      expect(m.get(`features.${i}.expand1x1.bias`)).toEqual([ex]);
      expect(m.get(`features.${i}.expand3x3.weight`)).toEqual([ex, sq, 3, 3]);
      expect(m.get(`features.${i}.expand3x3.bias`)).toEqual([ex]);
    }
    expect(
      squeezenetLayers()
        .map((l) => `${l.index}:${l.name}`)
        .join(' '),
    ).toBe('0:conv1 1:relu1 2:pool1 3:fire2 4:fire3 5:pool3 6:fire4 7:fire5 8:pool5 9:fire6 10:fire7 11:fire8 12:fire9');
  });

  it('full-width taps on 64x64: shapes by hand (AlexNet 11x11/4 pad 2 and 3/2 pools; SqueezeNet 3x3/2 and ceil-mode pools); the LPIPS channel counts', () => {
    const start = memory().tensors;
    const x = rand([1, 3, 64, 64]);
    const a = randomAlexNet({ seed: 1 });
    const fa = a.features(x, [...LPIPS_ALEX_TAPS, 'pool5']);
    // conv1: floor((64 + 4 - 11) / 4) + 1 = 15; pool: floor((15 - 3) / 2) + 1 = 7; pool: 3; pool5: 1
    expect([...fa.values()].map((t) => t.shape)).toEqual([
      [1, 64, 15, 15],
      [1, 192, 7, 7],
      [1, 384, 3, 3],
      [1, 256, 3, 3],
      [1, 256, 3, 3],
      [1, 256, 1, 1],
    ]);
    expect(LPIPS_ALEX_TAPS.map((t) => a.channelsAt(t))).toEqual([...LPIPS_CHANNELS.alex]);
    const s = randomSqueezeNet({ seed: 1 });
    const fs = s.features(x, [...LPIPS_SQUEEZE_TAPS, 'pool1']);
    // conv1: floor((64 - 3) / 2) + 1 = 31; ceil pools: ceil((31 - 3) / 2) + 1 = 15, then 7, then 3
    expect([...fs.values()].map((t) => t.shape)).toEqual([
      [1, 64, 31, 31],
      [1, 128, 15, 15],
      [1, 256, 7, 7],
      [1, 384, 3, 3],
      [1, 384, 3, 3],
      [1, 512, 3, 3],
      [1, 512, 3, 3],
      [1, 64, 15, 15],
    ]);
    expect(LPIPS_SQUEEZE_TAPS.map((t) => s.channelsAt(t))).toEqual([...LPIPS_CHANNELS.squeeze]);
    // taps are after the ReLU: non-negative
    for (const t of [...fa.values(), ...fs.values()]) expect(Math.min(...t.dataSync())).toBeGreaterThanOrEqual(0);
    for (const t of [x, ...fa.values(), ...fs.values()]) t.dispose();
    a.dispose();
    s.dispose();
    expect(memory().tensors).toBe(start);
  });

  it('errors: unknown tap, wrong input, an image too small names the layer', () => {
    const a = randomAlexNet({ widthMultiplier: 1 / 16 });
    const x = rand([1, 3, 8, 8]);
    expect(() => a.features(x, ['relu9'])).toThrow(/alexnet\.features: unknown tap "relu9" \(choose from conv1, relu1, pool1/);
    expect(() => a.features(rand([1, 1, 8, 8]), ['relu1'])).toThrow(/input must be \[N, 3, H, W\], got \[1, 1, 8, 8\]/);
    expect(() => a.features(x, ['relu5'])).toThrow(/the image \[1, 3, 8, 8\] is too small for pool1/);
    a.dispose();
    x.dispose();
  });
});

describe('loading', () => {
  it('AlexNet and SqueezeNet from legacy, zip and safetensors files (classifier skipped) give the directly built features; Maps too', async () => {
    const x = rand([1, 3, 40, 40]);
    for (const kind of ['alex', 'squeeze'] as const) {
      const net = kind === 'alex' ? randomAlexNet({ seed: 3, widthMultiplier: 1 / 8 }) : randomSqueezeNet({ seed: 3, widthMultiplier: 1 / 8 });
      const taps = kind === 'alex' ? [...LPIPS_ALEX_TAPS] : [...LPIPS_SQUEEZE_TAPS];
      const want = net.features(x, taps);
      const state = new Map(net.stateDict());
      const cls = tensor(new Float32Array(6).fill(1), { shape: [3, 2] });
      state.set(kind === 'alex' ? 'classifier.6.weight' : 'classifier.1.weight', cls);
      const load = (w: Uint8Array | string | Map<string, Tensor>) =>
        kind === 'alex' ? alexnet({ weights: w, channels: (net as AlexNet).channels }) : squeezenet1_1({ weights: w, widths: (net as SqueezeNet).widths });
      const path = join(dir, `${kind}.safetensors`);
      writeFileSync(path, safetensorsBytes(state));
      for (const [fmt, src] of [
        ['legacy', legacyBytes(state)],
        ['zip', zipBytes(state, kind)],
        ['safetensors path', path],
        ['map', state],
      ] as const) {
        const loaded = await load(src as Uint8Array | string | Map<string, Tensor>);
        expect(loaded, fmt).toBeInstanceOf(kind === 'alex' ? AlexNet : SqueezeNet);
        const got = loaded.features(x, taps);
        for (const t of taps) expect(Array.from(got.get(t)!.dataSync()), `${kind} ${fmt} ${t}`).toEqual(Array.from(want.get(t)!.dataSync()));
        for (const t of got.values()) t.dispose();
        loaded.dispose();
      }
      // a Map is used as it is: the caller's tensors stay alive
      expect(cls.isDisposed).toBe(false);
      cls.dispose();
      for (const t of want.values()) t.dispose();
      net.dispose();
    }
    x.dispose();
  });

  it('strict: missing, unexpected and mis-shaped keys are all listed', () => {
    const net = randomAlexNet({ seed: 2 });
    const m = new Map(net.stateDict());
    m.delete('features.8.bias');
    m.set('features.1.weight', tensor([1]));
    m.set('features.3.weight', tensor(new Float32Array(4), { shape: [2, 2, 1, 1] }));
    let err: unknown;
    try {
      alexnetFromStateDict(m);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BackboneWeightsError);
    expect((err as Error).message).toMatch(
      /alexnet: the weights do not match the architecture: missing keys \(1\): features\.8\.bias; unexpected keys \(1\): features\.1\.weight; mis-shaped keys \(1\): features\.3\.weight expected \[192, 64, 5, 5\] got \[2, 2, 1, 1\]/,
    );
    expect(() => squeezenetFromStateDict(net.stateDict())).toThrow(
      /squeezenet1_1: .*missing keys \(48\): features\.3\.squeeze\.weight, .*unexpected keys \(8\): features\.3\.weight, .*mis-shaped keys \(1\): features\.0\.weight expected \[64, 3, 3, 3\] got \[64, 3, 11, 11\]/,
    );
    m.get('features.1.weight')!.dispose();
    m.get('features.3.weight')!.dispose();
    net.dispose();
  });

  it("discovery: torchvision's file names in the torch hub cache; the error lists where it looked and the URL", async () => {
    const hub = join(dir, 'torch', 'hub', 'checkpoints');
    mkdirSync(hub, { recursive: true });
    writeFileSync(join(hub, 'squeezenet1_1-b8a52dc0.pth'), '');
    const env = { env: { TORCH_HOME: join(dir, 'torch') }, home: join(dir, 'home') };
    expect(await findTorchvisionWeights('squeezenet1_1', env)).toBe(join(hub, 'squeezenet1_1-b8a52dc0.pth'));
    const e = await findTorchvisionWeights('alexnet', env).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(WeightsNotFoundError);
    expect((e as WeightsNotFoundError).searched).toEqual([
      join(hub, 'alexnet-owt-7be5be79.pth'),
      join(dir, 'home', '.cache', 'torch', 'hub', 'checkpoints', 'alexnet-owt-7be5be79.pth'),
    ]);
    expect((e as Error).message).toMatch(/https:\/\/download\.pytorch\.org\/models\/alexnet-owt-7be5be79\.pth/);
    expect(await findTorchvisionWeights('vgg16', env).catch((x: Error) => x.message)).toMatch(/vgg16-397923af\.pth is not in the torch hub cache/);
  });

  it('float64 on request; the default weights are the architecture constants', () => {
    const a = randomAlexNet({ dtype: 'float64', widthMultiplier: 1 / 16 });
    expect(a.dtype).toBe('float64');
    expect(a.channels).toEqual([4, 12, 24, 16, 16]);
    a.dispose();
    expect([...ALEXNET_CHANNELS]).toEqual([...LPIPS_CHANNELS.alex]);
  });
});

describeFixtures("the real LPIPS heads of AlexNet and SqueezeNet: the backbones' channels, the file's values", () => {
  const expected = JSON.parse(readFileSync(fixture('expected-values.json'), 'utf8')) as {
    tensor_summaries: Record<string, { tensors: Record<string, { shape: number[]; sum: number; first: number[] }> }>;
  };
  for (const net of ['alex', 'squeeze'] as const) {
    for (const version of ['0.1', '0.0'] as const) {
      it(`${net} v${version}`, async () => {
        const path = fixture('lpips', 'weights', `v${version}`, `${net}.pth`);
        const heads = await loadLpipsHeads(path, { net, version });
        const backbone = net === 'alex' ? randomAlexNet() : randomSqueezeNet();
        const taps = net === 'alex' ? LPIPS_ALEX_TAPS : LPIPS_SQUEEZE_TAPS;
        expect(heads.channels).toEqual(taps.map((t) => backbone.channelsAt(t)));
        expect(heads.channels).toEqual(net === 'alex' ? [64, 192, 384, 256, 256] : [64, 128, 256, 384, 384, 512, 512]);
        const summary = expected.tensor_summaries[`lpips/weights/v${version}/${net}.pth`]!.tensors;
        const file = await loadCheckpoint(path);
        heads.weights.forEach((w, k) => {
          const s = summary[`lin${k}.model.1.weight`]!;
          const d = Array.from(w.dataSync());
          expect(w.shape).toEqual(s.shape);
          expect(d.slice(0, 4)).toEqual(s.first);
          expect(d.reduce((a, b) => a + b, 0)).toBeCloseTo(s.sum, 4);
          expect(d).toEqual(Array.from(file.get(`lin${k}.model.1.weight`)!.dataSync()));
        });
        for (const t of file.values()) t.dispose();
        heads.dispose();
        backbone.dispose();
      });
    }
  }
});
