/**
 * The real-browser test: headless Chromium (Debian's `chromium`, driven by playwright-core; never a
 * downloaded browser) loads a page that runs a small conv net's loss and backward on
 * `navigator.gpu` with the same packages (@pixgrad/core + @pixgrad/kernels, bundled by esbuild
 * from their sources: test/browser/bundle.ts), and its numbers match Node's.
 *
 * The net, its seed and its inputs are one module (test/browser/net.ts) used on both sides:
 * 1x3x16x16 input, conv 3->8 (3x3, pad 1) + bias, relu, 2x2 max pool, conv 8->4 (3x3, pad 2,
 * dilation 2) + bias, mean squared error against a seeded target; gradients w.r.t. the input and
 * every weight and bias.
 *
 * Tolerance (WebGPU against CPU, both float32; the GPU sums in another order and may fuse
 * multiply-adds): every element within ATOL + RTOL * |reference| with ATOL = 1e-5, RTOL = 1e-4.
 * The page's CPU backend must give Node's CPU numbers bit for bit (same code, same seed).
 *
 * Chromium comes from test/helpers/chromium.ts. Missing Chromium or a page without a WebGPU adapter
 * fails the test when `CI` is set and skips it with a one-line reason otherwise.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CI, describeWithChromium, launchChromium, type Browser } from './helpers/chromium.js';
import { adapterInfo, init, probeWebGPU } from '@pixgrad/kernels';
import { runNet, type NetResult } from './browser/net.js';
import { servePage, type PageServer } from './browser/bundle.js';
import type { PageResult } from './browser/entry.js';

const ATOL = 1e-5;
const RTOL = 1e-4;

/** max |a - b| and whether every element is within ATOL + RTOL * |ref|. */
function compare(got: readonly number[], ref: readonly number[]): { maxDiff: number; worst: number; ok: boolean } {
  expect(got.length).toBe(ref.length);
  let maxDiff = 0;
  let worst = -1;
  let ok = true;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(got[i]! - ref[i]!);
    if (!(d <= ATOL + RTOL * Math.abs(ref[i]!))) ok = false; // NaN fails too
    if (!(d <= maxDiff)) {
      maxDiff = d;
      worst = i;
    }
  }
  return { maxDiff, worst, ok };
}

/** Every output (loss and each gradient) of `got` against `ref`; returns the largest difference. */
function expectClose(what: string, got: NetResult, ref: NetResult): number {
  let max = 0;
  const outputs: [string, readonly number[], readonly number[]][] = [
    ['loss', got.loss, ref.loss],
    ...Object.keys(ref.grads).map((k) => [`d${k}`, got.grads[k] ?? [], ref.grads[k]!] as [string, number[], number[]]),
  ];
  expect(Object.keys(got.grads).sort()).toEqual(Object.keys(ref.grads).sort());
  for (const [name, g, r] of outputs) {
    const c = compare(g, r);
    max = Math.max(max, c.maxDiff);
    if (!c.ok) {
      expect.fail(`${what}: ${name}[${c.worst}] = ${g[c.worst]} vs ${r[c.worst]} (|diff| ${c.maxDiff.toExponential(2)} > ${ATOL} + ${RTOL}*|ref|)`);
    }
  }
  return max;
}

