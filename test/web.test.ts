/**
 * The web page (`npm run web`) in headless Chromium, as a user meets it: built by web/build.ts
 * into a temporary folder, served from localhost (cross-origin isolated, so wasm threads work),
 * opened with ?device=webgpu on navigator.gpu (SwiftShader here).
 *
 * - It opens on the built-in test card and its four distortions, already compared, and the table
 *   equals `pixgrad compare`'s numbers (Node, CPU backend) within TOL_GPU.
 * - Two fixture images fed through the file inputs give Node's numbers for the same files.
 * - Screenshots of the compare and train views are saved to out/test-artifacts/ and are not blank.
 * - The train view runs some steps and its loss falls.
 * - LPIPS and the perceptual distance, from weight files picked on the page (a random full-size
 *   VGG16 and the real LPIPS heads), equal Node's values on the same networks within TOL_DEEP.
 * - Bad input gets a message on the page: a file that is not an image, different sizes, a weight
 *   file of the wrong network, an image over the stated pixel limit.
 * - Without ?device the page chooses as `--device auto` does: here (no navigator.gpu, as in a
 *   browser without WebGPU) the wasm device on 2 threads, saying so; its table equals Node's
 *   within TOL_GPU, and the train view runs SSIM's value and gradient on it and descends.
 * - With ?device=cpu the page gives Node's CPU numbers bit for bit (the same code on the same
 *   float32 arithmetic).
 *
 * Tolerance, page on WebGPU against Node's CPU backend (both float32; the GPU sums in another
 * order and fuses multiply-adds): |page - node| <= TOL_GPU.rtol * |node| + TOL_GPU.atol per value.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { init } from '@pixgrad/kernels';
import { LpipsModel } from '@pixgrad/losses';
import { crc32, decodeImage, encodePng, loadLpipsHeads, randomVgg, saveSafetensors } from '@pixgrad/models';
import {
  type DeepModels,
  METRICS,
  type LoadedImage,
  type MetricKey,
  computeDeepMetrics,
  computeMetrics,
  imageFromBytes,
  loadImage,
  makeDistortions,
  makeTestCard,
} from '@pixgrad/cli';
import { buildPage, serveFolder, type Served } from '../web/build.js';
import { concat } from '../packages/models/test/builders.js';
import { describeWithChromium, launchChromium, type Browser } from './helpers/chromium.js';
import { fixture, itFixtures } from './helpers/fixtures.js';

const TOL_GPU = { rtol: 2e-4, atol: 2e-5 };
/** the same for LPIPS and the perceptual distance (13 convolutions deep) */
const TOL_DEEP = { rtol: 1e-3, atol: 1e-6 };
const ARTIFACTS = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'out', 'test-artifacts');
const KEYS = METRICS.map((m) => m.key);

type Table = Record<string, Partial<Record<MetricKey, number | null>>>;

/** The page's table: file -> metric -> the raw value behind the cell. */
function readTable(page: Page): Promise<Table> {
  return page.evaluate(() => {
    const out: Record<string, Record<string, number | null>> = {};
    for (const tr of Array.from(document.querySelectorAll<HTMLTableRowElement>('#metrics tbody tr'))) {
      const file = tr.dataset['file']!;
      if (file === 'mean') continue;
      const row: Record<string, number | null> = {};
      for (const td of Array.from(tr.querySelectorAll<HTMLTableCellElement>('td[data-key]'))) {
        const v = td.dataset['value']!;
        row[td.dataset['key']!] = v === 'null' ? null : Number(v);
      }
      out[file] = row;
    }
    return out;
  });
}

async function nodeTable(ref: LoadedImage, tests: LoadedImage[]): Promise<Table> {
  const out: Table = {};
  for (const t of tests) {
    const m = await computeMetrics(ref.tensor, t.tensor, KEYS);
    out[t.path.split('/').pop()!] = Object.fromEntries(KEYS.map((k) => [k, m[k]!.value]));
  }
  return out;
}

