/**
 * Output of `pixgrad compare`: aligned text tables, JSON and CSV.
 *
 * JSON numbers are plain numbers, except infinities (PSNR of identical images), which JSON cannot
 * hold: they are the strings "Infinity" / "-Infinity" (`Number(s)` in JS and `float(s)` in Python
 * read them back). A metric that does not apply is null, with the reason under `notes`.
 * CSV: `inf` for infinities, an empty cell for n/a.
 */
import { type MetricKey, type MetricResult, metricDef } from './metrics.js';

/** One compared pair (or a failed one, with `error`). */
export interface PairResult {
  /** the name the pair was matched by (the file name in directory mode) */
  name: string;
  ref: string;
  test: string;
  width?: number;
  height?: number;
  channels?: number;
  alphaDropped?: boolean;
  metrics?: Partial<Record<MetricKey, MetricResult>>;
  /** where --map wrote this pair's error map */
  map?: string;
  error?: string;
}

export function formatNumber(v: number | null, digits: number): string {
  if (v === null) return 'n/a';
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (v !== 0 && Math.abs(v) < 10 ** -digits) return v.toExponential(2);
  return v.toFixed(digits);
}

/** Mean of each metric over the pairs that have it (inf if any is inf; null if none). */
export function summarize(pairs: readonly PairResult[], keys: readonly MetricKey[]): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const k of keys) {
    const vals = pairs.map((p) => p.metrics?.[k]?.value).filter((v): v is number => typeof v === 'number');
    out[k] = vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : null;
  }
  return out;
}

function pad(s: string, w: number, right: boolean): string {
  const n = [...s].length;
  return n >= w ? s : right ? ' '.repeat(w - n) + s : s + ' '.repeat(w - n);
}

/** Renders rows as columns separated by two spaces; `rightAlign[i]` for numeric columns. */
export function renderTable(rows: readonly (readonly string[])[], rightAlign: readonly boolean[]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => pad(c, widths[i]!, rightAlign[i] ?? false))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function unitOf(k: MetricKey): string {
  return metricDef(k).unit;
}

/** The single-pair table: one row per metric, with its definition (or why it is n/a). */
export function singleTable(p: PairResult, keys: readonly MetricKey[]): string {
  const rows: string[][] = [['metric', 'value', 'better', 'definition']];
  for (const k of keys) {
    const d = metricDef(k);
    const r = p.metrics?.[k];
    const v = r ? formatNumber(r.value, d.digits) : 'n/a';
    rows.push([d.unit ? `${d.label} (${d.unit})` : d.label, v, r && r.value === null ? '' : d.better, r?.note ?? d.describe]);
  }
  return renderTable(rows, [false, true, false, false]);
}

/** The multi-pair table: one row per pair, one column per metric, then the mean row. */
export function multiTable(pairs: readonly PairResult[], keys: readonly MetricKey[], firstColumn = 'file'): string {
  const head = [firstColumn, ...keys.map((k) => (unitOf(k) ? `${metricDef(k).label} ${unitOf(k)}` : metricDef(k).label))];
  const rows: string[][] = [head];
  const good = pairs.filter((p) => !p.error);
  for (const p of good) rows.push([p.name, ...keys.map((k) => formatNumber(p.metrics?.[k]?.value ?? null, metricDef(k).digits))]);
  if (good.length > 1) {
    const mean = summarize(good, keys);
    const rule = head.map((h) => '-'.repeat(Math.max(4, [...h].length)));
    rows.push(rule);
    rows.push([`mean of ${good.length}`, ...keys.map((k) => formatNumber(mean[k]!, metricDef(k).digits))]);
  }
  return renderTable(rows, [false, ...keys.map(() => true)]);
}

/** A metric value for JSON: numbers, "Infinity"/"-Infinity", or null. */
export function jsonValue(v: number | null): number | string | null {
  if (v === null || Number.isNaN(v)) return null;
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return v;
}

export function pairJson(p: PairResult, keys: readonly MetricKey[]): Record<string, unknown> {
  const o: Record<string, unknown> = { name: p.name, ref: p.ref, test: p.test };
  if (p.error !== undefined) {
    o.error = p.error;
    return o;
  }
  Object.assign(o, { width: p.width, height: p.height, channels: p.channels, alphaDropped: p.alphaDropped ?? false });
  const metrics: Record<string, number | string | null> = {};
  const notes: Record<string, string> = {};
  for (const k of keys) {
    const r = p.metrics?.[k];
    metrics[k] = jsonValue(r ? r.value : null);
    if (r?.note) notes[k] = r.note;
  }
  o.metrics = metrics;
  if (Object.keys(notes).length) o.notes = notes;
  if (p.map !== undefined) o.map = p.map;
  return o;
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csvNumber(v: number | null | undefined): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return String(v);
}

/** CSV: a header, then one row per pair (failed pairs with an empty metric row and the error). No summary row. */
export function toCsv(pairs: readonly PairResult[], keys: readonly MetricKey[]): string {
  const lines = [['name', 'ref', 'test', 'width', 'height', 'channels', ...keys, 'error'].join(',')];
  for (const p of pairs) {
    const cells = [
      p.name,
      p.ref,
      p.test,
      p.width !== undefined ? String(p.width) : '',
      p.height !== undefined ? String(p.height) : '',
      p.channels !== undefined ? String(p.channels) : '',
      ...keys.map((k) => csvNumber(p.metrics?.[k]?.value)),
      p.error ?? '',
    ];
    lines.push(cells.map(csvCell).join(','));
  }
  return `${lines.join('\n')}\n`;
}