describeWithChromium('real browser: the conv net on navigator.gpu in headless Chromium matches Node', () => {
  let server: PageServer | undefined;
  let browser: Browser | undefined;
  let page: PageResult;
  const pageLog: string[] = [];
  let nodeCpu: NetResult;
  let nodeGpu: NetResult | undefined;
  let nodeGpuAdapter = '';
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    let t = performance.now();
    // Node's numbers: the CPU backend always, Node's WebGPU (Dawn) when it has an adapter
    await init('cpu');
    nodeCpu = await runNet('cpu');
    if (await probeWebGPU()) {
      await init('webgpu');
      nodeGpuAdapter = adapterInfo()?.name ?? '';
      nodeGpu = await runNet('webgpu');
      await init('cpu');
    }
    timings['node'] = performance.now() - t;

    t = performance.now();
    server = await servePage();
    timings['bundle'] = performance.now() - t;

    t = performance.now();
    browser = await launchChromium();
    const tab = browser.context.pages()[0] ?? (await browser.context.newPage());
    tab.on('console', (m) => pageLog.push(`console.${m.type()}: ${m.text()}`));
    tab.on('pageerror', (e) => pageLog.push(`pageerror: ${e.message}`));
    await tab.goto(server.url);
    await tab.waitForFunction(() => typeof window.pixgradBrowserTest === 'function', undefined, { timeout: 20_000 });
    timings['launch'] = performance.now() - t;

    t = performance.now();
    page = await tab.evaluate(() => window.pixgradBrowserTest!());
    timings['page'] = performance.now() - t;
    console.log(
      `browser test: ${page.userAgent.match(/Chrome\/[\d.]+/)?.[0] ?? page.userAgent}; ` +
        `timings (ms): ${Object.entries(timings)
          .map(([k, v]) => `${k} ${v.toFixed(0)}`)
          .join(', ')}` +
        (page.webgpu ? `; net on page webgpu ${page.webgpu.ms.toFixed(0)} ms` : ''),
    );
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const withLog = (msg: string | undefined) => `${msg ?? ''}${pageLog.length ? `\npage log:\n${pageLog.join('\n')}` : ''}`;

  it('the page gets a WebGPU adapter (SwiftShader in headless Chromium without a GPU)', (ctx) => {
    if (!page.adapter) {
      // first sentence only: the rest of the error explains how to get an adapter
      const why = page.hasNavigatorGpu
        ? `navigator.gpu gave no adapter (${page.webgpuError?.split(/\.\s|\n/)[0]})`
        : 'navigator.gpu is missing (start Chromium with --enable-unsafe-webgpu)';
      if (CI) expect.fail(`CI must run the browser test on WebGPU: ${why}`);
      console.warn(`skipping the browser WebGPU comparison: ${why}`);
      ctx.skip();
      return;
    }
    const a = page.adapter;
    console.log(
      `browser adapter: name ${JSON.stringify(a.name)}, vendor ${JSON.stringify(a.vendor)}, architecture ${JSON.stringify(a.architecture)}, ` +
        `fallback ${a.isFallbackAdapter}, maxStorageBufferBindingSize ${a.maxStorageBufferBindingSize}`,
    );
    expect(page.webgpuError, withLog(page.webgpuError)).toBeUndefined();
    expect(a.vendor || a.architecture || a.name).not.toBe('');
    expect(a.maxStorageBufferBindingSize).toBeGreaterThan(0);
  });

  it("the page's loss and gradients on navigator.gpu match Node's CPU backend", (ctx) => {
    if (!page.adapter && !CI) return ctx.skip();
    expect(page.webgpuError, withLog(page.webgpuError)).toBeUndefined();
    expect(page.webgpu?.device).toBe('webgpu');
    // the same seeded inputs went in
    expect(page.webgpu!.inputs).toEqual(nodeCpu.inputs);
    const max = expectClose('page webgpu vs node cpu', page.webgpu!, nodeCpu);
    console.log(
      `browser webgpu vs node cpu: loss ${page.webgpu!.loss[0]} vs ${nodeCpu.loss[0]}, max |diff| over loss and gradients ${max.toExponential(2)} (tolerance ${ATOL} + ${RTOL}*|ref|)`,
    );
    // a different run must not pass: the gradients are not all tiny
    expect(Math.max(...Object.values(nodeCpu.grads).flat().map(Math.abs))).toBeGreaterThan(1e-2);
  });

  it("the page's numbers match Node's WebGPU (Dawn) run", (ctx) => {
    if (!nodeGpu) {
      console.warn('skipping browser vs Node WebGPU: Node has no WebGPU adapter (scripts/setup-webgpu.sh installs lavapipe)');
      return ctx.skip();
    }
    if (!page.adapter && !CI) return ctx.skip();
    expect(page.webgpuError, withLog(page.webgpuError)).toBeUndefined();
    const max = expectClose('page webgpu vs node webgpu', page.webgpu!, nodeGpu);
    console.log(`browser webgpu vs node webgpu (${nodeGpuAdapter}): max |diff| ${max.toExponential(2)}`);
  });

  it("the page's CPU backend gives Node's CPU numbers bit for bit", () => {
    expect(page.cpuError, withLog(page.cpuError)).toBeUndefined();
    expect(page.cpu!.inputs).toEqual(nodeCpu.inputs);
    expect(page.cpu!.loss).toEqual(nodeCpu.loss);
    expect(page.cpu!.grads).toEqual(nodeCpu.grads);
  });

  it('nothing leaks in the page: tensors and GPU buffers return to where they started', (ctx) => {
    if (!page.adapter && !CI) return ctx.skip();
    expect(page.webgpuError, withLog(page.webgpuError)).toBeUndefined();
    expect(page.cpuError, withLog(page.cpuError)).toBeUndefined();
    for (const r of [page.webgpu!, page.cpu!, nodeCpu]) expect(r.tensorsAfter, r.device).toBe(r.tensorsBefore);
    expect(page.gpuBuffers!.after).toBe(page.gpuBuffers!.before);
  });
});
