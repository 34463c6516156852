/**
 * The browser side of the real-browser test: bundled by test/browser/bundle.ts (esbuild, platform
 * 'browser', the workspace packages from their TypeScript sources) and loaded by index.html in
 * headless Chromium. It opens `navigator.gpu` through @pixgrad/kernels, runs the shared conv net
 * (net.ts) on 'webgpu' and on the in-page CPU backend, and hands the numbers back to the test.
 */
import * as pg from '@pixgrad/core';
import { adapterInfo, init } from '@pixgrad/kernels';
import { runNet, type NetResult } from './net.js';

/** What the page reports to test/browser.test.ts. */
export interface PageResult {
  userAgent: string;
  /** whether `navigator.gpu` exists at all (Chromium needs --enable-unsafe-webgpu headless) */
  hasNavigatorGpu: boolean;
  /** the adapter @pixgrad/kernels opened, as `adapterInfo()` reports it (undefined: none) */
  adapter?: { name: string; vendor: string; architecture: string; description: string; isFallbackAdapter: boolean; maxStorageBufferBindingSize: number };
  /** the net on the WebGPU backend (navigator.gpu) */
  webgpu?: NetResult;
  /** the net on the CPU backend, in the page (same engine code, checks the seeded inputs too) */
  cpu?: NetResult;
  /** GPU buffers the WebGPU backend holds before and after the WebGPU run */
  gpuBuffers?: { before: number; after: number };
  /** why the WebGPU part failed (no adapter, or an error while running), when it did */
  webgpuError?: string;
  /** why the CPU part failed, when it did */
  cpuError?: string;
}

const describeError = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e));

async function run(): Promise<PageResult> {
  const out: PageResult = { userAgent: navigator.userAgent, hasNavigatorGpu: 'gpu' in navigator && !!navigator.gpu };
  try {
    await init('cpu');
    out.cpu = await runNet('cpu');
  } catch (e) {
    out.cpuError = describeError(e);
  }
  try {
    const device = await init('webgpu');
    const a = adapterInfo()!;
    out.adapter = {
      name: a.name,
      vendor: a.vendor,
      architecture: a.architecture,
      description: a.description,
      isFallbackAdapter: a.isFallbackAdapter,
      maxStorageBufferBindingSize: a.limits['maxStorageBufferBindingSize'] ?? 0,
    };
    const gpuBuffers = () => pg.memory().devices.find((d) => d.device === 'webgpu')?.backend?.buffers ?? 0;
    const before = gpuBuffers();
    out.webgpu = await runNet(device);
    out.gpuBuffers = { before, after: gpuBuffers() };
  } catch (e) {
    out.webgpuError = describeError(e);
  } finally {
    await init('cpu');
  }
  return out;
}

declare global {
  interface Window {
    /** set by this module; the test calls it with page.evaluate */
    pixgradBrowserTest?: () => Promise<PageResult>;
  }
}

window.pixgradBrowserTest = run;
document.title = 'pixgrad browser test: ready';