/** Largest |page - node| / (rtol |node| + atol) over the table (<= 1 passes); exact for bitwise. */
function expectTablesClose(page: Table, node: Table, tol: { rtol: number; atol: number } | 'bitwise'): void {
  expect(Object.keys(page).sort()).toEqual(Object.keys(node).sort());
  let worst = 0;
  let where = '';
  for (const [file, row] of Object.entries(node)) {
    for (const k of KEYS) {
      const want = row[k]!;
      const got = page[file]![k];
      if (want === null || !Number.isFinite(want)) {
        expect(got, `${file} ${k}`).toBe(want);
        continue;
      }
      if (tol === 'bitwise') {
        expect(got, `${file} ${k}`).toBe(want);
        continue;
      }
      const r = Math.abs(got! - want) / (tol.rtol * Math.abs(want) + tol.atol);
      if (!(r <= worst)) [worst, where] = [r, `${file} ${k}: page ${got} vs node ${want}`];
    }
  }
  if (tol !== 'bitwise') {
    console.log(`web page vs node cpu: worst ${worst.toFixed(3)} of the tolerance (${where})`);
    expect(worst, where).toBeLessThanOrEqual(1);
  }
}

/** Fails unless the PNG screenshot has real content: several hundred colours and visible contrast. */
function expectNotBlank(png: Uint8Array, what: string): void {
  const img = decodeImage(png);
  const colours = new Set<number>();
  let sum = 0;
  let sum2 = 0;
  const n = img.width * img.height;
  for (let i = 0; i < n; i++) {
    const [r, g, b] = [img.data[i * img.channels]!, img.data[i * img.channels + 1]!, img.data[i * img.channels + 2]!];
    colours.add(((r * 255) << 16) | ((g * 255) << 8) | (b * 255));
    const y = (r + g + b) / 3;
    sum += y;
    sum2 += y * y;
  }
  const sd = Math.sqrt(Math.max(0, sum2 / n - (sum / n) ** 2));
  expect(colours.size, `${what}: distinct colours`).toBeGreaterThan(200);
  expect(sd, `${what}: brightness spread`).toBeGreaterThan(0.05);
}

/** Waits until the table is computed for `files` (and, optionally, that reference). */
async function waitForTable(page: Page, files: string[], ref?: string): Promise<void> {
  await page.waitForFunction(
    ([want, r]) => {
      const table = document.getElementById('metrics')!;
      const got = Array.from(document.querySelectorAll<HTMLTableRowElement>('#metrics tbody tr'))
        .map((tr) => tr.dataset['file'])
        .filter((f) => f !== 'mean');
      return (
        table.dataset['state'] === 'ready' &&
        JSON.stringify(got.sort()) === JSON.stringify([...want].sort()) &&
        (!r || document.getElementById('ref-name')!.textContent!.startsWith(r))
      );
    },
    [files, ref] as const,
    { timeout: 240_000 },
  );
}

async function message(page: Page): Promise<string> {
  await page.waitForSelector('#message:not([hidden])', { timeout: 120_000 });
  return (await page.textContent('#message')) ?? '';
}

/** A PNG whose header claims `w` x `h` pixels (a signature, IHDR with its CRC, IEND): enough to hit a size limit. */
function pngHeader(w: number, h: number): Uint8Array {
  const ihdr = new Uint8Array(17);
  const v = new DataView(ihdr.buffer);
  ihdr.set([73, 72, 68, 82]); // 'IHDR'
  v.setUint32(4, w);
  v.setUint32(8, h);
  ihdr.set([8, 2, 0, 0, 0], 12); // 8-bit RGB
  const chunk = (body: Uint8Array) => {
    const out = new Uint8Array(body.length + 8);
    const d = new DataView(out.buffer);
    d.setUint32(0, body.length - 4);
    out.set(body, 4);
    d.setUint32(body.length + 4, crc32(body));
    return out;
  };
  return concat([[137, 80, 78, 71, 13, 10, 26, 10], chunk(ihdr), chunk(new Uint8Array([73, 69, 78, 68]))]);
}

