/**
 * The bundling step of the real-browser test: esbuild bundles test/browser/entry.ts (which imports
 * @pixgrad/core and @pixgrad/kernels from their TypeScript sources, `pixgrad-source` condition) for the
 * browser, and the web page's static server (web/build.ts: 127.0.0.1, a random port; localhost is a
 * secure context, which `navigator.gpu` needs) serves index.html and the bundle.
 *
 * Run it by hand to open the page in a browser of your own:
 *   npx tsx test/browser/bundle.ts        (prints the URL; Ctrl-C stops it)
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { serveFolder, type Served } from '../../web/build.js';

const here = fileURLToPath(new URL('.', import.meta.url));

/** test/browser/entry.ts and everything it imports, as one browser ES module. */
export async function bundleEntry(): Promise<string> {
  const result = await build({
    entryPoints: [`${here}entry.ts`],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome113', // the first Chromium with WebGPU
    conditions: ['pixgrad-source'],
    sourcemap: 'inline',
    write: false,
    logLevel: 'silent',
  });
  // platform 'browser' fails the build on a Node built-in import; any warning is worth seeing too
  for (const w of result.warnings) console.warn(`esbuild: ${w.text}`);
  return result.outputFiles[0]!.text;
}

export type PageServer = Served;

/** Bundles the entry and serves the page and the bundle from localhost on a random port (the web page's static server). */
export async function servePage(): Promise<PageServer> {
  const dir = await mkdtemp(join(tmpdir(), 'pixgrad-browser-test-'));
  await writeFile(join(dir, 'index.html'), await readFile(`${here}index.html`, 'utf8'));
  await writeFile(join(dir, 'entry.js'), await bundleEntry());
  const served = await serveFolder(dir);
  return {
    url: served.url,
    close: async () => {
      await served.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const s = await servePage();
  console.log(`pixgrad browser test page: ${s.url} (Chromium: start it with --enable-unsafe-webgpu)`);
}
