/**
 * `pixgrad stylize`: Gatys et al. image optimisation on random-weight VGG checkpoints written here
 * (narrow VGG19-layout nets so a step takes milliseconds; a full-size VGG16 once to check the
 * architecture is told from the file). It runs, the loss decreases, the first loss is the
 * objective at the content image, the PNG has the content's size; errors name what is wrong.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memory, tensor, tidy } from '@pixgrad/core';
import { GATYS_STYLE_LAYERS, contentStyleLoss, styleTargets } from '@pixgrad/losses';
import { VGG_CONFIGS, decodeImage, encodePng, loadVgg, randomVgg, readImage, saveSafetensors } from '@pixgrad/models';
import { fitImage, stylize, vggConfigOf } from '@pixgrad/cli';
import { runCliCaptured as run } from './helpers/cli.js';

let dir: string;
const p = (name: string) => join(dir, name);

function picture(w: number, h: number, seed: number, channels: 1 | 3 = 3) {
  const data = new Float32Array(w * h * channels);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < channels; c++) {
        data[(y * w + x) * channels + c] = 0.5 + 0.45 * Math.sin(seed * (x / 3 + c) + Math.cos((y * seed) / 4));
      }
  return { width: w, height: h, channels, data };
}

const narrow19 = () => randomVgg('vgg19', { seed: 5, widthMultiplier: 1 / 8 });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pixgrad-stylize-'));
  await writeFile(p('content.png'), encodePng(picture(32, 32, 1)));
  await writeFile(p('style.png'), encodePng(picture(48, 40, 2.5)));
  await writeFile(p('grey.png'), encodePng(picture(64, 48, 1.7, 1)));
  const net = narrow19();
  await saveSafetensors(p('vgg19-narrow.safetensors'), net.stateDict());
  net.dispose();
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('pixgrad stylize', () => {
  it('runs on a narrow VGG19-layout checkpoint: the loss decreases, the PNG has the content size; nothing left behind', async () => {
    const start = memory().tensors;
    const r = await run([
      'stylize',
      p('content.png'),
      p('style.png'),
      '-o',
      p('out.png'),
      '--vgg-weights',
      p('vgg19-narrow.safetensors'),
      '--steps',
      '5',
      '--size',
      '32',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(memory().tensors).toBe(start);
    expect(r.stdout).toMatch(/style .*style\.png \(48x40\) -> 32x27/);
    expect(r.stdout).toMatch(/network: a VGG-layout network \(16 convs, 8\/8\/16\/16\/32/);
    const losses = [...r.stdout.matchAll(/^step (\d)\/5 {2}loss (\S+)$/gm)].map((m) => Number(m[2]));
    expect(losses).toHaveLength(5);
    for (let i = 1; i < losses.length; i++) expect(losses[i]!, `step ${i + 1}`).toBeLessThan(losses[i - 1]!);
    expect(r.stdout).toMatch(/wrote .*out\.png \(32x32\)/);
    const png = decodeImage(new Uint8Array(await readFile(p('out.png'))));
    expect([png.width, png.height, png.channels]).toEqual([32, 32, 3]);
    // the image changed from the content
    const content = decodeImage(new Uint8Array(await readFile(p('content.png'))));
    let diff = 0;
    for (let i = 0; i < png.data.length; i++) diff += Math.abs(png.data[i]! - content.data[i]!);
    expect(diff / png.data.length).toBeGreaterThan(1e-3);
  });

  it('a grey content image is scaled to --size and made RGB; the progress bar goes to the terminal stream', async () => {
    const r = await run(
      [
        'stylize',
        p('grey.png'),
        p('style.png'),
        '-o',
        p('grey-out.png'),
        '--vgg-weights',
        p('vgg19-narrow.safetensors'),
        '--steps',
        '3',
        '--size',
        '24',
        '--style-weight',
        '1e4',
        '--lr',
        '0.05',
      ],
      true,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.progress).toMatch(/\[#+-*\] 3\/3 \d+s loss \S+/);
    expect(r.progress.endsWith('\r\x1b[K')).toBe(true);
    expect(r.stdout).not.toMatch(/^step /m);
    const png = decodeImage(new Uint8Array(await readFile(p('grey-out.png'))));
    expect([png.width, png.height, png.channels]).toEqual([24, 18, 3]);
  });

  it('stylize(): the first loss is contentStyleLoss at the content image, with precomputed style targets', async () => {
    const net = await loadVgg(await vggConfigOf(p('vgg19-narrow.safetensors')), p('vgg19-narrow.safetensors'));
    const direct = narrow19();
    // the config read from the file's shapes is the narrow VGG19's
    expect(net.config).toEqual(direct.config);
    const [c0, s0] = await Promise.all([readImage(p('content.png')), readImage(p('style.png'))]);
    const [content, style] = [fitImage(c0, 32), fitImage(s0, 32)];
    const { image, losses } = await stylize(content, style, net, { steps: 4, styleWeight: 1e5, lr: 0.03 });
    const want = tidy(() => {
      const t = styleTargets(direct, style, [...GATYS_STYLE_LAYERS]);
      return contentStyleLoss(content, content, t, { net: direct, beta: 1e5 });
    });
    expect(losses[0]).toBeCloseTo(want.itemSync(), 3);
    expect(losses[0]).toBeGreaterThan(0);
    expect(losses[3]).toBeLessThan(losses[0]!);
    expect(image.shape).toEqual([1, 3, 32, 32]);
    const v = Array.from(image.dataSync());
    expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...v)).toBeLessThanOrEqual(1);
    for (const t of [image, want, c0, s0, content, style]) t.dispose();
    net.dispose();
    direct.dispose();
  });

  it('a full-size VGG16 file is recognised as VGG16 (its layout read without reading the weights)', async () => {
    const net = randomVgg('vgg16', { seed: 1 });
    await saveSafetensors(p('vgg16.safetensors'), net.stateDict());
    net.dispose();
    expect(await vggConfigOf(p('vgg16.safetensors'))).toEqual(VGG_CONFIGS.vgg16);
    const r = await run([
      'stylize',
      p('content.png'),
      p('style.png'),
      '-o',
      p('out16.png'),
      '--vgg-weights',
      p('vgg16.safetensors'),
      '--steps',
      '2',
      '--size',
      '20',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/network: VGG16, /);
    const png = decodeImage(new Uint8Array(await readFile(p('out16.png'))));
    expect([png.width, png.height]).toEqual([20, 20]);
  });

  it('no VGG weights anywhere: exit 1, listing where it looked and what to download', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { TORCH_HOME: p('no-torch'), HOME: p('no-home'), XDG_CACHE_HOME: p('no-xdg') });
    try {
      const r = await run(['stylize', p('content.png'), p('style.png'), '-o', p('x.png')]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/stylize needs torchvision's VGG19 \(vgg19-dcbb9e9d\.pth.*\) or VGG16 \(vgg16-397923af\.pth/);
      for (const f of ['vgg19-dcbb9e9d.pth', 'vgg16-397923af.pth']) {
        for (const d of [
          join(p('no-torch'), 'hub', 'checkpoints'),
          join(p('no-xdg'), 'torch', 'hub', 'checkpoints'),
          join(p('no-home'), '.cache', 'torch', 'hub', 'checkpoints'),
        ]) {
          expect(r.stderr).toContain(join(d, f));
        }
      }
      expect(r.stderr).toContain('https://download.pytorch.org/models/vgg19-dcbb9e9d.pth');
      expect(r.stderr).toContain('--vgg-weights PATH');
      expect(r.stdout).toBe('');
    } finally {
      process.env = saved;
    }
  });

  it('a file that is not a VGG checkpoint, a missing image, and usage errors', async () => {
    const t = tensor([1, 2, 3]);
    await saveSafetensors(p('other.safetensors'), new Map([['fc.weight', t]]));
    t.dispose();
    const a = await run(['stylize', p('content.png'), p('style.png'), '-o', p('x.png'), '--vgg-weights', p('other.safetensors')]);
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/other\.safetensors: cannot load: .*missing keys \(26\): features\.0\.weight.*unexpected keys \(1\): fc\.weight/);
    const b = await run(['stylize', p('nope.png'), p('style.png'), '-o', p('x.png'), '--vgg-weights', p('vgg19-narrow.safetensors')]);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/nope\.png: no such file/);
    for (const [args, msg] of [
      [['stylize', p('content.png'), p('style.png')], /needs -o OUT\.png/],
      [['stylize', p('content.png'), '-o', 'x.png'], /takes CONTENT and STYLE images; got 1/],
      [['stylize', p('content.png'), p('style.png'), '-o', 'x.jpg'], /-o must name a \.png file/],
      [['stylize', p('content.png'), p('style.png'), '-o', 'x.png', '--steps', '0'], /--steps must be a positive integer, got '0'/],
      [['stylize', p('content.png'), p('style.png'), '-o', 'x.png', '--size', '8'], /--size must be an integer >= 16/],
      [['stylize', p('content.png'), p('style.png'), '-o', 'x.png', '--lr', 'fast'], /--lr must be a positive number/],
    ] as const) {
      const r = await run([...args]);
      expect(r.code, String(args)).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).toMatch(/pixgrad stylize --help/);
    }
    const h = await run(['stylize', '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/Gatys, Ecker and Bethge/);
  });
});
