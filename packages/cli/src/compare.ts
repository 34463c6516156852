/**
 * `pixgrad compare REF TEST`: one pair of images, two folders paired by file name, or one
 * reference image against every image in a folder.
 */
import { mkdir, readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { type ColormapName, MAP_DEFAULT_MAX, MAP_QUANTITY, type MapKind, errorMap } from './colormap.js';
import { loadImage, writeColormapPng } from './files.js';
import { type PairResult, multiTable, pairJson, singleTable, summarize, toCsv, jsonValue } from './format.js';
import { InputError, type LoadedImage, checkComparable, describeChannels } from './image.js';
import { type DeepModels, type DeepRequest, computeDeepMetrics, disposeDeepModels, loadDeepModels } from './deep.js';
import { type MetricKey, computeMetrics, isWeightedMetric, metricDef } from './metrics.js';
import { Progress, type ProgressStream } from './progress.js';

/** Where the command writes: results to `out`, messages and problems to `err`. */
export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  /** a terminal stream for the progress bar (only given when stderr is a TTY) */
  progress?: ProgressStream | undefined;
}

export interface MapRequest {
  kind: MapKind;
  /** a .png file (one pair) or a folder (several pairs: one <name>.png each) */
  out: string;
  max?: number | undefined;
  colormap?: ColormapName | undefined;
}

export interface CompareOptions {
  metrics: readonly MetricKey[];
  format: 'table' | 'json' | 'csv';
  map?: MapRequest | undefined;
  device: string;
  /** the weighted rows (`--lpips`, `--perceptual`) and where their weights are */
  deep?: DeepRequest | undefined;
}

/** Image extensions considered in directory mode (content is still detected from the bytes). */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.gif'];

function isImageName(name: string): boolean {
  return !name.startsWith('.') && IMAGE_EXTENSIONS.includes(extname(name).toLowerCase());
}

async function kindOf(path: string): Promise<'file' | 'dir' | 'missing'> {
  try {
    return (await stat(path)).isDirectory() ? 'dir' : 'file';
  } catch {
    return 'missing';
  }
}

async function listImages(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => !e.isDirectory() && isImageName(e.name))
    .map((e) => e.name)
    .sort();
}

const stem = (name: string) => name.slice(0, name.length - extname(name).length);

interface PlannedPair {
  name: string;
  ref: string;
  test: string;
}

/**
 * Pairs the images of two folders by file name: the same name, or else the same name without
 * its extension (`a.png` with `a.jpg`) when that match is unique. Returns the pairs and one
 * problem per unpaired file.
 */
