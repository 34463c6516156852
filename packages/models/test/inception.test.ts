/**
 * Inception-v3 against PyTorch: test/data/inception-reference.json was written by
 * scripts/gen-inception-reference.py (torch 1.13, torchvision 0.14, pytorch-fid v0.3.0's own
 * inception.py) with full-width weights made by a counter hash that `hashWeights` recomputes here,
 * so every conv, pool, concat order, BN fold and tap of both variants is checked at full width
 * without committing weights. Plus: the state-dict layout is pytorch-fid's exactly, loading
 * from a torch zip file, strict errors, weight discovery, the three preprocessing pipelines.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { memory, tensor, tidy } from '@pixgrad/core';
import {
  InceptionWeightsError,
  WeightsNotFoundError,
  findInceptionWeights,
  inceptionFromStateDict,
  inceptionPreprocess,
  inceptionStateDictShapes,
  inceptionV3,
  resampleMatrix,
  type InceptionTap,
  type InceptionV3,
  type InceptionVariant,
} from '../src/index.js';
import { hashUniform, hashWeights } from './inception-weights.js';
import { zipBytes } from './vgg-files.js';

const here = dirname(fileURLToPath(import.meta.url));
const ref = JSON.parse(readFileSync(join(here, 'data', 'inception-reference.json'), 'utf8')) as {
  state_dict: [string, number[]][];
  fid: Record<string, number[] | string>[];
  fid_resized: { '2048': number[] };
  torchvision: { state_dict: [string, number[]][]; '2048': number[]; logits: number[] };
  pil_bicubic: { input: number[]; shape: [number, number]; out: Record<string, number[]> };
};
const dir = mkdtempSync(join(tmpdir(), 'pixgrad-inception-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const image = (k: number, h: number, w: number) => tensor(Float32Array.from(hashUniform(`image:${k}`, 3 * h * w)), { shape: [1, 3, h, w] });

function expectClose(got: Float32Array | Float64Array, want: number[], tol: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  let scale = 0;
  for (const v of want) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
  expect(worst / scale, `${what}: max |diff| ${worst} vs max |ref| ${scale}`).toBeLessThan(tol);
}

const nets = new Map<InceptionVariant, InceptionV3>();
async function net(variant: InceptionVariant): Promise<InceptionV3> {
  if (!nets.has(variant)) {
    const w = hashWeights(variant);
    nets.set(variant, await inceptionFromStateDict(w, { variant }));
    for (const t of w.values()) t.dispose();
  }
  return nets.get(variant)!;
}
afterAll(() => {
  for (const n of nets.values()) n.dispose();
});

describe('inceptionV3 against PyTorch (pytorch-fid v0.3.0, torchvision 0.14)', () => {
  it('expects exactly the state-dict keys and shapes of pytorch-fid and torchvision', () => {
    expect([...inceptionStateDictShapes('fid')].sort()).toEqual([...ref.state_dict].sort());
    expect([...inceptionStateDictShapes('torchvision')].sort()).toEqual([...ref.torchvision.state_dict].sort());
  });

  it('fid variant: every tap of two 299x299 images matches pytorch-fid within 2e-5 (float32, relative to the largest value)', async () => {
    const n = await net('fid');
    const taps: InceptionTap[] = ['64', '192', '768', '2048', 'logits_unbiased', 'spatial', 'logits'];
    const both = tidy(() =>
      inceptionPreprocess(
        tensor(new Float32Array([...hashUniform('image:0', 3 * 299 * 299), ...hashUniform('image:1', 3 * 299 * 299)]), { shape: [2, 3, 299, 299] }),
        'pytorch-fid',
      ),
    );
    const before = memory().tensors;
    const f = n.features(both, taps);
    expect(memory().tensors).toBe(before + taps.length);
    expect(f.get('spatial')!.shape).toEqual([2, 2023]);
    expect(f.get('logits_unbiased')!.shape).toEqual([2, 1008]);
    for (const t of taps.filter((t) => t !== 'logits')) {
      const got = f.get(t)!.dataSync() as Float32Array;
      const d = got.length / 2;
      for (let k = 0; k < 2; k++) expectClose(got.subarray(k * d, (k + 1) * d), ref.fid[k]![t] as number[], 2e-5, `image ${k} tap ${t}`);
    }
    // logits = logits_unbiased + fc.bias
    const lb = f.get('logits')!.sub(f.get('logits_unbiased')!);
    expect(Math.abs((lb.dataSync()[0] as number) - (hashUniform('fc.bias', 1)[0]! * 2 - 1) * 0.1)).toBeLessThan(1e-5);
    lb.dispose();
    for (const t of f.values()) t.dispose();
    both.dispose();
  }, 120_000);

  it('stops at the deepest tap: a 64-only run works on an image too small for the rest', async () => {
    const n = await net('fid');
    const x = image(0, 40, 40);
    const f = n.features(x, ['64']);
    expect(f.get('64')!.shape).toEqual([1, 64]);
    expect(() => n.features(x, ['2048'])).toThrow(/too small for taps 2048/);
    f.get('64')!.dispose();
    x.dispose();
  });

  it("pytorch-fid's resize_input path: an 80x96 image resized to 299 gives pytorch-fid's 2048 features", async () => {
    const n = await net('fid');
    const f = tidy(() => n.features(inceptionPreprocess(image(2, 80, 96), 'pytorch-fid'), ['2048']).get('2048')!);
    expectClose(f.dataSync() as Float32Array, ref.fid_resized['2048'], 2e-5, 'resized 2048');
    f.dispose();
  }, 60_000);

  it('torchvision variant (count_include_pad pools, 1000 classes, transform_input): pooled features and logits match torchvision', async () => {
    const n = await net('torchvision');
    expect(n.classes).toBe(1000);
    const f = tidy(() => n.features(inceptionPreprocess(image(0, 299, 299), 'pytorch-fid'), ['2048', 'logits']));
    expectClose(f.get('2048')!.dataSync() as Float32Array, ref.torchvision['2048'], 2e-5, 'torchvision 2048');
    expectClose(f.get('logits')!.dataSync() as Float32Array, ref.torchvision.logits, 2e-5, 'torchvision logits');
    for (const t of f.values()) t.dispose();
  }, 60_000);

  it('loads a torch zip checkpoint (with num_batches_tracked) and gives the same features as the Map', async () => {
    const w = hashWeights('fid');
    w.set('Conv2d_1a_3x3.bn.num_batches_tracked', tensor([0], { dtype: 'float32' }));
    const path = join(dir, 'pt_inception-2015-12-05-6726825d.pth');
    writeFileSync(path, zipBytes(w, 'pt_inception'));
    for (const t of w.values()) t.dispose();
    const fromFile = await inceptionV3({ weights: path });
    const x = image(1, 90, 90);
    const a = fromFile.features(x, ['768']).get('768')!;
    const b = (await net('fid')).features(x, ['768']).get('768')!;
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    // discovery finds the file under $TORCH_HOME/hub/checkpoints
    const hub = join(dir, 'torch', 'hub', 'checkpoints');
    const { mkdirSync, renameSync } = await import('node:fs');
    mkdirSync(hub, { recursive: true });
    renameSync(path, join(hub, 'pt_inception-2015-12-05-6726825d.pth'));
    expect(await findInceptionWeights('fid', { env: { TORCH_HOME: join(dir, 'torch') }, home: dir })).toBe(join(hub, 'pt_inception-2015-12-05-6726825d.pth'));
    for (const t of [a, b, x]) t.dispose();
    fromFile.dispose();
  }, 60_000);

  it('strict: a missing, an unexpected and a mis-shaped key are all named; missing weights name the file, URL and places', async () => {
    const w = hashWeights('fid');
    w.get('Mixed_6d.branch1x1.bn.bias')!.dispose();
    w.delete('Mixed_6d.branch1x1.bn.bias');
    w.set('extra.weight', tensor([1]));
    w.get('fc.weight')!.dispose();
    w.set('fc.weight', tensor(new Float32Array(1000 * 2048), { shape: [1000, 2048] }));
    const err = await inceptionFromStateDict(w).catch((e) => e);
    expect(err).toBeInstanceOf(InceptionWeightsError);
    expect(err.missing).toEqual(['Mixed_6d.branch1x1.bn.bias']);
    expect(err.unexpected).toEqual(['extra.weight']);
    expect(err.misshaped).toEqual([{ key: 'fc.weight', expected: [1008, 2048], got: [1000, 2048] }]);
    for (const t of w.values()) t.dispose();
    const nf = await findInceptionWeights('fid', { env: {}, home: join(dir, 'nohome') }).catch((e) => e);
    expect(nf).toBeInstanceOf(WeightsNotFoundError);
    expect(nf.message).toContain('pt_inception-2015-12-05-6726825d.pth');
    expect(nf.message).toContain('https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth');
    expect(nf.message).toContain(join(dir, 'nohome', '.cache', 'torch', 'hub', 'checkpoints'));
  });

  it('rejects bad inputs with the op and shape named', async () => {
    const n = await net('fid');
    const grey = tensor(new Float32Array(299 * 299), { shape: [1, 1, 299, 299] });
    expect(() => n.features(grey, ['2048'])).toThrow(/input must be \[N, 3, H, W\], got \[1, 1, 299, 299\]/);
    expect(() => n.features(grey, ['pool3' as InceptionTap])).toThrow(/unknown tap "pool3"/);
    expect(() => inceptionPreprocess(grey, 'pytorch-fid')).toThrow(/RGB, got \[1, 1, 299, 299\]/);
    expect(() => inceptionPreprocess(grey, 'bicubic' as 'tf')).toThrow(/unknown preprocessing "bicubic"/);
    grey.dispose();
  });
});

describe('preprocessing', () => {
  const apply = (m: Float64Array, inSize: number, v: number[]) =>
    Array.from({ length: m.length / inSize }, (_, d) => v.reduce((s, x, i) => s + m[d * inSize + i]! * x, 0));

  it("TF1 legacy and PyTorch bilinear on the spec's oracles R1-R3", () => {
    // R3 (1-D [0,100,0,100] -> 6)
    const tf = apply(resampleMatrix(4, 6, 'tf1-bilinear'), 4, [0, 100, 0, 100]);
    const pt = apply(resampleMatrix(4, 6, 'bilinear'), 4, [0, 100, 0, 100]);
    [0, 66.667, 66.667, 0, 66.667, 100].forEach((v, i) => expect(tf[i]).toBeCloseTo(v, 2));
    [0, 50, 83.333, 16.667, 50, 100].forEach((v, i) => expect(pt[i]).toBeCloseTo(v, 2));
    // R1 / R2: 3x3 [[0,10,20],[30,40,50],[60,70,80]] -> 5x5 through the tensor path (tf: rows of R1, pytorch: R2)
    const x = tensor(
      [0, 10, 20, 30, 40, 50, 60, 70, 80].map((v) => v / 255),
      { shape: [1, 1, 3, 3], dtype: 'float64' },
    ).expand([1, 3, 3, 3]);
    const r1 = tidy(() => inceptionPreprocess(x, 'tf', 5).mul(128).add(128));
    const r2 = tidy(() => inceptionPreprocess(x, 'pytorch-fid', 5).add(1).div(2).mul(255));
    const R1 = [0, 6, 12, 18, 20, 18, 24, 30, 36, 38, 36, 42, 48, 54, 56, 54, 60, 66, 72, 74, 60, 66, 72, 78, 80];
    const R2 = [0, 4, 10, 16, 20, 12, 16, 22, 28, 32, 30, 34, 40, 46, 50, 48, 52, 58, 64, 68, 60, 64, 70, 76, 80];
    const a = r1.dataSync();
    const b = r2.dataSync();
    R1.forEach((v, i) => expect(a[i]).toBeCloseTo(v, 9));
    R2.forEach((v, i) => expect(b[i]).toBeCloseTo(v, 9));
    for (const t of [x, r1, r2]) t.dispose();
  });

  it("clean: Pillow 9.4's float bicubic (antialiased when shrinking) to 1e-4 of 255, both directions and mixed", () => {
    const [h, w] = ref.pil_bicubic.shape;
    const src = tensor(
      ref.pil_bicubic.input.map((v) => v / 255),
      { shape: [1, 1, h, w], dtype: 'float64' },
    ).expand([1, 3, h, w]);
    for (const [size, want] of Object.entries(ref.pil_bicubic.out)) {
      const [oh, ow] = size.split('x').map(Number) as [number, number];
      const m = tidy(() => {
        const y = src.mul(255);
        const rw = tensor(resampleMatrix(w, ow, 'pil-bicubic'), { shape: [ow, w], dtype: 'float64' });
        const rh = tensor(resampleMatrix(h, oh, 'pil-bicubic'), { shape: [1, 1, oh, h], dtype: 'float64' });
        return rh.matmul(y.matmul(rw.transpose())).slice([
          [0, 1],
          [0, 1],
        ]);
      });
      expectClose(m.dataSync() as Float64Array, want, 1e-6, `pil ${size}`);
      m.dispose();
    }
    src.dispose();
  });

  it('every preset is the identity resize at 299x299 and maps [0, 1] as documented', () => {
    const x = tensor([0, 0.5, 1], { shape: [1, 3, 1, 1] }).expand([1, 3, 299, 299]);
    for (const [p, lo, mid, hi] of [
      ['pytorch-fid', -1, 0, 1],
      ['tf', -1, -0.00390625, 0.9921875],
      ['clean', -1, -0.00390625, 0.9921875],
    ] as const) {
      const y = inceptionPreprocess(x, p);
      const d = y.dataSync();
      [lo, mid, hi].forEach((v, i) => expect(d[i * 299 * 299]).toBeCloseTo(v, 6));
      y.dispose();
    }
    x.dispose();
  });
});
