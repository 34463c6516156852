import os from 'node:os';

/**
 * How many times to run a case: warm-ups (untimed; the output check before them is one more, and
 * they are skipped when that first run alone exceeded budgetMs), then between minReps and maxReps
 * timed runs, stopping after maxReps, or once minReps are done and budgetMs has passed.
 */
export interface MeasureOptions {
  warmup: number;
  minReps: number;
  maxReps: number;
  budgetMs: number;
}

export const FULL: MeasureOptions = { warmup: 1, minReps: 3, maxReps: 15, budgetMs: 4000 };
export const QUICK: MeasureOptions = { warmup: 0, minReps: 1, maxReps: 5, budgetMs: 1000 };

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Times `run` (awaited) per MeasureOptions. Returns every timed repetition's wall-clock ms and the
 * CPU ms this process spent in it (user + system, all threads): on a shared machine the wall clock
 * moves with other people's load while the CPU time does not, so the report shows both.
 */
export async function measure(run: () => void | Promise<void>, o: MeasureOptions, firstMs = 0): Promise<{ wall: number[]; cpu: number[] }> {
  // a case whose first run (the output check) took longer than the budget is past JIT warm-up
  // effects already; more untimed runs would only add minutes
  const warmup = firstMs > o.budgetMs ? 0 : o.warmup;
  for (let i = 0; i < warmup; i++) await run();
  const wall: number[] = [],
    cpu: number[] = [];
  const start = performance.now();
  while (wall.length < o.maxReps && (wall.length < o.minReps || performance.now() - start < o.budgetMs)) {
    const c = process.cpuUsage();
    const t = performance.now();
    await run();
    wall.push(performance.now() - t);
    const d = process.cpuUsage(c);
    cpu.push((d.user + d.system) / 1000);
  }
  return { wall, cpu };
}

/**
 * The worst norm-wise relative error ||a - b||_2 / ||b||_2 over the outputs. Norm-wise rather than
 * element-wise: through a deep ReLU network a float32 rounding can flip a few activations at their
 * kink, which moves a few gradient elements by a large fraction while the gradient as a whole is
 * right (measured: VGG16 perceptual gradient at 256x256, 449 of 196608 elements off by more than
 * 1e-3 of the largest, relative L2 error 4.8e-4 on the CPU backend and 1.2e-3 on WebGPU against a
 * float64 computation of the same network).
 */
export function relativeDifference(a: readonly Float32Array[], b: readonly Float32Array[]): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  a.forEach((x, k) => {
    const y = b[k]!;
    if (x.length !== y.length) {
      worst = Infinity;
      return;
    }
    let diff = 0,
      scale = 0;
    for (let i = 0; i < y.length; i++) {
      diff += (x[i]! - y[i]!) ** 2;
      scale += y[i]! ** 2;
    }
    // NaN anywhere makes diff NaN: report it as a mismatch
    const rel = Math.sqrt(diff) / Math.max(Math.sqrt(scale), 1e-30);
    worst = Number.isNaN(rel) ? Infinity : Math.max(worst, rel);
  });
  return worst;
}

export function machine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} logical cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.arch()}, Node ${process.version}`;
}

/** a plain-text table with right-aligned numeric columns */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => /^[\d.,x-]+$/.test(r[i]!) || r[i] === ''));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