export async function pairFolders(refDir: string, testDir: string): Promise<{ pairs: PlannedPair[]; unpaired: InputError[] }> {
  const refs = await listImages(refDir);
  const tests = await listImages(testDir);
  const testSet = new Set(tests);
  const used = new Set<string>();
  const pairs: PlannedPair[] = [];
  const unpaired: InputError[] = [];
  const byStem = new Map<string, string[]>();
  for (const t of tests) byStem.set(stem(t), [...(byStem.get(stem(t)) ?? []), t]);
  const refStems = new Map<string, number>();
  for (const r of refs) refStems.set(stem(r), (refStems.get(stem(r)) ?? 0) + 1);
  for (const r of refs) {
    let match: string | undefined;
    if (testSet.has(r)) match = r;
    else {
      const cands = (byStem.get(stem(r)) ?? []).filter((t) => !used.has(t) && !refs.includes(t));
      if (cands.length === 1 && refStems.get(stem(r)) === 1) match = cands[0];
    }
    if (match === undefined) {
      unpaired.push(new InputError(join(refDir, r), `unpaired: no ${r} (or ${stem(r)}.*) in ${testDir}`));
      continue;
    }
    used.add(match);
    pairs.push({ name: r, ref: join(refDir, r), test: join(testDir, match) });
  }
  for (const t of tests) {
    if (!used.has(t)) unpaired.push(new InputError(join(testDir, t), `unpaired: no ${t} (or ${stem(t)}.*) in ${refDir}`));
  }
  return { pairs, unpaired };
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Compares one planned pair; a problem becomes `error` on the result (never thrown). */
async function comparePair(
  plan: PlannedPair,
  opts: CompareOptions,
  mapOut: string | undefined,
  refImage?: LoadedImage,
  deep?: DeepModels,
): Promise<PairResult> {
  const result: PairResult = { name: plan.name, ref: plan.ref, test: plan.test };
  let ref: LoadedImage | undefined = refImage;
  let test: LoadedImage | undefined;
  try {
    ref ??= await loadImage(plan.ref);
    test = await loadImage(plan.test);
    checkComparable(ref, test);
    result.width = ref.width;
    result.height = ref.height;
    result.channels = ref.channels;
    result.alphaDropped = ref.alphaDropped || test.alphaDropped;
    result.metrics = await computeMetrics(
      ref.tensor,
      test.tensor,
      opts.metrics.filter((k) => !isWeightedMetric(k)),
    );
    if (deep && deep.keys.length) Object.assign(result.metrics, await computeDeepMetrics(deep, ref.tensor, test.tensor));
    if (opts.map && mapOut) {
      const values = await errorMap(opts.map.kind, ref.tensor, test.tensor, plan.test);
      await writeColormapPng(mapOut, values, ref.width, ref.height, {
        max: opts.map.max ?? MAP_DEFAULT_MAX[opts.map.kind],
        colormap: opts.map.colormap ?? 'inferno',
      });
      result.map = mapOut;
    }
  } catch (e) {
    result.error = errorMessage(e);
    delete result.metrics;
  } finally {
    if (ref && ref !== refImage) ref.tensor.dispose();
    test?.tensor.dispose();
  }
  return result;
}

function mapLegend(m: MapRequest): string {
  const max = m.max ?? MAP_DEFAULT_MAX[m.kind];
  const cm = m.colormap ?? 'inferno';
  const ends = cm === 'inferno' ? 'black = 0 ... pale yellow' : 'dark blue = 0 ... yellow';
  return `${m.kind} map: ${MAP_QUANTITY[m.kind]}, ${cm} colormap, ${ends} = ${max} or more`;
}

/**
 * Runs `pixgrad compare`. Returns the exit code: 0 when every pair was compared, 1 when any input
 * was missing, unreadable, mismatched or unpaired (the good pairs are still reported). With
 * `opts.deep` the LPIPS / perceptual rows are added when their weights are found (n/a with a
 * message on stderr saying how to get them otherwise; a given weights file that cannot be loaded
 * is an input problem).
 */
export async function runCompare(refPath: string, testPath: string, opts: CompareOptions, io: Io): Promise<number> {
  const deep = opts.deep ? await loadDeepModels(opts.deep, io) : undefined;
  try {
    const all = deep?.keys.length ? { ...opts, metrics: [...opts.metrics.filter((k) => !isWeightedMetric(k)), ...deep.keys] } : opts;
    const code = await compareWith(refPath, testPath, all, io, deep);
    if (deep?.problems.length) {
      io.err(
        `\npixgrad compare: ${deep.problems.length} weights problem${deep.problems.length === 1 ? '' : 's'}:\n${deep.problems.map((p) => `  ${p}\n`).join('')}`,
      );
      return Math.max(code, 1);
    }
    return code;
  } finally {
    if (deep) disposeDeepModels(deep);
  }
}

async function compareWith(refPath: string, testPath: string, opts: CompareOptions, io: Io, deep: DeepModels | undefined): Promise<number> {
  const [rk, tk] = await Promise.all([kindOf(refPath), kindOf(testPath)]);
  const problems: string[] = [];
  const say = opts.format === 'table' ? io.out : io.err; // human notes stay off a machine-readable stdout
  if (rk === 'missing' || tk === 'missing') {
    if (rk === 'missing') problems.push(`${refPath}: no such file or directory`);
    if (tk === 'missing') problems.push(`${testPath}: no such file or directory`);
    return finishFailed(problems, refPath, testPath, opts, io);
  }
  if (rk === 'dir' && tk === 'file') {
    problems.push(`${refPath} is a directory but ${testPath} is a file: give two files, two directories, or a reference file and a directory`);
    return finishFailed(problems, refPath, testPath, opts, io);
  }

  // --- one pair ---
  if (rk === 'file' && tk === 'file') {
    if (opts.map && !/\.png$/i.test(opts.map.out)) {
      problems.push(`${opts.map.out}: the --map output must be a .png file`);
      return finishFailed(problems, refPath, testPath, opts, io);
    }
    const r = await comparePair({ name: basename(testPath), ref: refPath, test: testPath }, opts, opts.map?.out, undefined, deep);
    if (r.error) return finishFailed([r.error], refPath, testPath, opts, io, r);
    if (opts.format === 'json') io.out(`${JSON.stringify({ ...pairJson(r, opts.metrics), device: opts.device }, null, 2)}\n`);
    else if (opts.format === 'csv') io.out(toCsv([r], opts.metrics));
    else {
      io.out(`ref   ${r.ref}\ntest  ${r.test}\n`);
      io.out(
        `size  ${r.width}x${r.height} ${r.channels === 1 ? 'grey' : 'RGB'}${r.alphaDropped ? ' (alpha dropped: colour compared only)' : ''}, device ${opts.device}\n\n`,
      );
      io.out(`${singleTable(r, opts.metrics)}\n`);
    }
    if (r.map && opts.map) say(`\nwrote ${r.map} (${mapLegend(opts.map)})\n`);
    return 0;
  }

  // --- several pairs: two folders, or a reference file against a folder ---
  let plans: PlannedPair[];
  let refImage: LoadedImage | undefined;
  let unpairedCount = 0;
  try {
    if (rk === 'dir') {
      const { pairs, unpaired } = await pairFolders(refPath, testPath);
      plans = pairs;
      unpairedCount = unpaired.length;
      for (const u of unpaired) problems.push(u.message);
    } else {
      plans = (await listImages(testPath)).map((n) => ({ name: n, ref: refPath, test: join(testPath, n) }));
      refImage = await loadImage(refPath);
    }
    if (plans.length === 0 && problems.length === 0) problems.push(`${testPath}: no images (${IMAGE_EXTENSIONS.join(', ')}) to compare`);
    if (opts.map && plans.length > 0) {
      if (/\.png$/i.test(opts.map.out)) {
        throw new InputError(opts.map.out, `--map writes one PNG per pair here (${plans.length} pairs): give a folder, not a .png file`);
      }
      try {
        await mkdir(opts.map.out, { recursive: true });
      } catch (e) {
        throw new InputError(opts.map.out, `cannot make the --map folder: ${errorMessage(e)}`);
      }
    }
  } catch (e) {
    // a folder that cannot be listed, an unreadable reference, a map folder that cannot be made
    problems.push(e instanceof InputError ? e.message : `cannot read the folders: ${errorMessage(e)}`);
    return finishFailed(problems, refPath, testPath, opts, io);
  }

  const progress = io.progress && plans.length > 1 ? new Progress(io.progress, plans.length) : undefined;
  const results: PairResult[] = [];
  try {
    for (const [i, p] of plans.entries()) {
      progress?.update(i, p.name);
      const mapOut = opts.map ? join(opts.map.out, `${stem(p.name)}.png`) : undefined;
      const r = await comparePair(p, opts, mapOut, refImage, deep);
      if (r.error) problems.push(r.error);
      results.push(r);
    }
  } finally {
    progress?.done();
    refImage?.tensor.dispose();
  }
  const good = results.filter((r) => !r.error);

  if (opts.format === 'json') {
    const mean = summarize(good, opts.metrics);
    const summary = {
      compared: good.length,
      failed: results.length - good.length,
      unpaired: unpairedCount,
      mean: Object.fromEntries(Object.entries(mean).map(([k, v]) => [k, jsonValue(v)])),
    };
    io.out(
      `${JSON.stringify(
        {
          ref: refPath,
          test: testPath,
          device: opts.device,
          metrics: opts.metrics,
          pairs: results.map((r) => pairJson(r, opts.metrics)),
          summary,
          errors: problems,
        },
        null,
        2,
      )}\n`,
    );
  } else if (opts.format === 'csv') {
    io.out(toCsv(results, opts.metrics));
  } else {
    const what =
      rk === 'dir'
        ? `${refPath} vs ${testPath}, paired by file name`
        : `reference ${refPath} (${refImage!.width}x${refImage!.height} ${describeChannels(refImage!)}) vs each image in ${testPath}`;
    io.out(`${what}: ${good.length} pair${good.length === 1 ? '' : 's'} compared, device ${opts.device}\n\n`);
    if (good.length > 0) io.out(`${multiTable(results, opts.metrics)}\n`);
    const notes = new Map<string, number>();
    for (const r of good)
      for (const k of opts.metrics) {
        const n = r.metrics?.[k];
        if (n && n.value === null) notes.set(`${metricDef(k).label} ${n.note}`, (notes.get(`${metricDef(k).label} ${n.note}`) ?? 0) + 1);
      }
    if (notes.size) io.out(`\n${[...notes].map(([n, c]) => `note: ${n}${c > 1 ? ` (${c} pairs)` : ''}`).join('\n')}\n`);
    if (good.some((r) => r.alphaDropped)) io.out('note: alpha channels were dropped; only colour is compared\n');
  }
  if (opts.map && good.some((r) => r.map)) say(`\nwrote ${good.filter((r) => r.map).length} maps to ${opts.map.out}/ (${mapLegend(opts.map)})\n`);
  return reportProblems(problems, io);
}

function reportProblems(problems: readonly string[], io: Io): number {
  if (problems.length === 0) return 0;
  io.err(`\npixgrad compare: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n`);
  for (const p of problems) io.err(`  ${p}\n`);
  return 1;
}

/** Nothing could be compared: machine-readable output still says so, then the problems go to stderr. */
function finishFailed(problems: string[], ref: string, test: string, opts: CompareOptions, io: Io, r?: PairResult): number {
  const failed: PairResult = r ?? { name: basename(test), ref, test, error: problems.join('; ') };
  if (opts.format === 'json') io.out(`${JSON.stringify({ ...pairJson(failed, opts.metrics), device: opts.device }, null, 2)}\n`);
  else if (opts.format === 'csv') io.out(toCsv([failed], opts.metrics));
  return reportProblems(problems, io);
}
