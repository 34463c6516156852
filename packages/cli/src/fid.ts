/**
 * `pixgrad fid`: FID (and KID, Inception Score, sFID) of image folders or saved statistics, with
 * pytorch-fid's interface (PATH_A PATH_B, --dims, --batch-size, --save-stats), plus shards that
 * run on many machines and merge exactly.
 *
 * A folder is every file with a supported extension directly in it (not recursive, sorted, as
 * pytorch-fid), decoded as PNG/JPEG/GIF from its bytes; grey images become RGB (the grey value in
 * every channel, as PIL's convert('RGB')), alpha is dropped. Each image is resized to 299x299 by the
 * named preprocessing, so folders may mix sizes. Features stream into float64 statistics one batch
 * at a time; only KID and IS keep per-image rows (2048 / 1008 float32 values per image).
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { type Tensor, concat, tidy } from '@pixgrad/core';
import { FeatureStats, frechetDistance, inceptionScore, kid } from '@pixgrad/losses';
import {
  type InceptionPreprocess,
  type InceptionTap,
  type InceptionV3,
  type NpyArray,
  WeightsNotFoundError,
  convertChannels,
  decodeImage,
  findInceptionWeights,
  imageToTensor,
  inceptionPreprocess,
  inceptionV3,
  readNpz,
  readNpzMember,
  writeNpz,
} from '@pixgrad/models';
import type { Io } from './compare.js';
import { Progress } from './progress.js';

/** Extensions a folder is scanned for (what the decoders read). */
export const FID_IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.gif'];
export const FID_DIMS = [64, 192, 768, 2048] as const;
export type FidDims = (typeof FID_DIMS)[number];

/** The version of the shard file format (`pixgrad-fid-shard.json` inside the .npz). */
export const SHARD_FORMAT_VERSION = 1;

export interface FidRequest {
  /** folders or .npz statistics: two for FID/KID/sFID, one for IS alone, --save-stats or --shard */
  paths: string[];
  dims: FidDims;
  weights?: string | undefined;
  preprocess: InceptionPreprocess;
  batchSize: number;
  json: boolean;
  kid: boolean;
  isc: boolean;
  sfid: boolean;
  strict: boolean;
  kidSubsets: number;
  kidSubsetSize: number;
  iscSplits: number;
  /** --save-stats OUT.npz */
  saveStats?: string | undefined;
  /** --shard I/N with -o OUT.npz */
  shard?: { index: number; count: number; out: string } | undefined;
}

/** A problem that ends the command with exit status 1 (the message says what and where). */
export class FidInputError extends Error {}

/** What one folder or statistics file gives. */
interface Collected {
  source: string;
  count: number;
  stats: FeatureStats;
  spatial?: FeatureStats | undefined;
  /** per-image rows for KID (dims values each) and IS (1008 logits each), in image order */
  feats?: Float32Array | undefined;
  logits?: Float32Array | undefined;
  /** each row's image index in the folder (shards) */
  index?: Float64Array | undefined;
}

interface Needs {
  kid: boolean;
  isc: boolean;
  sfid: boolean;
}

async function kindOf(path: string): Promise<'dir' | 'file' | 'missing'> {
  try {
    return (await stat(path)).isDirectory() ? 'dir' : 'file';
  } catch {
    return 'missing';
  }
}

/** The image files directly in `dir`, sorted by name. */
export async function listImages(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => !n.startsWith('.') && FID_IMAGE_EXTENSIONS.includes(extname(n).toLowerCase())).sort();
  return names.map((n) => `${dir.replace(/\/+$/, '')}/${n}`);
}

/** An image file as [1, 3, H, W] in [0, 1]; throws with the reason when it cannot be read. */
async function readRgb(path: string): Promise<Tensor> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    throw new Error((e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `cannot read: ${(e as Error).message}`);
  }
  let img = decodeImage(bytes, { name: path });
  if (img.channels !== 3) img = convertChannels(img, 3);
  return imageToTensor(img);
}

