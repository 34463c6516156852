/**
 * The packages as a user gets them: every workspace package is packed (`npm pack`, which runs each
 * `prepack` build), the tarballs are installed into a fresh project outside the repository, and
 * that project
 * - runs a plain `node` script that uses all six packages (test/packages/consumer.mjs) and the
 *   installed `pixgrad` bin;
 * - type-checks a strict TypeScript consumer with `skipLibCheck: false` and no @types/node
 *   (test/packages/consumer.ts), so every emitted .d.ts stands on its own;
 * - bundles all six packages for the browser with esbuild (test/packages/browser-entry.ts),
 *   which fails on any Node built-in, and builds the same app with Vite;
 * and the install holds one copy of @pixgrad/core and no `webgpu` (an optional peer of kernels).
 *
 * Third-party dependencies come from npm's cache (`--prefer-offline`), which `npm ci` filled.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, cpSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGES = ['core', 'kernels', 'wasm', 'models', 'losses', 'cli'] as const;
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

interface PackResult {
  name: string;
  filename: string;
  files: { path: string }[];
}

let work: string;
let app: string;
let packed: PackResult[];

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'pixgrad-packages-'));
  const tarballs = join(work, 'tarballs');
  mkdirSync(tarballs);
  packed = JSON.parse(run(NPM, ['pack', '--workspaces', '--pack-destination', tarballs, '--json', '--silent'], ROOT)) as PackResult[];
  app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  for (const f of readdirSync(join(ROOT, 'test', 'packages'))) copyFileSync(join(ROOT, 'test', 'packages', f), join(app, f));
  run(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--silent', ...packed.map((p) => join(tarballs, p.filename))], app);
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('packed packages installed into a fresh project', () => {
  it('every package ships a built dist, its README and LICENSE, and nothing of the build', () => {
    expect(packed.map((p) => p.name).sort()).toEqual(PACKAGES.map((p) => `@pixgrad/${p}`).sort());
    for (const p of packed) {
      const files = p.files.map((f) => f.path);
      for (const must of ['dist/index.js', 'dist/index.d.ts', 'README.md', 'LICENSE', 'package.json']) expect(files, `${p.name} ships ${must}`).toContain(must);
      expect(
        files.filter((f) => /tsbuildinfo|^test\//.test(f)),
        p.name,
      ).toEqual([]);
    }
  });

  it('metadata: core is a peer (one copy), webgpu an optional peer, no private export condition', () => {
    for (const name of PACKAGES) {
      const pj = JSON.parse(readFileSync(join(app, 'node_modules', '@pixgrad', name, 'package.json'), 'utf8'));
      for (const field of ['description', 'keywords', 'repository', 'engines', 'license']) expect(pj[field], `${name}.${field}`).toBeTruthy();
      if (name !== 'core') {
        expect(pj.peerDependencies?.['@pixgrad/core'], name).toBe('^0.1.0');
        expect(pj.dependencies?.['@pixgrad/core'], name).toBeUndefined();
      }
      expect(JSON.stringify(pj.exports)).not.toMatch(/"source"/);
    }
    const kernels = JSON.parse(readFileSync(join(app, 'node_modules', '@pixgrad', 'kernels', 'package.json'), 'utf8'));
    expect(kernels.peerDependenciesMeta.webgpu.optional).toBe(true);
    // one copy of core, and no Dawn binaries for a project that did not ask for them
    const copies = run(NPM, ['ls', '@pixgrad/core', '--all', '--parseable'], app).trim().split('\n');
    expect(new Set(copies).size).toBe(1);
    expect(existsSync(join(app, 'node_modules', 'webgpu'))).toBe(false);
  });

  it('a plain node script uses every package', () => {
    const out = JSON.parse(run(process.execPath, ['consumer.mjs'], app).trim().split('\n').at(-1)!);
    expect(out.grad).toEqual([2, 4, 6]);
    expect(out.webgpu).toMatch(/npm install webgpu/);
    expect(out.device).toBe('cpu');
    expect(out.imageShape).toEqual([1, 3, 64, 64]);
    expect(out.checkpoint).toEqual([1, 2, 3, 4]);
    expect(out.ssim).toBeGreaterThan(0.5);
    expect(out.ssim).toBeLessThan(1);
    expect(out.ssimGradShape).toEqual([1, 3, 64, 64]);
    expect(out.deltaE).toBeGreaterThan(0);
    expect(out.psnr).toBeGreaterThan(20);
    // the wasm device: SSIM and its gradient on 2 threads, the CPU device's values to float32 rounding
    expect(out.wasmThreads).toBe(2);
    expect(Math.abs(out.wasmSsim - out.ssim)).toBeLessThan(1e-5);
    expect(out.wasmGradError).toBeLessThan(1e-4);
    expect([out.cliExit, out.cliVersion, out.version]).toEqual([0, '0.1.0', '0.1.0']);
  });

  it('the installed pixgrad bin compares two images (on the wasm device by default here), and --device webgpu says what to install', () => {
    const bin = join(app, 'node_modules', '.bin', 'pixgrad');
    const json = JSON.parse(run(bin, ['compare', 'card.png', 'card.png', '--json', '--metrics', 'psnr,ssim'], app));
    expect(JSON.stringify(json)).toMatch(/"ssim":1\b/);
    // no webgpu package in this project: auto takes the wasm device
    expect(json.device).toBe('wasm');
    const r = spawnSync(bin, ['compare', 'card.png', 'card.png', '--device', 'webgpu'], { cwd: app, encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/npm install webgpu/);
  });

  it('a strict TypeScript consumer type-checks with skipLibCheck: false and without @types/node', () => {
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2022', 'DOM'],
          types: [],
          strict: true,
          skipLibCheck: false,
          noEmit: true,
          exactOptionalPropertyTypes: true,
          noUncheckedIndexedAccess: true,
        },
        files: ['consumer.ts'],
      }),
    );
    const r = spawnSync(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: app, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('esbuild bundles all six packages for the browser with no Node built-in', async () => {
    const r = await build({
      entryPoints: [join(app, 'browser-entry.ts')],
      absWorkingDir: app,
      bundle: true,
      platform: 'browser',
      format: 'esm',
      outfile: join(app, 'out', 'app.js'),
      metafile: true,
      logLevel: 'silent',
      write: true,
    });
    const inputs = Object.keys(r.metafile.inputs);
    for (const name of PACKAGES)
      expect(
        inputs.some((f) => f.startsWith(`node_modules/@pixgrad/${name}/dist/`)),
        name,
      ).toBe(true);
    expect(inputs.filter((f) => f.startsWith('node:') || /\/host\/node\.js$/.test(f))).toEqual([]);
    expect(readFileSync(join(app, 'out', 'app.js'), 'utf8')).not.toMatch(/from\s*["']node:|require\(["']node:/);
  });

  it('Vite builds the same browser app from the installed packages, with no Node built-in', async () => {
    writeFileSync(join(app, 'index.html'), '<!doctype html><script type="module">import { run } from "./browser-entry.ts"; window.run = run;</script>\n');
    const { build: viteBuild } = await import('vite');
    await viteBuild({ root: app, logLevel: 'silent', build: { outDir: join(app, 'vite-dist'), emptyOutDir: true } });
    const assets = readdirSync(join(app, 'vite-dist', 'assets')).filter((f) => f.endsWith('.js'));
    expect(assets.length).toBeGreaterThan(0);
    for (const f of assets) expect(readFileSync(join(app, 'vite-dist', 'assets', f), 'utf8')).not.toMatch(/["']node:|\bopenSync\b|\breadFileSync\b/);
  });

  it('a second copy of @pixgrad/core is reported, not silently split', () => {
    // what a user gets who updates one package whose range no longer matches the others
    cpSync(join(app, 'node_modules', '@pixgrad', 'core'), join(app, 'node_modules', '@pixgrad', 'kernels', 'node_modules', '@pixgrad', 'core'), {
      recursive: true,
    });
    try {
      writeFileSync(join(app, 'two-cores.mjs'), "import '@pixgrad/core'; import '@pixgrad/kernels';\n");
      const r = spawnSync(process.execPath, ['two-cores.mjs'], { cwd: app, encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(r.stderr).toMatch(/a second copy of @pixgrad\/core was loaded/);
    } finally {
      rmSync(join(app, 'node_modules', '@pixgrad', 'kernels', 'node_modules'), { recursive: true, force: true });
    }
  });
});