describeWithChromium('the web page in headless Chromium', () => {
  let dir: string;
  let served: Served;
  let browser: Browser;
  let page: Page;
  const log: string[] = [];

  beforeAll(async () => {
    await init('cpu');
    dir = mkdtempSync(join(tmpdir(), 'pixgrad-web-'));
    await buildPage(dir);
    served = await serveFolder(dir);
    browser = await launchChromium();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.on('console', (m) => log.push(`console.${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
    await page.goto(`${served.url}?device=webgpu`);
  }, 120_000);

  afterAll(async () => {
    if (log.length) console.log(`page log:\n${log.join('\n')}`);
    await browser?.close();
    await served?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('opens on the test card and its distortions, already compared, with pixgrad compare numbers', async () => {
    const card = makeTestCard(256);
    const ref = imageFromBytes(encodePng(card), 'card.png');
    const tests = makeDistortions(card).map((d) => imageFromBytes(d.bytes ?? encodePng(d.image!), d.file));
    await waitForTable(
      page,
      tests.map((t) => t.path),
    );
    expect(await page.getAttribute('body', 'data-device')).toBe('webgpu');
    expect(await page.textContent('#device')).toMatch(/WebGPU/);
    expectTablesClose(await readTable(page), await nodeTable(ref, tests), TOL_GPU);
    expect(await page.isHidden('#message')).toBe(true);
  }, 300_000);

  itFixtures(
    'two images picked through the file inputs give Node numbers for the same files; the compare view is not blank',
    async () => {
      const refPath = fixture('lpips', 'imgs', 'ex_ref.png');
      const testPaths = [fixture('lpips', 'imgs', 'ex_p0.png'), fixture('lpips', 'imgs', 'ex_p1.png')];
      await page.setInputFiles('#ref-input', refPath);
      await page.setInputFiles('#test-input', testPaths);
      await waitForTable(page, ['ex_p0.png', 'ex_p1.png'], 'ex_ref.png');
      const ref = await loadImage(refPath);
      const tests = await Promise.all(testPaths.map(loadImage));
      expectTablesClose(await readTable(page), await nodeTable(ref, tests), TOL_GPU);
      expect(await page.isHidden('#message')).toBe(true);
      mkdirSync(ARTIFACTS, { recursive: true });
      const shot = await page.screenshot({ path: join(ARTIFACTS, 'web-compare.png'), fullPage: true });
      expectNotBlank(new Uint8Array(shot), 'compare view');
    },
    300_000,
  );

  it('the train view descends (towards the reference picked above): the loss falls by 5% or more over 20 steps; the train view is not blank', async () => {
    await page.click('#tab-train');
    await page.click('#train-start-button');
    await page.waitForFunction(() => Number(document.getElementById('train-state')!.dataset['step']) >= 20, undefined, { timeout: 240_000 });
    await page.click('#train-stop-button');
    await page.waitForFunction(() => document.getElementById('train-state')!.dataset['running'] === 'false');
    const s = await page.evaluate(() => ({ ...document.getElementById('train-state')!.dataset }));
    console.log(`train view: ${s['step']} steps, loss ${s['first']} -> ${s['last']}`);
    expect(Number(s['last'])).toBeLessThan(Number(s['first']) * 0.95);
    expect(await page.isHidden('#message')).toBe(true);
    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = await page.screenshot({ path: join(ARTIFACTS, 'web-train.png'), fullPage: true });
    expectNotBlank(new Uint8Array(shot), 'train view');
    await page.click('#tab-compare');
  }, 300_000);

  it('bad input gets a message on the page: not an image, over the pixel limit', async () => {
    await page.setInputFiles('#test-input', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image at all') });
    expect(await message(page)).toMatch(/notes\.txt: cannot decode image/);
    await page.setInputFiles('#ref-input', { name: 'huge.png', mimeType: 'image/png', buffer: Buffer.from(pngHeader(5000, 4000)) });
    expect(await message(page)).toMatch(/huge\.png.*5000x4000, over the 8294400-pixel limit/);
  }, 120_000);

  itFixtures(
    'bad input gets a message on the page: different sizes, a weight file of the wrong network',
    async () => {
      await page.setInputFiles('#test-input', fixture('ssim', 'skimage-camera', 'camera.png'));
      expect(await message(page)).toMatch(/camera\.png: size 512x512 differs from the reference/);
      await page.setInputFiles('#vgg-input', fixture('lpips', 'weights', 'v0.1', 'vgg.pth'));
      expect(await message(page)).toMatch(/vgg\.pth is not torchvision's VGG16 weights/);
    },
    120_000,
  );

  itFixtures(
    'LPIPS and the perceptual distance from weight files picked on the page equal the values of the same networks in Node',
    async () => {
      // a random full-size VGG16 (torchvision's layout, 59 MB) and the real LPIPS v0.1 heads
      const net = randomVgg('vgg16', { seed: 17 });
      const heads = await loadLpipsHeads(fixture('lpips', 'weights', 'v0.1', 'vgg.pth'));
      try {
        await saveSafetensors(join(dir, 'vgg16.safetensors'), net.stateDict());
        const testPaths = [fixture('lpips', 'imgs', 'ex_p0.png'), fixture('lpips', 'imgs', 'ex_p1.png')];
        await page.setInputFiles('#ref-input', fixture('lpips', 'imgs', 'ex_ref.png'));
        await page.setInputFiles('#test-input', testPaths);
        await page.setInputFiles('#heads-input', fixture('lpips', 'weights', 'v0.1', 'vgg.pth'));
        await page.setInputFiles('#vgg-input', join(dir, 'vgg16.safetensors'));
        await page.waitForFunction(
          () =>
            document.getElementById('metrics')!.dataset['state'] === 'ready' &&
            document.getElementById('weights-state')!.textContent!.startsWith('loaded') &&
            document.querySelectorAll('#metrics td[data-key=lpips][data-value]:not([data-value=""])').length === 2 &&
            document.querySelectorAll('#metrics td[data-key=perceptual][data-value]:not([data-value=""])').length === 2,
          undefined,
          { timeout: 240_000 },
        );
        expect(await page.textContent('#weights-state')).toMatch(/loaded: LPIPS and perceptual/);
        const table = await readTable(page);
        const ref = await loadImage(fixture('lpips', 'imgs', 'ex_ref.png'));
        const deep: DeepModels = { keys: ['lpips', 'perceptual'], vgg: net, lpips: new LpipsModel(net, heads, '0.1'), missing: {}, problems: [] };
        let worst = 0;
        for (const path of testPaths) {
          const test = await loadImage(path);
          const want = await computeDeepMetrics(deep, ref.tensor, test.tensor);
          for (const k of ['lpips', 'perceptual'] as const) {
            const got = table[path.split('/').pop()!]![k]!;
            const w = want[k]!.value!;
            expect(w).toBeGreaterThan(0);
            worst = Math.max(worst, Math.abs(got - w) / (TOL_DEEP.rtol * Math.abs(w) + TOL_DEEP.atol));
          }
          test.tensor.dispose();
        }
        ref.tensor.dispose();
        console.log(`web page LPIPS/perceptual vs node cpu: worst ${worst.toFixed(3)} of the tolerance`);
        expect(worst).toBeLessThanOrEqual(1);
      } finally {
        net.dispose();
        heads.dispose();
      }
    },
    300_000,
  );

  it('without ?device and without navigator.gpu the page computes on the wasm device (2 threads) and trains on it', async () => {
    const tab = await browser.context.newPage();
    tab.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
    await tab.addInitScript(() => Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined }));
    await tab.addInitScript(() => Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => 2 }));
    await tab.goto(served.url);
    const card = makeTestCard(256);
    const ref = imageFromBytes(encodePng(card), 'card.png');
    const tests = makeDistortions(card).map((d) => imageFromBytes(d.bytes ?? encodePng(d.image!), d.file));
    await waitForTable(
      tab,
      tests.map((t) => t.path),
    );
    expect(await tab.getAttribute('body', 'data-device')).toBe('wasm');
    expect(await tab.textContent('#device')).toMatch(/Computing on wasm SIMD: wasm SIMD on 2 threads: no WebGPU adapter/);
    expect(await tab.evaluate(() => crossOriginIsolated)).toBe(true);
    expectTablesClose(await readTable(tab), await nodeTable(ref, tests), TOL_GPU);
    // a loss and its gradient on the wasm device: SSIM steps of the train view
    await tab.click('#tab-train');
    await tab.click('#train-start-button');
    await tab.waitForFunction(() => Number(document.getElementById('train-state')!.dataset['step']) >= 10, undefined, { timeout: 240_000 });
    await tab.click('#train-stop-button');
    await tab.waitForFunction(() => document.getElementById('train-state')!.dataset['running'] === 'false');
    const st = await tab.evaluate(() => ({ ...document.getElementById('train-state')!.dataset }));
    console.log(`train view on wasm: ${st['step']} steps, loss ${st['first']} -> ${st['last']}`);
    expect(Number(st['last'])).toBeLessThan(Number(st['first']) * 0.98);
    expect(await tab.isHidden('#message')).toBe(true);
    await tab.close();
  }, 300_000);

  it("with ?device=cpu the page gives Node's CPU numbers bit for bit", async () => {
    const tab = await browser.context.newPage();
    await tab.goto(`${served.url}?device=cpu`);
    const card = makeTestCard(256);
    const files = makeDistortions(card).map((d) => d.file);
    await waitForTable(tab, files);
    expect(await tab.getAttribute('body', 'data-device')).toBe('cpu');
    expect(await tab.textContent('#device')).toMatch(/CPU backend \(chosen with \?device=cpu\)/);
    const ref = imageFromBytes(encodePng(card), 'card.png');
    const tests = makeDistortions(card).map((d) => imageFromBytes(d.bytes ?? encodePng(d.image!), d.file));
    expectTablesClose(await readTable(tab), await nodeTable(ref, tests), 'bitwise');
    await tab.close();
  }, 300_000);
});