/** Growable float32 rows. */
class Rows {
  private buf: Float32Array;
  rows = 0;
  constructor(readonly width: number) {
    this.buf = new Float32Array(width * 64);
  }
  push(data: ArrayLike<number>, offset: number): void {
    if ((this.rows + 1) * this.width > this.buf.length) {
      const b = new Float32Array(this.buf.length * 2);
      b.set(this.buf);
      this.buf = b;
    }
    for (let j = 0; j < this.width; j++) this.buf[this.rows * this.width + j] = data[offset + j]!;
    this.rows++;
  }
  get data(): Float32Array {
    return this.buf.subarray(0, this.rows * this.width);
  }
}

function fmtRate(done: number, total: number, started: number): string {
  const secs = (Date.now() - started) / 1000;
  const rate = done / Math.max(secs, 1e-3);
  const left = rate > 0 ? (total - done) / rate : 0;
  return `${rate.toFixed(2)} img/s, ${left < 60 ? `${left.toFixed(0)}s` : `${Math.floor(left / 60)}m${String(Math.round(left % 60)).padStart(2, '0')}s`} left`;
}

/**
 * Runs the network over the images at `indices` of `files` in batches and collects what `needs`
 * asks for. Unreadable images are listed in `problems` (or end the run with --strict).
 */
async function collectFolder(
  net: InceptionV3,
  dir: string,
  files: string[],
  indices: number[],
  req: FidRequest,
  needs: Needs,
  problems: string[],
  io: Io,
): Promise<Collected> {
  const taps: InceptionTap[] = [String(req.dims) as InceptionTap];
  if (needs.isc) taps.push('logits_unbiased');
  if (needs.sfid) taps.push('spatial');
  const stats = new FeatureStats(req.dims);
  const spatial = needs.sfid ? new FeatureStats(2023) : undefined;
  const feats = needs.kid ? new Rows(req.dims) : undefined;
  const logits = needs.isc ? new Rows(1008) : undefined;
  const index: number[] = [];
  const progress = io.progress ? new Progress(io.progress, indices.length) : undefined;
  const started = Date.now();
  let done = 0;
  try {
    for (let b = 0; b < indices.length; b += req.batchSize) {
      const batch = indices.slice(b, b + req.batchSize);
      const images: Tensor[] = [];
      const kept: number[] = [];
      for (const i of batch) {
        try {
          images.push(await readRgb(files[i]!));
          kept.push(i);
        } catch (e) {
          const msg = `${files[i]}: ${(e as Error).message.replace(`${files[i]}: `, '')}`;
          if (req.strict) {
            for (const t of images) t.dispose();
            throw new FidInputError(`${msg} (--strict stops at the first unreadable image)`);
          }
          problems.push(msg);
        }
      }
      if (images.length > 0) {
        const out = tidy(() =>
          net.features(
            concat(
              images.map((t) => inceptionPreprocess(t, req.preprocess)),
              0,
            ),
            taps,
          ),
        );
        for (const t of images) t.dispose();
        try {
          const f = (await out.get(taps[0]!)!.data()) as Float32Array;
          stats.add(f);
          if (feats) for (let r = 0; r < kept.length; r++) feats.push(f, r * req.dims);
          if (logits) {
            const l = (await out.get('logits_unbiased')!.data()) as Float32Array;
            for (let r = 0; r < kept.length; r++) logits.push(l, r * 1008);
          }
          if (spatial) spatial.add((await out.get('spatial')!.data()) as Float32Array);
          index.push(...kept);
        } finally {
          for (const t of out.values()) t.dispose();
        }
      }
      done += batch.length;
      progress?.update(done, `${basename(dir)} ${fmtRate(done, indices.length, started)}`);
    }
  } finally {
    progress?.done();
  }
  return { source: dir, count: stats.count, stats, spatial, feats: feats?.data, logits: logits?.data, index: Float64Array.from(index) };
}

const arr = (data: Float64Array | Float32Array, shape: number[]): NpyArray => ({ dtype: data instanceof Float64Array ? 'float64' : 'float32', shape, data });

