#!/usr/bin/env node
/**
 * The `pixgrad` executable. In the workspace: `npm run pixgrad -- compare a.png b.png`
 * (node --import tsx --conditions=pixgrad-source packages/cli/src/main.ts); built: `pixgrad compare ...`.
 */
import { getDefaultDevice } from '@pixgrad/core';
import { runCli } from './cli.js';

const io = {
  out: (s: string) => void process.stdout.write(s),
  err: (s: string) => void process.stderr.write(s),
  progress: process.stderr.isTTY ? process.stderr : undefined,
};

try {
  const code = await runCli(process.argv.slice(2), io);
  process.exitCode = code;
} catch (e) {
  // a bug, not an input problem: show the stack
  process.stderr.write(`pixgrad: internal error: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 70;
}
// a WebGPU device can keep the event loop alive; leave once stdout is flushed
if (getDefaultDevice() === 'webgpu') process.stdout.write('', () => process.exit());
