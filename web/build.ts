/**
 * `npm run web`: builds the page (esbuild) into web/dist/ and serves it on localhost, printing
 * the URL. The folder is static: any static host serves it (for WebAssembly threads later, send
 * the two cross-origin isolation headers this server sends).
 *
 *   npm run web                      build and serve on http://localhost:8080/ (--port N)
 *   npm run web -- --build-only      only build (to --out DIR, default web/dist)
 */
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const here = fileURLToPath(new URL('.', import.meta.url));

/** Builds the page into `out` (index.html, style.css, app.js and its source map). */
export async function buildPage(out: string): Promise<void> {
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const result = await build({
    entryPoints: [join(here, 'src', 'main.ts')],
    outfile: join(out, 'app.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser', // fails the build on any Node built-in
    target: 'chrome113',
    conditions: ['pixgrad-source'],
    minify: true,
    sourcemap: true,
    logLevel: 'silent',
  });
  for (const w of result.warnings) console.warn(`esbuild: ${w.text}`);
  for (const f of ['index.html', 'style.css']) await copyFile(join(here, f), join(out, f));
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
};

export interface Served {
  url: string;
  close(): Promise<void>;
}

/** Serves the folder `dir` on 127.0.0.1 (`port` 0: any free port). localhost is a secure context, which navigator.gpu needs. */
export async function serveFolder(dir: string, port = 0): Promise<Served> {
  const root = resolve(dir);
  const server = createServer((req, res) => {
    void (async () => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
      if (!file.startsWith(root + sep)) return void res.writeHead(403).end();
      try {
        const body = await readFile(file);
        res
          .writeHead(200, {
            'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
            'cache-control': 'no-store',
            // cross-origin isolation: SharedArrayBuffer (WebAssembly threads) needs it
            'cross-origin-opener-policy': 'same-origin',
            'cross-origin-embedder-policy': 'require-corp',
          })
          .end(body);
      } catch {
        res.writeHead(404).end('not found');
      }
    })();
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', ok);
  });
  const { port: p } = server.address() as AddressInfo;
  return { url: `http://localhost:${p}/`, close: () => new Promise<void>((ok) => server.close(() => ok())) };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: { port: { type: 'string', default: '8080' }, out: { type: 'string' }, 'build-only': { type: 'boolean', default: false } },
  });
  const out = resolve(values.out ?? join(here, 'dist'));
  const t = performance.now();
  await buildPage(out);
  console.log(`built the page into ${out} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  if (!values['build-only']) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be an integer in 0..65535, got ${values.port}`);
    const s = await serveFolder(out, port);
    console.log(`pixgrad web page: ${s.url} (Ctrl-C stops)`);
  }
}
