// Reads vitest's JSON report and prints the one line CI reads: `tests: N passed, M failed, K skipped`.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? '.vitest-results.json';
let r;
try {
  r = JSON.parse(readFileSync(file, 'utf8'));
} catch (e) {
  console.log(`test-summary: no readable report at ${file} (${e.message})`);
  console.log('tests: 0 passed, 1 failed');
  process.exit(1);
}
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
// a suite that failed to load counts as a failure even though it ran no test
const suiteErrors = (r.testResults ?? []).filter((s) => s.status === 'failed' && (s.assertionResults ?? []).length === 0).length;
console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests + suiteErrors} failed${skipped ? `, ${skipped} skipped` : ''}`);
