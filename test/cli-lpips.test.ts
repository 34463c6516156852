/**
 * `pixgrad compare --lpips --perceptual`: with weights (a random full-size VGG16 written here as
 * safetensors, the real LPIPS v0.1 heads from the fixtures) the rows equal the library's lpips and
 * perceptualLoss on the same networks; weights found by discovery (torch hub cache, an installed
 * lpips package) work the same; without weights the rows are n/a, stderr says where it looked and
 * where to get them, the weight-free metrics are still printed and the exit status is 0.
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memory, tidy } from '@pixgrad/core';
import { lpips, perceptualLoss } from '@pixgrad/losses';
import { type LpipsHeads, type Vgg, encodePng, loadLpipsHeads, randomVgg, readImage, saveSafetensors } from '@pixgrad/models';
import { describeFixtures, fixture } from './helpers/fixtures.js';
import { inProcess, pixgradWithEnv as pixgrad } from './helpers/cli.js';

/** An environment where discovery finds nothing (no torch hub cache, no lpips package). */
async function withoutWeights<T>(base: string, fn: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  Object.assign(process.env, {
    TORCH_HOME: join(base, 'no-torch'),
    HOME: join(base, 'no-home'),
    XDG_CACHE_HOME: join(base, 'no-xdg'),
    VIRTUAL_ENV: join(base, 'no-venv'),
    PYTHONPATH: '',
  });
  delete process.env['CONDA_PREFIX'];
  try {
    return await fn();
  } finally {
    process.env = saved;
  }
}

let dir: string;
const p = (name: string) => join(dir, name);

/** A 32x32 RGB image: smooth ramps plus a seeded pattern. */
function image(seed: number, amp: number, channels: 1 | 3 = 3) {
  const w = 32;
  const data = new Float32Array(w * w * channels);
  for (let y = 0; y < w; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < channels; c++) {
        const v = 0.5 + 0.3 * Math.sin((x + 2 * c) / 5) * Math.cos(y / 7) + amp * Math.sin(seed * (x * 31 + y * 17 + c * 7));
        data[(y * w + x) * channels + c] = Math.min(1, Math.max(0, v));
      }
  return { width: w, height: w, channels, data };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pixgrad-cli-lpips-'));
  await writeFile(p('ref.png'), encodePng(image(1, 0)));
  await writeFile(p('test.png'), encodePng(image(1.3, 0.08)));
  await writeFile(p('grey-ref.png'), encodePng(image(1, 0, 1)));
  await writeFile(p('grey-test.png'), encodePng(image(2, 0.1, 1)));
  await writeFile(p('tiny.png'), encodePng({ width: 12, height: 12, channels: 3, data: new Float32Array(12 * 12 * 3).fill(0.5) }));
  await writeFile(p('tiny2.png'), encodePng({ width: 12, height: 12, channels: 3, data: new Float32Array(12 * 12 * 3).fill(0.4) }));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('pixgrad compare without weights', () => {
  it('says where it looked and how to get them, prints the weight-free metrics, exits 0', async () => {
    const r = await withoutWeights(dir, () => inProcess('compare', p('ref.png'), p('test.png'), '--lpips', '--perceptual'));
    expect(r.code, r.stderr).toBe(0);
    // what was searched, the file names and the URLs
    expect(r.stderr).toMatch(/--lpips and --perceptual need network weights that were not found/);
    expect(r.stderr).toContain(join(dir, 'no-torch', 'hub', 'checkpoints', 'vgg16-397923af.pth'));
    expect(r.stderr).toContain(join(dir, 'no-home', '.cache', 'torch', 'hub', 'checkpoints', 'vgg16-397923af.pth'));
    expect(r.stderr).toContain('https://download.pytorch.org/models/vgg16-397923af.pth');
    expect(r.stderr).toContain('--vgg-weights PATH');
    expect(r.stderr).toMatch(/LPIPS heads \(lpips\/weights\/v0\.1\/vgg\.pth, 7 KB\) not found\. Looked in:\n {4}\/\S+\/lpips\/weights\/v0\.1\/vgg\.pth\n/);
    expect(r.stderr).toContain('https://github.com/richzhang/PerceptualSimilarity/raw/master/lpips/weights/v0.1/vgg.pth');
    expect(r.stderr).toContain('pip install lpips');
    // the weight-free rows as usual, the weighted ones n/a with the reason
    expect(r.stdout).toMatch(/^PSNR \(dB\)\s+\d+\.\d\d\s+higher/m);
    expect(r.stdout).toMatch(/^SSIM\s+0\.\d{4}/m);
    expect(r.stdout).toMatch(/^LPIPS\s+n\/a\s+n\/a: no VGG16 weights \(vgg16-397923af\.pth\) found, see stderr/m);
    expect(r.stdout).toMatch(/^perceptual\s+n\/a\s+n\/a: no VGG16 weights/m);
  });

  it('JSON keeps stdout machine-readable: null rows with notes; only --perceptual needs no heads', async () => {
    const r = await withoutWeights(dir, () => inProcess('compare', p('ref.png'), p('test.png'), '--perceptual', '--json', '--metrics', 'psnr'));
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j.metrics)).toEqual(['psnr', 'perceptual']);
    expect(j.metrics.psnr).toBeGreaterThan(10);
    expect(j.metrics.perceptual).toBeNull();
    expect(j.notes.perceptual).toMatch(/no VGG16 weights/);
    expect(r.stderr).toMatch(/--perceptual needs network weights that were not found; that row is n\/a/);
    expect(r.stderr).not.toMatch(/LPIPS heads/);
  });

  it('usage: --vgg-weights / --lpips-weights without the rows they serve exit 2', async () => {
    const a = await inProcess('compare', p('ref.png'), p('test.png'), '--vgg-weights', 'x.pth');
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--vgg-weights applies to --lpips and --perceptual/);
    const b = await inProcess('compare', p('ref.png'), p('test.png'), '--perceptual', '--lpips-weights', 'x.pth');
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--lpips-weights applies to --lpips/);
  });
});

