/**
 * End-to-end tests of the `pixgrad` command line: the CLI runs as a child process (through tsx,
 * from source) on small images generated here, and its output is checked against the library
 * functions and hand computations.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memory } from '@pixgrad/core';
import { colorAngleLoss, deltaE, l1Loss, mseLoss, psnr, rgbToLab, ssim, totalVariation } from '@pixgrad/losses';
import { decodeImage, encodePng, readImage } from '@pixgrad/models';
import { colormap, encodeJpeg, seededNormal, seededRandom, type RgbImage } from '@pixgrad/cli';
import { Progress } from '../packages/cli/src/progress.js';
import { inProcess, pixgrad } from './helpers/cli.js';

let dir: string;
const p = (name: string) => join(dir, name);

/** A 48x48 RGB image with smooth gradients and seeded coloured blocks. */
function makeRef(w = 48, h = 48, seed = 3): RgbImage {
  const rnd = seededRandom(seed);
  const data = new Float32Array(w * h * 3);
  const blocks = Array.from({ length: 16 }, () => [rnd(), rnd(), rnd()]);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const b = blocks[Math.floor(y / 12) * 4 + Math.floor(x / 12)] ?? [0.5, 0.5, 0.5];
      const i = (y * w + x) * 3;
      data[i] = 0.6 * b[0]! + 0.4 * (x / (w - 1));
      data[i + 1] = 0.6 * b[1]! + 0.4 * (y / (h - 1));
      data[i + 2] = 0.6 * b[2]! + 0.2 * ((x + y) % 2);
    }
  return { width: w, height: h, channels: 3, data };
}

function noisy(img: { width: number; height: number; channels: number; data: Float32Array }, sigma: number, seed: number) {
  const n = seededNormal(seed);
  return { ...img, data: img.data.map((v) => Math.min(1, Math.max(0, v + sigma * n()))) };
}

function toGrey(img: RgbImage) {
  const n = img.width * img.height;
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = 0.299 * img.data[3 * i]! + 0.587 * img.data[3 * i + 1]! + 0.114 * img.data[3 * i + 2]!;
  return { width: img.width, height: img.height, channels: 1, data };
}

function withAlpha(img: RgbImage, seed: number) {
  const rnd = seededRandom(seed);
  const n = img.width * img.height;
  const data = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) data[4 * i + c] = img.data[3 * i + c]!;
    data[4 * i + 3] = rnd();
  }
  return { width: img.width, height: img.height, channels: 4, data };
}