/** Reads a statistics .npz (pytorch-fid's mu/sigma, ADM's mu_s/sigma_s, clean-fid's feats, pixgrad's logits). */
async function collectNpz(path: string, req: FidRequest, needs: Needs, warnings: string[]): Promise<Collected> {
  let a: Map<string, NpyArray>;
  try {
    a = await readNpz(path);
  } catch (e) {
    throw new FidInputError(`${path}: cannot read statistics: ${(e as Error).message}`);
  }
  if (a.has('m2') || a.has('sum'))
    throw new FidInputError(`${path} is a shard (partial statistics): combine the shards first with 'pixgrad fid merge PART... -o OUT.npz'`);
  const need = (k: string, why: string) => {
    const v = a.get(k);
    if (!v) throw new FidInputError(`${path} has no '${k}' array (${why}); it holds ${[...a.keys()].join(', ') || 'no arrays'}`);
    if (v.dtype !== 'float32' && v.dtype !== 'float64') throw new FidInputError(`${path}: '${k}' is ${v.dtype}, expected float32 or float64`);
    return v;
  };
  const gaussian = (muKey: string, sigmaKey: string, d: number, what: string): FeatureStats => {
    const mu = need(muKey, what);
    const sigma = need(sigmaKey, what);
    if (mu.shape.length !== 1 || mu.shape[0] !== d || sigma.shape.length !== 2 || sigma.shape[0] !== d || sigma.shape[1] !== d) {
      throw new FidInputError(
        `${path}: '${muKey}' ${JSON.stringify(mu.shape)} and '${sigmaKey}' ${JSON.stringify(sigma.shape)} are not ${d}-d statistics (${what})`,
      );
    }
    return FeatureStats.fromMeanCovariance(mu.data, sigma.data);
  };
  const mu = need('mu', 'FID statistics');
  if (mu.shape[0] !== req.dims) throw new FidInputError(`${path} holds ${mu.shape[0]}-d statistics but --dims is ${req.dims}`);
  const c: Collected = { source: path, count: 0, stats: gaussian('mu', 'sigma', req.dims, 'FID statistics') };
  if (needs.sfid) c.spatial = gaussian('mu_s', 'sigma_s', 2023, 'sFID needs the spatial statistics, as in ADM reference batches');
  if (needs.kid) {
    const f = need('feats', 'KID needs per-image features: save them with --kid (clean-fid calls them feats)');
    if (f.shape.length !== 2 || f.shape[1] !== req.dims) throw new FidInputError(`${path}: 'feats' ${JSON.stringify(f.shape)} are not ${req.dims}-d rows`);
    c.feats = Float32Array.from(f.data as Float32Array);
    c.count = f.shape[0]!;
  }
  if (needs.isc) {
    const l = need('logits', 'IS needs the 1008 unbiased logits per image: save them with --isc');
    c.logits = Float32Array.from(l.data as Float32Array);
  }
  const count = a.get('count');
  if (count) c.count = count.data[0]!;
  // statistics pixgrad wrote say how they were made: another preprocessing is not comparable
  const raw = await readNpzMember(path, 'pixgrad.json').catch(() => undefined);
  let meta: { preprocess?: string } = {};
  try {
    if (raw) meta = JSON.parse(new TextDecoder().decode(raw)) as { preprocess?: string };
  } catch {
    warnings.push(`${path}: its pixgrad.json metadata is not JSON; ignored`);
  }
  if (meta.preprocess !== undefined && meta.preprocess !== req.preprocess) {
    warnings.push(
      `${path} was made with --preprocess ${meta.preprocess} but this run uses ${req.preprocess}; FID values from different pipelines are not comparable`,
    );
  }
  return c;
}

async function loadNet(req: FidRequest): Promise<{ net: InceptionV3; weights: string }> {
  let weights = req.weights;
  if (weights === undefined) {
    try {
      weights = await findInceptionWeights('fid');
    } catch (e) {
      if (e instanceof WeightsNotFoundError) throw new FidInputError(`${e.message}`);
      throw e;
    }
  }
  try {
    return { net: await inceptionV3({ weights }), weights };
  } catch (e) {
    throw new FidInputError(`${weights}: cannot load the FID Inception weights: ${(e as Error).message}`);
  }
}

/** The files of a folder source, or an error naming it. */
async function folderFiles(path: string): Promise<string[]> {
  const files = await listImages(path);
  if (files.length === 0) throw new FidInputError(`${path}: no images (${FID_IMAGE_EXTENSIONS.join(', ')}) in this folder`);
  return files;
}

function metaOf(req: FidRequest, weights: string | undefined, extra: Record<string, unknown> = {}): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify(
      {
        writer: 'pixgrad fid',
        dims: req.dims,
        preprocess: req.preprocess,
        weights: weights ? basename(weights) : null,
        network: 'inception-v3-fid (pt_inception-2015-12-05)',
        ...extra,
      },
      null,
      1,
    ),
  );
}

