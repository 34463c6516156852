/**
 * pixgrad's benchmark: every registered workload on every registered library, side by side in one
 * process on the same inputs. Median wall-clock ms per repetition, and the ratio to tfjs's
 * pure-JS cpu backend (baseline ms / row ms: above 1 is faster than the baseline).
 *
 *   npm run bench                  full run, a table on stdout
 *   npm run bench -- --quick       reduced sizes and repetitions (well under a minute)
 *   npm run -s bench -- --json     one JSON array of { workload, library, backend, ms } on stdout
 *   --only=matmul,conv2d           workload ids;  --libs=pixgrad:cpu,@tensorflow/tfjs:cpu   libraries
 *
 * Before timing, each case's outputs are compared with the first library's on the same inputs;
 * a mismatch is reported (stderr) and fails the run, so a fast wrong kernel cannot win.
 * Progress and notes go to stderr, so stdout holds only the table or the JSON.
 */
import os from 'node:os';
import { FULL, QUICK, machine, measure, median, relativeDifference, table } from './harness.js';
import { baseline, libraries, workloads } from './registry.js';
import type { Row } from './types.js';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const list = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3).split(',');
const known = ['--json', '--quick', '--only=', '--libs='];
const unknown = args.filter((a) => !known.some((k) => (k.endsWith('=') ? a.startsWith(k) : a === k)));
if (unknown.length) {
  console.error(`bench: unknown argument(s) ${unknown.join(' ')}; use --json, --quick, --only=<${workloads.map((w) => w.id).join(',')}>, --libs=<${libraries.map((l) => `${l.name}:${l.backend}`).join(',')}>`);
  process.exit(2);
}
const json = flag('json'), quick = flag('quick');
const only = list('only'), libs = list('libs');
const log = (msg: string) => console.error(msg);

/** maximum relative difference tolerated between two libraries' outputs (float32, different summation orders) */
const TOLERANCE = 1e-4;

const rows: Row[] = [];
/** median CPU ms per row (shown in the table, not in --json, whose rows are fixed) */
const cpuMs = new Map<Row, number>();
const versions: Record<string, string> = {};
let failed = false;

for (const wl of workloads.filter((w) => !only || only.includes(w.id))) {
  const name = wl.name(quick);
  let reference: { label: string; outputs: Float32Array[] } | undefined;
  for (const lib of libraries.filter((l) => !libs || libs.includes(`${l.name}:${l.backend}`))) {
    const label = `${lib.name} ${lib.backend}`;
    const impl = wl.impls[lib.family];
    if (!impl) continue;
    const skip = await lib.setup();
    if (skip) {
      log(`skip ${label}: ${skip}`);
      continue;
    }
    Object.assign(versions, lib.versions());
    const c = await impl(lib, quick);
    try {
      const t0 = performance.now();
      const outputs = await c.outputs();
      const firstMs = performance.now() - t0;
      if (!reference) reference = { label, outputs };
      else {
        const diff = relativeDifference(outputs, reference.outputs);
        if (!(diff <= TOLERANCE)) {
          log(`MISMATCH ${name}: ${label} differs from ${reference.label} by ${diff.toExponential(2)} (relative, tolerance ${TOLERANCE})`);
          failed = true;
        }
      }
      log(`${name} | ${label} ...`);
      const { wall, cpu } = await measure(() => c.run(), quick ? QUICK : FULL, firstMs);
      const ms = median(wall);
      log(`  median ${ms.toFixed(1)} ms over ${wall.length} (${wall.map((t) => t.toFixed(0)).join(', ')}); CPU ${median(cpu).toFixed(1)} ms`);
      rows.push({ workload: name, library: lib.name, backend: lib.backend, ms: Math.round(ms * 10) / 10 });
      cpuMs.set(rows[rows.length - 1]!, median(cpu));
    } finally {
      c.dispose();
    }
  }
}

if (json) {
  console.log(JSON.stringify(rows));
} else {
  const base = (w: string) => rows.find((r) => r.workload === w && r.library === baseline.library && r.backend === baseline.backend);
  const ratio = (b: number | undefined, x: number) => (b ? `${(b / x).toFixed(2)}x` : '');
  console.log(`machine: ${machine()}`);
  console.log(`packages: ${Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  console.log(`load average: ${os.loadavg().map((l) => l.toFixed(1)).join(', ')} (1, 5, 15 min)`);
  console.log(`mode: ${quick ? 'quick' : 'full'}; median wall-clock ms per repetition, and median CPU ms of this process;`);
  console.log(`ratios = ${baseline.library} ${baseline.backend} ms / row ms, wall-clock and CPU (above 1: faster than it)\n`);
  console.log(
    table(
      ['workload', 'library', 'backend', 'median ms', 'CPU ms', 'vs tfjs cpu', '(CPU)'],
      rows.map((r) => {
        const b = base(r.workload);
        const cpu = cpuMs.get(r)!;
        return [r.workload, r.library, r.backend, r.ms.toFixed(1), cpu.toFixed(1), ratio(b?.ms, r.ms), ratio(b && cpuMs.get(b), cpu)];
      }),
    ),
  );
}
if (failed) process.exitCode = 1;
