#!/usr/bin/env node
// The `pixgrad` bin: the built dist/main.js when there is one, else (a workspace checkout without
// a build) the TypeScript sources through tsx, with the 'pixgrad-source' condition so that the other
// @pixgrad packages resolve to their sources too.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const dist = new URL('../dist/main.js', import.meta.url);
if (existsSync(fileURLToPath(dist))) {
  await import(dist.href);
} else {
  const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=pixgrad-source', main, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exitCode = r.status ?? 1;
}