/** The arrays of saved statistics (pytorch-fid's mu/sigma, plus mu_s/sigma_s, feats, logits when collected). */
function statsArrays(c: Collected, dims: number): Record<string, NpyArray> {
  const out: Record<string, NpyArray> = { mu: arr(c.stats.mean(), [dims]), sigma: arr(c.stats.covariance(), [dims, dims]) };
  if (c.spatial) {
    out['mu_s'] = arr(c.spatial.mean(), [2023]);
    out['sigma_s'] = arr(c.spatial.covariance(), [2023, 2023]);
  }
  if (c.feats) out['feats'] = arr(c.feats, [c.feats.length / dims, dims]);
  if (c.logits) out['logits'] = arr(c.logits, [c.logits.length / 1008, 1008]);
  out['count'] = arr(Float64Array.of(c.stats.count), [1]);
  return out;
}

function checkEnough(c: Collected, what: string): void {
  if (c.stats.count < 2) throw new FidInputError(`${c.source}: ${c.stats.count} readable image(s); ${what} needs at least 2`);
}

/** `pixgrad fid ...` after parsing. Returns the exit status. */
export async function runFid(req: FidRequest, io: Io): Promise<number> {
  const problems: string[] = [];
  const warnings: string[] = [];
  let net: InceptionV3 | undefined;
  try {
    const kinds = await Promise.all(req.paths.map(kindOf));
    kinds.forEach((k, i) => {
      if (k === 'missing') throw new FidInputError(`${req.paths[i]}: no such file or folder`);
      if (k === 'file' && !/\.npz$/i.test(req.paths[i]!)) throw new FidInputError(`${req.paths[i]}: expected a folder of images or a .npz of statistics`);
    });
    let weights: string | undefined;
    const getNet = async () => {
      if (!net) ({ net, weights } = await loadNet(req));
      return net;
    };

    if (req.shard || req.saveStats) {
      const path = req.paths[0]!;
      if (kinds[0] !== 'dir') throw new FidInputError(`${path}: ${req.shard ? '--shard' : '--save-stats'} reads a folder of images`);
      const files = await folderFiles(path);
      const needs = { kid: req.kid, isc: req.isc, sfid: req.sfid };
      const indices = req.shard ? files.map((_, i) => i).filter((i) => i % req.shard!.count === req.shard!.index) : files.map((_, i) => i);
      const c = await collectFolder(await getNet(), path, files, indices, req, needs, problems, io);
      if (req.shard) {
        const { index, count, out } = req.shard;
        const arrays: Record<string, NpyArray> = {
          count: arr(Float64Array.of(c.stats.count), [1]),
          sum: arr(c.stats.sum, [req.dims]),
          m2: arr(c.stats.m2, [req.dims, req.dims]),
          index: arr(c.index!, [c.index!.length]),
        };
        if (c.spatial) {
          arrays['sum_s'] = arr(c.spatial.sum, [2023]);
          arrays['m2_s'] = arr(c.spatial.m2, [2023, 2023]);
          arrays['count_s'] = arr(Float64Array.of(c.spatial.count), [1]);
        }
        if (c.feats) arrays['feats'] = arr(c.feats, [c.feats.length / req.dims, req.dims]);
        if (c.logits) arrays['logits'] = arr(c.logits, [c.logits.length / 1008, 1008]);
        const meta = metaOf(req, weights, {
          format: 'pixgrad-fid-shard',
          version: SHARD_FORMAT_VERSION,
          shard: index,
          shards: count,
          folderImages: files.length,
          images: c.stats.count,
          unreadable: problems,
        });
        await writeNpz(out, arrays, { files: { 'pixgrad-fid-shard.json': meta } });
        io.out(`shard ${index}/${count}: ${c.stats.count} image(s) of ${files.length} -> ${out}\n`);
      } else {
        checkEnough(c, 'a covariance');
        await writeNpz(req.saveStats!, statsArrays(c, req.dims), { files: { 'pixgrad.json': metaOf(req, weights, { images: c.stats.count }) } });
        io.out(
          `${c.stats.count} image(s): ${req.dims}-d statistics${c.spatial ? ' + sFID spatial' : ''}${c.feats ? ' + features' : ''}${c.logits ? ' + logits' : ''} -> ${req.saveStats}\n`,
        );
      }
    } else {
      const onlyIsc = req.paths.length === 1;
      const results: Record<string, unknown> = {};
      const collected: Collected[] = [];
      for (let i = 0; i < req.paths.length; i++) {
        const path = req.paths[i]!;
        const needs = { kid: req.kid, isc: req.isc && i === 0, sfid: req.sfid };
        if (kinds[i] === 'dir') {
          const files = await folderFiles(path);
          collected.push(await collectFolder(await getNet(), path, files, [...files.keys()], req, needs, problems, io));
        } else collected.push(await collectNpz(path, req, needs, warnings));
      }
      const [a, b] = collected as [Collected, Collected | undefined];
      if (!onlyIsc && b) {
        checkEnough(a, 'FID');
        checkEnough(b, 'FID');
        results['fid'] = frechetDistance(a.stats.mean(), a.stats.covariance(), b.stats.mean(), b.stats.covariance());
        if (req.sfid) results['sfid'] = frechetDistance(a.spatial!.mean(), a.spatial!.covariance(), b.spatial!.mean(), b.spatial!.covariance());
        if (req.kid) {
          const r = await kid(
            { data: a.feats!, rows: a.feats!.length / req.dims, dims: req.dims },
            { data: b.feats!, rows: b.feats!.length / req.dims, dims: req.dims },
            { subsets: req.kidSubsets, subsetSize: req.kidSubsetSize },
          ).catch((e) => {
            throw new FidInputError(`KID: ${(e as Error).message.replace(/^kid: /, '')}`);
          });
          results['kid'] = r;
        }
      } else {
        results['fid'] = null;
      }
      if (req.isc) {
        const n = a.logits!.length / 1008;
        try {
          results['isc'] = inceptionScore({ data: a.logits!, rows: n, dims: 1008 }, { splits: req.iscSplits });
        } catch (e) {
          throw new FidInputError(`IS: ${(e as Error).message.replace(/^inceptionScore: /, '')}`);
        }
      }
      for (const w of warnings) io.err(`pixgrad fid: warning: ${w}\n`);
      const counts = collected.map((c) => (c.feats ? c.feats.length / req.dims : c.logits ? c.logits.length / 1008 : c.stats.count || c.count));
      if (req.json) {
        io.out(
          `${JSON.stringify({ ...results, images: counts, paths: req.paths, dims: req.dims, preprocess: req.preprocess, weights: weights ?? req.weights ?? null, errors: problems }, null, 2)}\n`,
        );
      } else {
        if (results['fid'] !== null) io.out(`FID: ${(results['fid'] as number).toFixed(6)}\n`);
        if (results['kid']) {
          const k = results['kid'] as { mean: number; std: number; subsets: number; subsetSize: number };
          io.out(`KID: ${k.mean.toExponential(6)} ± ${k.std.toExponential(3)} (${k.subsets} subsets of ${k.subsetSize})\n`);
        }
        if (results['isc']) {
          const s = results['isc'] as { mean: number; std: number; splits: number };
          io.out(`IS: ${s.mean.toFixed(6)} ± ${s.std.toFixed(6)} (${req.paths[0]}, ${s.splits} splits)\n`);
        }
        if (results['sfid'] !== undefined) io.out(`sFID: ${(results['sfid'] as number).toFixed(6)}\n`);
      }
    }
  } catch (e) {
    if (!(e instanceof FidInputError)) throw e;
    for (const p of problems) io.err(`pixgrad fid: ${p}\n`);
    io.err(`pixgrad fid: ${e.message}\n`);
    return 1;
  } finally {
    (net as InceptionV3 | undefined)?.dispose();
  }
  if (problems.length) {
    for (const p of problems) io.err(`pixgrad fid: ${p}\n`);
    io.err(`pixgrad fid: ${problems.length} image(s) could not be read and were left out (--strict stops at the first)\n`);
    return 1;
  }
  return 0;
}