const ALL_KEYS = ['psnr', 'ssim', 'msssim', 'l1', 'mse', 'deltae', 'deltaemax', 'angle', 'tv'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pixgrad-cli-'));
  const ref = makeRef();
  const png = (img: { width: number; height: number; channels: number; data: ArrayLike<number> }) => encodePng(img);
  await writeFile(p('ref.png'), png(ref));
  await writeFile(p('noisy.png'), png(noisy(ref, 0.05, 11)));
  await writeFile(p('grey.png'), png(toGrey(ref)));
  await writeFile(p('grey-noisy.png'), png(noisy(toGrey(ref), 0.05, 12)));
  await writeFile(p('small.png'), png(makeRef(40, 48)));
  await writeFile(p('rgba.png'), png(withAlpha(ref, 5)));
  const bytes = await readFile(p('ref.png'));
  await writeFile(p('corrupt.png'), bytes.subarray(0, Math.floor(bytes.length / 2)));
  await writeFile(p('notes.txt'), 'not an image');
  // folders: a.png / a.png, b.png / b.jpg (paired by stem), one unpaired file on each side
  await mkdir(p('refs'));
  await mkdir(p('tests'));
  const b = makeRef(48, 48, 9);
  await writeFile(p('refs/a.png'), png(ref));
  await writeFile(p('refs/b.png'), png(b));
  await writeFile(p('refs/only-ref.png'), png(ref));
  await writeFile(p('tests/a.png'), png(noisy(ref, 0.05, 11)));
  await writeFile(p('tests/b.jpg'), encodeJpeg(b, 50));
  await writeFile(p('tests/only-test.png'), png(ref));
  await writeFile(p('tests/readme.txt'), 'ignored: not an image');
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('pixgrad compare: one pair', () => {
  it('identical images: PSNR inf, SSIM 1, every difference 0; MS-SSIM n/a for 48x48', async () => {
    const [r, t] = await Promise.all([pixgrad('compare', p('ref.png'), p('ref.png'), '--json'), pixgrad('compare', p('ref.png'), p('ref.png'))]);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j.metrics)).toEqual(ALL_KEYS);
    expect(j.metrics.psnr).toBe('Infinity');
    expect(j.metrics.ssim).toBeCloseTo(1, 6);
    for (const k of ['l1', 'mse', 'deltae', 'deltaemax', 'angle', 'tv']) expect(j.metrics[k], k).toBe(0);
    expect(j.metrics.msssim).toBeNull();
    expect(j.notes.msssim).toMatch(/min\(H, W\) >= 161.*48x48/);
    expect([j.width, j.height, j.channels]).toEqual([48, 48, 3]);

    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/^PSNR \(dB\)\s+inf\s+higher/m);
    expect(t.stdout).toMatch(/^MS-SSIM\s+n\/a\s+n\/a: 5 scales need/m);
    expect(t.stdout).toMatch(/^SSIM\s+1\.0000/m);
  });

  it('a known distortion: values equal the library functions and a hand computation', async () => {
    // on the CPU device, where the library values below are computed
    const r = await pixgrad('compare', p('ref.png'), p('noisy.png'), '--json', '--device', 'cpu');
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout).metrics;
    const x = await readImage(p('ref.png'));
    const y = await readImage(p('noisy.png'));
    const lab = deltaE(rgbToLab(x), rgbToLab(y), { reduction: 'none' });
    const lib: Record<string, number> = {
      psnr: await psnr(x, y).item(),
      ssim: await ssim(x, y).item(),
      l1: await l1Loss(x, y).item(),
      mse: await mseLoss(x, y).item(),
      deltae: await lab.mean().item(),
      deltaemax: await lab.max().item(),
      angle: await colorAngleLoss(x, y, { degrees: true }).item(),
      tv: (await totalVariation(y, { reduction: 'mean' }).item()) - (await totalVariation(x, { reduction: 'mean' }).item()),
    };
    for (const [k, v] of Object.entries(lib)) expect(m[k], k).toBeCloseTo(v, 5);
    // independent: L1, MSE and PSNR from the decoded 8-bit pixels in float64
    const a = decodeImage(new Uint8Array(await readFile(p('ref.png')))).data;
    const b = decodeImage(new Uint8Array(await readFile(p('noisy.png')))).data;
    let l1 = 0;
    let se = 0;
    for (let i = 0; i < a.length; i++) {
      l1 += Math.abs(a[i]! - b[i]!);
      se += (a[i]! - b[i]!) ** 2;
    }
    expect(m.l1).toBeCloseTo(l1 / a.length, 6);
    expect(m.mse).toBeCloseTo(se / a.length, 7);
    expect(m.psnr).toBeCloseTo(10 * Math.log10(a.length / se), 3);
    // noise sigma 0.05 (clamped, quantised): MSE a bit under 0.0025; noise adds variation
    expect(m.mse).toBeGreaterThan(0.0015);
    expect(m.mse).toBeLessThan(0.0026);
    expect(m.tv).toBeGreaterThan(0);
    expect(m.ssim).toBeLessThan(0.99);
  });

  it('CIEDE2000 of a larger image (computed in bands of rows) equals the library on the whole image', async () => {
    const ref = makeRef(640, 480, 5);
    await writeFile(p('wide-ref.png'), encodePng(ref));
    await writeFile(p('wide-test.png'), encodePng(noisy(ref, 0.08, 6)));
    const r = await inProcess('compare', p('wide-ref.png'), p('wide-test.png'), '--json', '--device', 'cpu', '--metrics', 'deltae,deltaemax');
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout).metrics;
    const map = deltaE(rgbToLab(await readImage(p('wide-ref.png'))), rgbToLab(await readImage(p('wide-test.png'))), { reduction: 'none' });
    expect(m.deltae).toBeCloseTo(await map.mean().item(), 5);
    expect(m.deltaemax).toBe(await map.max().item());
  });

  it('--metrics chooses and orders; --csv has the documented header', async () => {
    const [r, t] = await Promise.all([
      inProcess('compare', p('ref.png'), p('noisy.png'), '--metrics', 'SSIM,psnr,deltaE', '--csv'),
      inProcess('compare', p('ref.png'), p('ref.png'), '--metrics', 'psnr,msssim', '--csv'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('name,ref,test,width,height,channels,psnr,ssim,deltae,error');
    expect(lines).toHaveLength(2);
    const cells = lines[1]!.split(',');
    expect(cells.slice(3, 6)).toEqual(['48', '48', '3']);
    expect(Number(cells[6])).toBeGreaterThan(20);
    expect(cells[9]).toBe('');
    expect(t.stdout.trim().split('\n')[1]!.split(',').slice(6)).toEqual(['inf', '', '']); // inf, n/a, no error
  });

  it('--map writes a colour-mapped PNG of the image size; identical images map to the colormap start', async () => {
    const [r, same, l1] = await Promise.all([
      pixgrad('compare', p('ref.png'), p('noisy.png'), '--map', 'ssim', p('map.png')),
      pixgrad('compare', p('ref.png'), p('ref.png'), '--map', 'deltaE', p('same.png'), '--colormap', 'viridis', '--json'),
      pixgrad('compare', p('ref.png'), p('noisy.png'), '--map', 'l1', p('l1.png'), '--map-max', '0.1'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/wrote .*map\.png \(ssim map: 1 - SSIM/);
    const map = decodeImage(new Uint8Array(await readFile(p('map.png'))));
    expect([map.width, map.height, map.channels]).toEqual([48, 48, 3]);
    expect(same.code, same.stderr).toBe(0);
    expect(JSON.parse(same.stdout).map).toBe(p('same.png'));
    const m0 = decodeImage(new Uint8Array(await readFile(p('same.png'))));
    const c0 = colormap('viridis', 0).map((v) => Math.round(v * 255) / 255);
    for (let i = 0; i < 48 * 48; i += 97) for (let c = 0; c < 3; c++) expect(m0.data[3 * i + c]).toBeCloseTo(c0[c]!, 6);
    // an l1 map with its own scale: the noisy pair is not uniform
    expect(l1.code, l1.stderr).toBe(0);
    const m1 = decodeImage(new Uint8Array(await readFile(p('l1.png')))).data;
    expect(new Set(Array.from(m1)).size).toBeGreaterThan(10);
  });

  it('grey images: colour metrics n/a; --map deltaE on grey is an error', async () => {
    const [r, m] = await Promise.all([
      inProcess('compare', p('grey.png'), p('grey-noisy.png'), '--json'),
      inProcess('compare', p('grey.png'), p('grey-noisy.png'), '--map', 'deltaE', p('grey-map.png')),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.channels).toBe(1);
    for (const k of ['deltae', 'deltaemax', 'angle']) {
      expect(j.metrics[k]).toBeNull();
      expect(j.notes[k]).toBe('n/a: grey image');
    }
    expect(j.metrics.psnr).toBeGreaterThan(20);
    expect(m.code).toBe(1);
    expect(m.stderr).toMatch(/grey-noisy\.png: --map deltaE needs RGB images/);
  });

  it('alpha is dropped: an RGBA copy of an RGB image compares as identical', async () => {
    const [r, t] = await Promise.all([
      inProcess('compare', p('ref.png'), p('rgba.png'), '--json', '--metrics', 'psnr,l1'),
      inProcess('compare', p('ref.png'), p('rgba.png'), '--metrics', 'psnr'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.alphaDropped).toBe(true);
    expect(j.metrics).toEqual({ psnr: 'Infinity', l1: 0 });
    expect(t.stdout).toMatch(/alpha dropped/);
  });
});

describe('pixgrad compare: bad input', () => {
  it('different sizes: names both files and sizes, exit 1', async () => {
    const r = await pixgrad('compare', p('ref.png'), p('small.png'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${p('small.png')}: size 40x48 differs from the reference ${p('ref.png')} (48x48)`);
  });

  it('different channel counts (grey vs RGB), exit 1', async () => {
    const r = await inProcess('compare', p('ref.png'), p('grey.png'), '--json');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/grey\.png: has 1 colour channel \(grey\) but the reference .*ref\.png has 3 \(RGB\)/);
    expect(JSON.parse(r.stdout).error).toMatch(/has 1 colour channel/); // --json still says what happened
  });

  it('a missing file and an unreadable file: named, exit 1', async () => {
    const [r, c, t] = await Promise.all([
      pixgrad('compare', p('ref.png'), p('missing.png')),
      pixgrad('compare', p('corrupt.png'), p('ref.png')),
      pixgrad('compare', p('ref.png'), p('notes.txt')),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${p('missing.png')}: no such file or directory`);
    expect(c.code).toBe(1);
    expect(c.stderr).toContain(`${p('corrupt.png')}: cannot decode image`);
    expect(t.code).toBe(1);
    expect(t.stderr).toMatch(/notes\.txt: cannot decode image/);
  });

  it('--device auto (the default) computes on wasm here (no hardware GPU), on values of the CPU device to float32 rounding; a bad --device exits 2', async () => {
    const [auto, wasm, cpu, bad] = await Promise.all([
      pixgrad('compare', p('ref.png'), p('noisy.png'), '--json'),
      pixgrad('compare', p('ref.png'), p('noisy.png'), '--json', '--device', 'wasm'),
      pixgrad('compare', p('ref.png'), p('noisy.png'), '--json', '--device', 'cpu'),
      inProcess('compare', p('ref.png'), p('noisy.png'), '--device', 'tpu'),
    ]);
    for (const r of [auto, wasm, cpu]) expect(r.code, r.stderr).toBe(0);
    const [a, w, c] = [auto, wasm, cpu].map((r) => JSON.parse(r.stdout) as { device: string; metrics: Record<string, number> });
    // a machine with a hardware adapter and @pixgrad/kernels would choose webgpu; lavapipe is a software adapter
    expect(['wasm', 'webgpu']).toContain(a!.device);
    expect([w!.device, c!.device]).toEqual(['wasm', 'cpu']);
    for (const k of ALL_KEYS.filter((k) => k !== 'msssim'))
      expect(Math.abs(w!.metrics[k]! - c!.metrics[k]!), k).toBeLessThanOrEqual(2e-6 * Math.abs(c!.metrics[k]!) + 1e-7);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--device must be auto, cpu, wasm, webgpu, got 'tpu'/);
  });

  it('usage errors exit 2 with a hint; --help exits 0', async () => {
    const [u, o, f, h, top] = await Promise.all([
      inProcess('compare', p('ref.png'), p('ref.png'), '--metrics', 'psnr,lpips'),
      inProcess('compare', p('ref.png')),
      inProcess('compare', '--frobnicate', 'a', 'b'),
      inProcess('compare', '--help'),
      inProcess('--help'),
    ]);
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/unknown metric 'lpips'; choose from psnr, ssim/);
    expect(o.code).toBe(2);
    expect(o.stderr).toMatch(/compare takes REF and TEST/);
    expect(f.code).toBe(2);
    expect(f.stderr).toMatch(/frobnicate/);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/pixgrad compare REF_DIR TEST_DIR/);
    expect(h.stdout).toMatch(/--map KIND OUT/);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/pixgrad compare REF TEST/);
  });
});

describe('pixgrad compare: folders', () => {
  it('pairs by name (and by stem), reports good pairs, names unpaired files, exits 1', async () => {
    const [r, alone, t, c] = await Promise.all([
      pixgrad('compare', p('refs'), p('tests'), '--json'),
      pixgrad('compare', p('refs/a.png'), p('tests/a.png'), '--json'),
      pixgrad('compare', p('refs'), p('tests'), '--metrics', 'psnr,ssim'),
      pixgrad('compare', p('refs'), p('tests'), '--csv', '--metrics', 'l1'),
    ]);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.pairs.map((x: { name: string; test: string }) => [x.name, x.test])).toEqual([
      ['a.png', p('tests/a.png')],
      ['b.png', p('tests/b.jpg')],
    ]);
    for (const pair of j.pairs) expect(pair.metrics.psnr).toBeGreaterThan(20);
    expect(j.summary.compared).toBe(2);
    expect(j.summary.unpaired).toBe(2);
    expect(j.summary.mean.ssim).toBeCloseTo((j.pairs[0].metrics.ssim + j.pairs[1].metrics.ssim) / 2, 10);
    expect(j.errors).toHaveLength(2);
    expect(r.stderr).toContain(`${p('refs/only-ref.png')}: unpaired`);
    expect(r.stderr).toContain(`${p('tests/only-test.png')}: unpaired`);
    expect(r.stderr).not.toMatch(/readme\.txt/); // non-images are ignored
    expect(r.stderr).not.toContain('\x1b['); // no progress bar when stderr is not a terminal

    // the same pair compared alone gives the same numbers
    const a = JSON.parse(alone.stdout);
    expect(j.pairs[0].metrics).toEqual(a.metrics);

    expect(t.code).toBe(1);
    expect(t.stdout).toMatch(/^file\s+PSNR dB\s+SSIM$/m);
    expect(t.stdout).toMatch(/^a\.png\s+\d+\.\d\d\s+0\.\d{4}$/m);
    expect(t.stdout).toMatch(/^mean of 2\s+\d+\.\d\d\s+0\.\d{4}$/m);

    expect(c.code).toBe(1);
    expect(c.stdout.trim().split('\n')).toHaveLength(3); // header + the two good pairs
  });

  it('a file or a folder that cannot be read leaves the other pairs reported', async () => {
    await mkdir(p('bad'), { recursive: true });
    await writeFile(p('bad/a.png'), await readFile(p('noisy.png')));
    await writeFile(p('bad/b.png'), await readFile(p('corrupt.png')));
    await writeFile(p('bad/c.png'), await readFile(p('small.png')));
    const [r, b] = await Promise.all([
      pixgrad('compare', p('ref.png'), p('tests'), '--csv', '--metrics', 'psnr'),
      pixgrad('compare', p('ref.png'), p('bad'), '--json', '--metrics', 'psnr'),
    ]);
    // ref vs every image in tests/: b.jpg has another picture but the same size; all three compare
    expect(r.code, r.stderr).toBe(0);
    expect(
      r.stdout
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(',')[0]),
    ).toEqual(['a.png', 'b.jpg', 'only-test.png']);
    expect(b.code).toBe(1);
    const j = JSON.parse(b.stdout);
    expect(j.pairs[0].metrics.psnr).toBeGreaterThan(20);
    expect(j.pairs[1].error).toMatch(/b\.png: cannot decode image/);
    expect(j.pairs[2].error).toMatch(/c\.png: size 40x48 differs/);
    expect(j.summary).toMatchObject({ compared: 1, failed: 2 });
  });
});

describe('pixgrad compare: folders, in process', () => {
  it('writes one map per pair into a folder and leaves no tensors behind', async () => {
    const before = memory().tensors;
    const r = await inProcess('compare', p('refs'), p('tests'), '--map', 'l1', p('maps'), '--metrics', 'psnr,ssim,deltae,tv');
    expect(r.code).toBe(1); // the two unpaired files
    expect(memory().tensors).toBe(before);
    for (const n of ['a.png', 'b.png']) {
      const m = decodeImage(new Uint8Array(await readFile(join(p('maps'), n))));
      expect([m.width, m.height, m.channels]).toEqual([48, 48, 3]);
    }
    expect(r.stdout).toMatch(/wrote 2 maps to .*maps\/ \(l1 map/);
    const bad = await inProcess('compare', p('refs'), p('tests'), '--map', 'l1', p('maps.png'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/maps\.png: --map writes one PNG per pair here \(2 pairs\): give a folder/);
  });
});

describe('pixgrad demo', () => {
  it('makes the test card and distortions; the numbers order sensibly', async () => {
    const out = p('demo');
    const r = await pixgrad('demo', '--out', out, '--size', '192', '--json', '--no-map');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    const m = Object.fromEntries(j.pairs.map((x: { name: string; metrics: Record<string, number> }) => [x.name.replace(/[-.].*/, ''), x.metrics]));
    expect(Object.keys(m).sort()).toEqual(['blur', 'colour', 'jpeg', 'noise']);
    for (const v of Object.values(m) as Record<string, number>[]) {
      expect(v.msssim).toBeGreaterThan(0); // 192x192: five scales fit
      expect(v.msssim).toBeLessThan(1);
    }
    // PSNR: mild colour shift > noise > JPEG q20 > blur of a card full of fine detail
    expect(m.colour.psnr).toBeGreaterThan(m.noise.psnr);
    expect(m.noise.psnr).toBeGreaterThan(m.jpeg.psnr);
    expect(m.jpeg.psnr).toBeGreaterThan(m.blur.psnr);
    // SSIM barely sees a colour shift; blur is the worst structurally
    expect(m.colour.ssim).toBeGreaterThan(0.99);
    expect(m.blur.ssim).toBeLessThan(m.noise.ssim);
    expect(m.blur.ssim).toBeLessThan(m.jpeg.ssim);
    // ... but CIEDE2000 sees the colour shift (more than JPEG's, beyond a just-noticeable 1)
    expect(m.colour.deltae).toBeGreaterThan(2);
    // MS-SSIM forgives noise more than single-scale SSIM
    expect(m.noise.msssim).toBeGreaterThan(m.noise.ssim);
    // TV: blur smooths, noise adds variation
    expect(m.blur.tv).toBeLessThan(0);
    expect(m.noise.tv).toBeGreaterThan(0);
    // the files are there, and the card is 192x192 RGB
    const card = decodeImage(new Uint8Array(await readFile(join(out, 'card.png'))));
    expect([card.width, card.height, card.channels]).toEqual([192, 192, 3]);
    expect(r.stderr).toContain(`pixgrad compare ${join(out, 'card.png')} ${join(out, 'distorted')}`);
  });
});

describe('progress bar', () => {
  it('draws on the given terminal stream and clears itself', () => {
    const s = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough;
    let text = '';
    s.on('data', (d: Buffer) => (text += d.toString()));
    (s as { columns?: number }).columns = 80;
    const bar = new Progress(s, 4);
    bar.update(2, 'b.png');
    // eslint-disable-next-line no-control-regex -- the bar's terminal escape (ESC [ K) is what is tested
    expect(text).toMatch(/\r\x1b\[K\[#+-+\] 2\/4 \d+s b\.png$/);
    bar.done();
    expect(text.endsWith('\r\x1b[K')).toBe(true);
  });
});
