/**
 * Headless Chromium for the real-browser tests (test/browser.test.ts, test/web.test.ts): Debian's
 * `chromium` driven by playwright-core, never a downloaded browser, with WebGPU on SwiftShader
 * (`--enable-unsafe-webgpu`) and nothing in the background reaching out; a fresh profile per launch.
 *
 * Chromium is found at PIXGRAD_CHROMIUM or /usr/bin/chromium (scripts/setup-browser.sh installs
 * it). Without it, `describeWithChromium` fails its suite when `CI` is set and skips it with a
 * one-line reason otherwise.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env['PIXGRAD_CHROMIUM'] ?? '/usr/bin/chromium';
export const CI = !!process.env['CI'];

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-gpu-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** `describe(name, fn)` where Chromium exists; otherwise a failing test in CI, a skip elsewhere. */
export function describeWithChromium(name: string, fn: () => void): void {
  if (existsSync(CHROMIUM)) {
    describe(name, fn);
  } else if (CI) {
    describe(name, () => {
      it('needs Chromium', () => {
        throw new Error(`no Chromium at ${CHROMIUM}: CI must run the browser tests; run scripts/setup-browser.sh as root (or set PIXGRAD_CHROMIUM)`);
      });
    });
  } else {
    describe.skip(`${name} (skipped: no Chromium at ${CHROMIUM}; run scripts/setup-browser.sh as root)`, fn);
  }
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Launches headless Chromium with a fresh profile (removed by `close`). */
export async function launchChromium(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'pixgrad-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