/** `pixgrad fid merge PART... -o OUT.npz`: combines shards into pytorch-fid statistics (exact merges). */
export async function runFidMerge(parts: string[], out: string, io: Io): Promise<number> {
  try {
    const metas: Record<string, unknown>[] = [];
    const arrays: Map<string, NpyArray>[] = [];
    for (const p of parts) {
      let a: Map<string, NpyArray>;
      let meta: Record<string, unknown>;
      try {
        a = await readNpz(p);
        const raw = await readNpzMember(p, 'pixgrad-fid-shard.json');
        meta = raw ? (JSON.parse(new TextDecoder().decode(raw)) as Record<string, unknown>) : {};
      } catch (e) {
        throw new FidInputError(`${p}: not a pixgrad fid shard (${(e as Error).message})`);
      }
      if (meta['format'] !== 'pixgrad-fid-shard') throw new FidInputError(`${p}: not a pixgrad fid shard (no pixgrad-fid-shard.json)`);
      if (meta['version'] !== SHARD_FORMAT_VERSION)
        throw new FidInputError(`${p}: shard format version ${meta['version']}, this pixgrad reads version ${SHARD_FORMAT_VERSION}`);
      metas.push(meta);
      arrays.push(a);
    }
    const first = metas[0]!;
    const shards = first['shards'] as number;
    for (const [i, m] of metas.entries()) {
      for (const k of ['shards', 'dims', 'preprocess', 'weights', 'folderImages']) {
        if (JSON.stringify(m[k]) !== JSON.stringify(first[k]))
          throw new FidInputError(
            `${parts[i]}: ${k} ${JSON.stringify(m[k])} differs from ${parts[0]}'s ${JSON.stringify(first[k])}; shards of one run must agree`,
          );
      }
      for (const k of ['feats', 'logits', 'm2_s']) {
        if (arrays[i]!.has(k) !== arrays[0]!.has(k))
          throw new FidInputError(
            `${parts[i]}: ${arrays[i]!.has(k) ? 'has' : 'lacks'} '${k}' unlike ${parts[0]}; run every shard with the same --kid/--isc/--sfid`,
          );
      }
    }
    const seen = metas.map((m) => m['shard'] as number);
    const missing = [...Array(shards).keys()].filter((i) => !seen.includes(i));
    const dup = seen.filter((s, i) => seen.indexOf(s) !== i);
    if (dup.length) throw new FidInputError(`shard ${dup[0]} of ${shards} is given twice`);
    if (missing.length) throw new FidInputError(`shards ${missing.join(', ')} of ${shards} are missing (have ${seen.sort((a, b) => a - b).join(', ')})`);
    const dims = first['dims'] as number;
    const stats = new FeatureStats(dims);
    const spatial = arrays[0]!.has('m2_s') ? new FeatureStats(2023) : undefined;
    const part = (a: Map<string, NpyArray>, c: string, s: string, m: string) => FeatureStats.fromMoments(a.get(c)!.data[0]!, a.get(s)!.data, a.get(m)!.data);
    for (const a of arrays) {
      stats.merge(part(a, 'count', 'sum', 'm2'));
      if (spatial) spatial.merge(part(a, 'count_s', 'sum_s', 'm2_s'));
    }
    // per-image rows back in folder order
    const ordered = (key: string, width: number): Float32Array | undefined => {
      if (!arrays[0]!.has(key)) return undefined;
      const rows: [number, Float32Array][] = [];
      for (const a of arrays) {
        const idx = a.get('index')!.data;
        const data = a.get(key)!.data as Float32Array;
        idx.forEach((v, r) => rows.push([v, data.subarray(r * width, (r + 1) * width)]));
      }
      rows.sort((x, y) => x[0] - y[0]);
      const outRows = new Float32Array(rows.length * width);
      rows.forEach(([, r], i) => outRows.set(r, i * width));
      return outRows;
    };
    const c: Collected = { source: out, count: stats.count, stats, spatial, feats: ordered('feats', dims), logits: ordered('logits', 1008) };
    checkEnough(c, 'a covariance');
    const req = { dims, preprocess: first['preprocess'] } as FidRequest;
    await writeNpz(out, statsArrays(c, dims), {
      files: { 'pixgrad.json': metaOf(req, first['weights'] as string | undefined, { images: stats.count, mergedShards: shards }) },
    });
    io.out(`merged ${shards} shard(s), ${stats.count} image(s) -> ${out}\n`);
    return 0;
  } catch (e) {
    if (!(e instanceof FidInputError)) throw e;
    io.err(`pixgrad fid merge: ${e.message}\n`);
    return 1;
  }
}
