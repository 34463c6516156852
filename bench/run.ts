/**
 * pixgrad's benchmark: every registered workload on every registered library/backend, side by side
 * in one process on the same inputs. Median wall-clock ms per repetition (results read back), and
 * ratios: the best peer's ms / pixgrad's ms, and the same-backend peer's (tfjs cpu for pixgrad cpu,
 * tfjs webgpu for pixgrad webgpu); above 1 means pixgrad is faster.
 *
 *   npm run bench                  full run, a table on stdout
 *   npm run bench -- --quick       reduced sizes and repetitions (under a minute)
 *   npm run -s bench -- --json     one JSON array of { workload, library, backend, ms } on stdout
 *   --only=matmul,conv2d           workloads whose id contains one of these substrings (also --only matmul)
 *   --libs=pixgrad:webgpu,@tensorflow/tfjs:webgpu    library:backend pairs
 *   --slow                         also run the tfjs cpu cases that take minutes (skipped otherwise)
 *
 * Before timing, each case's outputs are compared with the first library's on the same inputs
 * (relative tolerance per workload, stated in the report); a mismatch fails that row loudly
 * (it is not timed) and the run's exit status.
 */
import { print } from './stdout.js';
import os from 'node:os';
import { FULL, QUICK, machine, measure, median, relativeDifference, table } from './harness.js';
import { libraries, subject, workloads } from './registry.js';
import type { PeakMemory, Row } from './types.js';

const argv = process.argv.slice(2);
// accept both --name=value and --name value
const args: string[] = [];
for (let i = 0; i < argv.length; i++) {
  const a = argv[i]!;
  if ((a === '--only' || a === '--libs') && argv[i + 1] !== undefined) args.push(`${a}=${argv[++i]}`);
  else args.push(a);
}
const flag = (name: string) => args.includes(`--${name}`);
const list = (name: string) =>
  args
    .find((a) => a.startsWith(`--${name}=`))
    ?.slice(name.length + 3)
    .split(',');
const known = ['--json', '--quick', '--slow', '--only=', '--libs='];
const unknown = args.filter((a) => !known.some((k) => (k.endsWith('=') ? a.startsWith(k) : a === k)));
if (unknown.length) {
  console.error(
    `bench: unknown argument(s) ${unknown.join(' ')}; use --json, --quick, --slow, --only=<${workloads.map((w) => w.id).join(',')}>, ` +
      `--libs=<${libraries.map((l) => `${l.name}:${l.backend}`).join(',')}>`,
  );
  process.exit(2);
}
const json = flag('json'),
  quick = flag('quick'),
  slow = flag('slow');
const only = list('only'),
  libs = list('libs');
const log = (msg: string) => console.error(msg);

const DEFAULT_TOLERANCE = 1e-4;

const rows: Row[] = [];
const cpuMs = new Map<Row, number>();
const peaks = new Map<Row, PeakMemory>();
const problems: string[] = [];
const versions: Record<string, string> = {};
const notes = new Set<string>();
const tolerances = new Map<string, number>();
const load0 = os.loadavg();