describeFixtures('pixgrad compare with weights', () => {
  let net: Vgg;
  let heads: LpipsHeads;
  const headsPath = () => fixture('lpips', 'weights', 'v0.1', 'vgg.pth');

  beforeAll(async () => {
    // a random full-size VGG16 (torchvision's layout and shapes; 59 MB of features) as safetensors
    net = randomVgg('vgg16', { seed: 17 });
    await saveSafetensors(p('vgg16.safetensors'), net.stateDict());
    heads = await loadLpipsHeads(headsPath());
  });
  afterAll(() => {
    net?.dispose();
    heads?.dispose();
  });

  it('--lpips --perceptual with paths: the library values on the same networks; no tensors left behind', async () => {
    const start = memory().tensors;
    const r = await inProcess(
      'compare',
      p('ref.png'),
      p('test.png'),
      '--lpips',
      '--perceptual',
      '--json',
      '--vgg-weights',
      p('vgg16.safetensors'),
      '--lpips-weights',
      headsPath(),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(memory().tensors).toBe(start);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j.metrics).slice(-2)).toEqual(['lpips', 'perceptual']);
    const [x, y] = await Promise.all([readImage(p('ref.png')), readImage(p('test.png'))]);
    const [d, q, same] = tidy(() => [
      lpips(x, y, { weights: heads, backbone: net, normalize: true }),
      perceptualLoss(y, x, { net, layers: ['relu2_2', 'relu4_3'] }),
      lpips(x, x, { weights: heads, backbone: net, normalize: true }),
    ]);
    expect(j.metrics.lpips).toBeGreaterThan(0);
    expect(j.metrics.lpips).toBeCloseTo(d!.itemSync(), 6);
    expect(j.metrics.perceptual).toBeGreaterThan(0);
    expect(j.metrics.perceptual).toBeCloseTo(q!.itemSync(), 6);
    expect(same!.itemSync()).toBe(0);
    for (const t of [x, y, d!, q!, same!]) t.dispose();

    // the table: identical images give 0 for both rows
    const t = await inProcess(
      'compare',
      p('ref.png'),
      p('ref.png'),
      '--lpips',
      '--perceptual',
      '--vgg-weights',
      p('vgg16.safetensors'),
      '--lpips-weights',
      headsPath(),
    );
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/^LPIPS\s+0\.0000\s+lower\s+Zhang et al\. 2018, VGG16 backbone, v0\.1 heads/m);
    expect(t.stdout).toMatch(/^perceptual\s+0\.00000\s+lower/m);
  });

  it("grey images are repeated to RGB; images under the taps' minimum size are n/a", async () => {
    const r = await inProcess(
      'compare',
      p('grey-ref.png'),
      p('grey-test.png'),
      '--lpips',
      '--json',
      '--vgg-weights',
      p('vgg16.safetensors'),
      '--lpips-weights',
      headsPath(),
    );
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.metrics.lpips).toBeGreaterThan(0);
    expect(j.notes.lpips).toBe('grey repeated to RGB');
    const [x, y] = await Promise.all([readImage(p('grey-ref.png')), readImage(p('grey-test.png'))]);
    const d = tidy(() => lpips(x.expand([1, 3, 32, 32]), y.expand([1, 3, 32, 32]), { weights: heads, backbone: net, normalize: true }));
    expect(j.metrics.lpips).toBeCloseTo(d.itemSync(), 6);
    for (const t of [x, y, d]) t.dispose();

    const s = await inProcess(
      'compare',
      p('tiny.png'),
      p('tiny2.png'),
      '--lpips',
      '--perceptual',
      '--json',
      '--vgg-weights',
      p('vgg16.safetensors'),
      '--lpips-weights',
      headsPath(),
    );
    expect(s.code, s.stderr).toBe(0);
    const k = JSON.parse(s.stdout);
    expect(k.metrics.lpips).toBeNull();
    expect(k.notes.lpips).toMatch(/needs at least 16x16 pixels, image is 12x12/);
    expect(k.metrics.perceptual).toBeGreaterThan(0);
  });

  it('a given weights file that cannot be loaded: named, rows n/a, metrics still printed, exit 1', async () => {
    await writeFile(p('broken.pth'), 'not a checkpoint');
    const r = await inProcess('compare', p('ref.png'), p('test.png'), '--lpips', '--vgg-weights', p('broken.pth'), '--lpips-weights', headsPath());
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^PSNR \(dB\)\s+\d/m);
    expect(r.stdout).toMatch(/^LPIPS\s+n\/a\s+n\/a: the VGG16 weights .*broken\.pth could not be loaded/m);
    expect(r.stderr).toMatch(/broken\.pth: cannot load VGG16 weights/);
  });

  it('discovery (torch hub cache and an installed lpips package), in a child process, a reference against a folder', async () => {
    const hub = p('torch/hub/checkpoints');
    const pkg = p('venv/lib/python3.11/site-packages/lpips/weights/v0.1');
    await mkdir(hub, { recursive: true });
    await mkdir(pkg, { recursive: true });
    await mkdir(p('tests'), { recursive: true });
    await copyFile(p('vgg16.safetensors'), join(hub, 'vgg16-397923af.pth')); // formats are detected from the bytes
    await copyFile(headsPath(), join(pkg, 'vgg.pth'));
    await copyFile(p('ref.png'), p('tests/same.png'));
    await copyFile(p('test.png'), p('tests/other.png'));
    const env = { TORCH_HOME: p('torch'), VIRTUAL_ENV: p('venv'), HOME: p('no-home'), PYTHONPATH: '' };
    const r = await pixgrad(env, 'compare', p('ref.png'), p('tests'), '--lpips', '--perceptual', '--csv', '--metrics', 'psnr');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('name,ref,test,width,height,channels,psnr,lpips,perceptual,error');
    const rows = Object.fromEntries(lines.slice(1).map((l) => [l.split(',')[0], l.split(',')]));
    expect(rows['same.png']!.slice(6, 9)).toEqual(['inf', '0', '0']);
    const [x, y] = await Promise.all([readImage(p('ref.png')), readImage(p('test.png'))]);
    const d = tidy(() => lpips(x, y, { weights: heads, backbone: net, normalize: true }));
    expect(Number(rows['other.png']![7])).toBeCloseTo(d.itemSync(), 6);
    for (const t of [x, y, d]) t.dispose();
  });
});
