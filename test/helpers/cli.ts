/**
 * Running the `pixgrad` command line in the end-to-end tests: as a child process (through tsx,
 * from source; the real exit status, stdout and stderr) or in this process through `runCli` with
 * its output captured (cheap checks; optionally a fake terminal for the progress bar).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runCli } from '@pixgrad/cli';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = join(ROOT, 'packages/cli/src/main.ts');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `pixgrad ...args` as a child process from the repository root, with `env` added to this process's environment. */
export function pixgradWithEnv(env: Record<string, string> | undefined, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const opts = { cwd: ROOT, maxBuffer: 1 << 24, ...(env ? { env: { ...process.env, ...env } } : {}) };
    execFile(process.execPath, ['--import', 'tsx', '--conditions=pixgrad-source', MAIN, ...args], opts, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
    });
  });
}

/** `pixgrad ...args` as a child process from the repository root. */
export function pixgrad(...args: string[]): Promise<Run> {
  return pixgradWithEnv(undefined, ...args);
}

/** The command in this process (runCli with captured output); with `tty` stderr is a 100-column terminal whose output is `progress`. */
export async function runCliCaptured(args: string[], tty = false): Promise<Run & { progress: string }> {
  let stdout = '';
  let stderr = '';
  let progress = '';
  let stream: (NodeJS.WriteStream & PassThrough) | undefined;
  if (tty) {
    stream = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough;
    (stream as { columns?: number }).columns = 100;
    stream.on('data', (d: Buffer) => (progress += d.toString()));
  }
  const code = await runCli(args, { out: (t) => void (stdout += t), err: (t) => void (stderr += t), progress: stream });
  return { code, stdout, stderr, progress };
}

/** The same command in this process (runCli with captured output): for the cheap checks. */
export function inProcess(...args: string[]): Promise<Run> {
  return runCliCaptured(args);
}