for (const wl of workloads.filter((w) => !only || only.some((o) => w.id.includes(o)))) {
  const name = wl.name(quick);
  const tolerance = wl.tolerance ?? DEFAULT_TOLERANCE;
  tolerances.set(name, tolerance);
  let reference: { label: string; outputs: Float32Array[] } | undefined;
  for (const lib of libraries.filter((l) => !libs || libs.includes(`${l.name}:${l.backend}`))) {
    const label = `${lib.name} ${lib.backend}`;
    const impl = wl.impls[lib.family];
    if (!impl) continue;
    const why = wl.skip?.(lib, quick, slow);
    if (why) {
      log(`skip ${name} | ${label}: ${why}`);
      continue;
    }
    const skip = await lib.setup();
    if (skip) {
      log(`skip ${label}: ${skip}`);
      continue;
    }
    Object.assign(versions, lib.versions());
    lib.notes?.().forEach((n) => n && notes.add(n));
    let c;
    try {
      c = await impl(lib, quick);
    } catch (e) {
      problems.push(`FAILED ${name} | ${label}: could not build the case: ${(e as Error).message}`);
      log(problems[problems.length - 1]!);
      continue;
    }
    try {
      const t0 = performance.now();
      const outputs = await c.outputs();
      const firstMs = performance.now() - t0;
      if (!reference) reference = { label, outputs };
      else {
        const diff = relativeDifference(outputs, reference.outputs);
        if (!(diff <= tolerance)) {
          problems.push(`MISMATCH ${name}: ${label} differs from ${reference.label} by ${diff.toExponential(2)} (relative, tolerance ${tolerance}); not timed`);
          log(`\n*** ${problems[problems.length - 1]} ***\n`);
          continue;
        }
        log(`${name} | ${label}: outputs agree with ${reference.label} (relative L2 difference ${diff.toExponential(2)} <= ${tolerance})`);
      }
      log(`${name} | ${label} ... (first run ${firstMs.toFixed(0)} ms)`);
      const opts = quick ? QUICK : FULL;
      // a case whose first run took seconds is past warm-up effects: one or two timed runs suffice
      const long = firstMs > 8000 ? { ...opts, warmup: 0, minReps: firstMs > 30000 ? 1 : 2 } : opts;
      const { wall, cpu } = await measure(() => c.run(), long, firstMs);
      const ms = median(wall);
      log(`  median ${ms.toFixed(1)} ms over ${wall.length} (${wall.map((t) => t.toFixed(0)).join(', ')}); CPU ${median(cpu).toFixed(1)} ms`);
      const row: Row = { workload: name, library: lib.name, backend: lib.backend, ms: Math.round(ms * 10) / 10 };
      const flops = wl.flops?.(quick);
      if (flops) row.gflops = Math.round((flops / (ms * 1e6)) * 100) / 100;
      if (wl.peakMemory && lib.peakMemory) {
        const p = await lib.peakMemory(async () => await c.run());
        if (p) {
          row.peakBytes = p.peakBytes;
          row.baseBytes = p.baseBytes;
          peaks.set(row, p);
          log(
            `  peak ${(p.peakBytes / 2 ** 20).toFixed(1)} MiB (inputs+weights ${(p.baseBytes / 2 ** 20).toFixed(1)} MiB)${p.allocatedBytes !== undefined ? `, allocated after ${(p.allocatedBytes / 2 ** 20).toFixed(1)} MiB` : ''} (${p.source})`,
          );
        }
      }
      rows.push(row);
      cpuMs.set(row, median(cpu));
    } catch (e) {
      const message = (e as Error).message.split('\n')[0]!;
      // a peer without a kernel for this workload (tfjs wasm has no Conv2DBackpropFilter) is a
      // gap in the peer, reported but not a failure of the run; pixgrad failing is
      const missing = lib.name !== subject && /Kernel '.*' not registered for backend/.test(message);
      if (missing) log(`skip ${name} | ${label}: the peer cannot run it: ${message}`);
      else {
        problems.push(`FAILED ${name} | ${label}: ${message}`);
        log(problems[problems.length - 1]!);
      }
    } finally {
      c.dispose();
    }
  }
}

if (json) {
  print(JSON.stringify(rows));
} else {
  const peers = (w: string) => rows.filter((r) => r.workload === w && !r.library.startsWith(subject) && r.library !== subject);
  const ratio = (b: number | undefined, x: number) => (b ? `${(b / x).toFixed(2)}x` : '');
  print(`machine: ${machine()}`);
  notes.forEach((n) => print(n));
  print(
    `packages: ${Object.entries(versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  print(
    `load average at start: ${load0.map((l) => l.toFixed(1)).join(', ')}; at end: ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(', ')} (1, 5, 15 min)`,
  );
  print(
    `mode: ${quick ? 'quick' : 'full'}${slow ? ' --slow' : ''}; median wall-clock ms per repetition (results read back) and median CPU ms of this process (all threads);`,
  );
  print(
    `"best peer / row" and "same-backend peer / row" = peer ms / ${subject} ms (above 1: ${subject} faster); same-backend peer: tfjs cpu for cpu, tfjs webgpu for webgpu\n`,
  );
  print(
    table(
      ['workload', 'library', 'backend', 'median ms', 'CPU ms', 'best peer / row', 'same-backend peer / row', 'GFLOP/s', 'peak MiB (of which inputs+weights)'],
      rows.map((r) => {
        const mine = r.library === subject;
        const ps = peers(r.workload);
        const best = ps.length ? ps.reduce((a, b) => (b.ms < a.ms ? b : a)) : undefined;
        const same = ps.find((p) => p.backend === r.backend);
        return [
          r.workload,
          r.library,
          r.backend,
          r.ms.toFixed(1),
          cpuMs.get(r)!.toFixed(1),
          mine && best ? `${ratio(best.ms, r.ms)} (${best.backend})` : '',
          mine ? ratio(same?.ms, r.ms) : '',
          r.gflops !== undefined ? r.gflops.toFixed(2) : '',
          r.peakBytes !== undefined ? `${(r.peakBytes / 2 ** 20).toFixed(1)} (${(r.baseBytes! / 2 ** 20).toFixed(1)})` : '',
        ];
      }),
    ),
  );
  print(`\ntolerances (||a-b|| / ||reference|| per output): ${[...tolerances].map(([w, t]) => `${w}: ${t}`).join('; ')}`);
  if (peaks.size) print(`peak memory: ${[...new Set([...peaks.values()].map((p) => p.source))].join('; ')}`);
}
if (problems.length) {
  log(`\n${problems.length} problem(s):\n${problems.join('\n')}`);
  process.exitCode = 1;
}
// Exit explicitly once stdout is flushed: a Dawn device (pixgrad's and tfjs's) keeps the event loop
// alive, and after a full run the process otherwise stays up, using most of a core.
await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
process.exit(process.exitCode ?? 0);
