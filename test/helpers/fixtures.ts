/**
 * Where the shared reference fixtures are, and a `describe` that needs them.
 *
 * The fixtures (real torch / safetensors / PNG files made by others, see
 * ../shared/fixtures/README.md) are not part of the repository: they sit next to it, at
 * `<repo>/../shared/fixtures`, or wherever `PIXGRAD_FIXTURES` points. A fresh clone without them
 * skips those suites with a one-line reason; CI (`CI` set) must have them, so there the suite fails.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it, type TestFunction } from 'vitest';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const candidate = process.env['PIXGRAD_FIXTURES'] ?? resolve(repoRoot, '..', 'shared', 'fixtures');

/** Absolute path of the fixtures folder, or null when it is absent. */
export const fixturesDir: string | null = existsSync(resolve(candidate, 'README.md')) ? candidate : null;

/** Absolute path of a file under the fixtures folder (call only inside `describeFixtures`). */
export function fixture(...parts: string[]): string {
  if (fixturesDir === null) throw new Error('fixtures folder absent');
  return resolve(fixturesDir, ...parts);
}

/**
 * `describe(name, fn)` when the fixtures exist. Otherwise: skipped with a one-line reason, or,
 * when `process.env.CI` is set, a failing test (CI must always run the fixture suites).
 */
export function describeFixtures(name: string, fn: () => void): void {
  if (fixturesDir !== null) {
    describe(name, fn);
    return;
  }
  if (process.env['CI']) {
    describe(name, () => {
      it('needs the shared fixtures', () => {
        throw new Error(`fixtures not found at ${candidate} (set PIXGRAD_FIXTURES); CI must run fixture suites`);
      });
    });
    return;
  }
  describe.skip(`${name} (skipped: no fixtures at ${candidate})`, fn);
}

/** `it(name, fn)` when the fixtures exist; otherwise skipped with the reason, or failing under `CI` (as `describeFixtures`). */
export function itFixtures(name: string, fn: TestFunction, timeout?: number): void {
  if (fixturesDir !== null) it(name, fn, timeout);
  else if (process.env['CI']) {
    it(name, () => {
      throw new Error(`fixtures not found at ${candidate} (set PIXGRAD_FIXTURES); CI must run fixture tests`);
    });
  } else it.skip(`${name} (skipped: no fixtures at ${candidate})`, fn);
}
