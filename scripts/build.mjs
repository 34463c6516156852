#!/usr/bin/env node
// Builds the packages' dist/ folders from a clean slate (a file deleted from src/ must not live on
// in a published dist/): `node scripts/build.mjs` builds all five, `node scripts/build.mjs losses`
// one package (and, incrementally, what it references). Each package's `prepack` runs it, so
// `npm pack` and `npm publish` always ship a fresh build.
import { rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const all = ['core', 'kernels', 'wasm', 'models', 'losses', 'cli'];
const wanted = process.argv.slice(2);
for (const name of wanted) if (!all.includes(name)) throw new Error(`build: unknown package '${name}' (one of ${all.join(', ')})`);
const packages = wanted.length ? wanted : all;

for (const name of packages) rmSync(join(root, 'packages', name, 'dist'), { recursive: true, force: true });
const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-b', ...packages.map((p) => join(root, 'packages', p))], { stdio: 'inherit' });
process.exit(r.status ?? 1);
