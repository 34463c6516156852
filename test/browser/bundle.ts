/**
 * The bundling step of the real-browser test: esbuild bundles test/browser/entry.ts (which imports
 * @pixgrad/core and @pixgrad/kernels from their TypeScript sources, `source` condition) for the
 * browser, and a tiny node:http server on 127.0.0.1 (a random port; localhost is a secure context,
 * which `navigator.gpu` needs) serves index.html and the bundle.
 *
 * Run it by hand to open the page in a browser of your own:
 *   npx tsx test/browser/bundle.ts        (prints the URL; Ctrl-C stops it)
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

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

export interface PageServer {
  /** the page's URL (http://127.0.0.1:<port>/) */
  url: string;
  close(): Promise<void>;
}

/** Bundles the entry and serves the page and the bundle from 127.0.0.1 on a random port. */
export async function servePage(): Promise<PageServer> {
  const files: Record<string, { type: string; body: string }> = {
    '/': { type: 'text/html; charset=utf-8', body: await readFile(`${here}index.html`, 'utf8') },
    '/entry.js': { type: 'text/javascript; charset=utf-8', body: await bundleEntry() },
  };
  const server = createServer((req, res) => {
    const f = files[new URL(req.url ?? '/', 'http://x').pathname];
    if (!f) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': f.type, 'cache-control': 'no-store' }).end(f.body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const s = await servePage();
  console.log(`pixgrad browser test page: ${s.url} (Chromium: start it with --enable-unsafe-webgpu)`);
}
