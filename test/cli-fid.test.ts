/**
 * `pixgrad fid` end to end. The reference values in packages/cli/test/data were written by
 * packages/cli/scripts/gen-fid-reference.py with pytorch-fid v0.3.0's own fid_score.py
 * (calculate_fid_given_paths, save_fid_stats) on the same PNGs (mixed sizes, so its resize path
 * runs) and a full-width FID Inception with the same hash weights as the file written here.
 * Then: statistics files both ways, shards merged equal to one pass, bad input and missing
 * weights, usage errors, the progress bar, and one run of every metric through the full network.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frechetDistance } from '@pixgrad/losses';
import { encodePng, readNpz } from '@pixgrad/models';
import { hashUniform, hashWeightsFile } from '../packages/models/test/inception-weights.js';
import { inProcess, pixgrad, runCliCaptured } from './helpers/cli.js';

const data = (f: string) => join(dirname(fileURLToPath(import.meta.url)), '..', 'packages', 'cli', 'test', 'data', f);
const ref = JSON.parse(readFileSync(data('fid-reference.json'), 'utf8')) as { folders: Record<string, [number, number][]>; fid_64: number; fid_192: number };

let dir: string;
let weights: string;
const p = (...s: string[]) => join(dir, ...s);
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

/** The generator's PNGs: a: floor(u * 256), b: 64 + floor(u * 128), u the hash of '<folder>:<k>'. */
async function writeFolder(name: 'a' | 'b', to: string = name): Promise<void> {
  await mkdir(p(to), { recursive: true });
  for (const [k, [h, w]] of ref.folders[name]!.entries()) {
    const u = hashUniform(`${name}:${k}`, h * w * 3);
    const px = Float32Array.from(u, (v) => (name === 'a' ? Math.floor(v * 256) : 64 + Math.floor(v * 128)) / 255);
    await writeFile(p(to, `${k}.png`), encodePng({ width: w, height: h, channels: 3, data: px }));
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pixgrad-cli-fid-'));
  weights = p('pt_inception-2015-12-05-6726825d.pth');
  await writeFile(weights, hashWeightsFile('fid'));
  await writeFolder('a');
  await writeFolder('b');
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const fid = (...args: string[]) => inProcess('fid', ...args, '--inception-weights', weights);

describe('pixgrad fid against pytorch-fid v0.3.0', () => {
  it('--dims 64 and --dims 192: the FID of pytorch-fid on the same folders to 1e-4 relative (float32 features)', async () => {
    for (const [dims, want] of [
      ['64', ref.fid_64],
      ['192', ref.fid_192],
    ] as const) {
      const r = await fid(p('a'), p('b'), '--dims', dims, '--json');
      expect(r.code, r.stderr).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(rel(j.fid, want), `dims ${dims}: ${j.fid} vs pytorch-fid ${want}`).toBeLessThan(1e-4);
      expect(j).toMatchObject({ images: [4, 5], dims: Number(dims), preprocess: 'pytorch-fid', weights, errors: [] });
    }
  }, 120_000);

  it("reads pytorch-fid's --save-stats file (np.savez_compressed) in place of a folder, and its own --save-stats round-trips", async () => {
    const r = await fid(data('a-stats-64.npz'), p('b'), '--dims', '64');
    expect(r.code, r.stderr).toBe(0);
    expect(rel(Number(/FID: ([\d.]+)/.exec(r.stdout)![1]), ref.fid_64)).toBeLessThan(1e-4);
    const s = await fid('--save-stats', p('a'), p('a.npz'), '--dims', '64');
    expect(s.code, s.stderr).toBe(0);
    const ours = await readNpz(p('a.npz'));
    const theirs = await readNpz(data('a-stats-64.npz'));
    expect(ours.get('mu')!.shape).toEqual([64]);
    expect(ours.get('sigma')!.dtype).toBe('float64');
    const mu = ours.get('mu')!.data;
    theirs.get('mu')!.data.forEach((v, i) => expect(Math.abs(mu[i]! - v)).toBeLessThan(1e-5 * (1 + Math.abs(v))));
    const both = await fid(p('a.npz'), data('a-stats-64.npz'), '--dims', '64', '--json');
    expect(JSON.parse(both.stdout).fid).toBeLessThan(1e-6);
    const tf = await fid(p('a.npz'), p('b'), '--dims', '64', '--preprocess', 'tf');
    expect(tf.code, tf.stderr).toBe(0);
    expect(tf.stderr).toContain('a.npz was made with --preprocess pytorch-fid but this run uses tf; FID values from different pipelines are not comparable');
    const wrong = await fid(p('a.npz'), p('b'), '--dims', '192');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('a.npz holds 64-d statistics but --dims is 192');
  }, 60_000);
});

describe('shards', () => {
  it('three shards merged equal one pass (statistics to float64 rounding, KID features in folder order)', async () => {
    const one = await fid('--save-stats', p('b'), p('b-one.npz'), '--dims', '64', '--kid');
    expect(one.code, one.stderr).toBe(0);
    for (const i of [2, 0, 1]) {
      const r = await fid(p('b'), '--shard', `${i}/3`, '-o', p(`part-${i}.npz`), '--dims', '64', '--kid');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`shard ${i}/3`);
    }
    const m = await inProcess('fid', 'merge', p('part-1.npz'), p('part-0.npz'), p('part-2.npz'), '-o', p('b-merged.npz'));
    expect(m.code, m.stderr).toBe(0);
    expect(m.stdout).toContain('merged 3 shard(s), 5 image(s)');
    const a = await readNpz(p('b-one.npz'));
    const b = await readNpz(p('b-merged.npz'));
    for (const k of ['mu', 'sigma']) {
      const x = a.get(k)!.data;
      b.get(k)!.data.forEach((v, i) => expect(Math.abs(v - x[i]!)).toBeLessThan(1e-12 * (1 + Math.abs(x[i]!))));
    }
    expect(Array.from(b.get('feats')!.data)).toEqual(Array.from(a.get('feats')!.data));
    const f1 = frechetDistance(a.get('mu')!.data, a.get('sigma')!.data, b.get('mu')!.data, b.get('sigma')!.data);
    expect(Math.abs(f1)).toBeLessThan(1e-9);
    // KID from the merged features equals KID from the folder
    const k1 = JSON.parse((await fid(p('a'), p('b-merged.npz'), '--dims', '64', '--kid', '--kid-subset-size', '4', '--kid-subsets', '3', '--json')).stdout).kid;
    const k2 = JSON.parse((await fid(p('a'), p('b'), '--dims', '64', '--kid', '--kid-subset-size', '4', '--kid-subsets', '3', '--json')).stdout).kid;
    expect(rel(k1.mean, k2.mean)).toBeLessThan(1e-6);
  }, 120_000);

  it('merge refuses missing, repeated and mismatched shards, and a shard used as statistics', async () => {
    let r = await inProcess('fid', 'merge', p('part-0.npz'), p('part-1.npz'), '-o', p('x.npz'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('shards 2 of 3 are missing');
    r = await inProcess('fid', 'merge', p('part-0.npz'), p('part-0.npz'), p('part-1.npz'), '-o', p('x.npz'));
    expect(r.stderr).toContain('shard 0 of 3 is given twice');
    const d = await fid(p('b'), '--shard', '2/3', '-o', p('part-2-192.npz'), '--dims', '192');
    expect(d.code, d.stderr).toBe(0);
    r = await inProcess('fid', 'merge', p('part-0.npz'), p('part-1.npz'), p('part-2-192.npz'), '-o', p('x.npz'));
    expect(r.stderr).toMatch(/part-2-192.npz: dims 192 differs from .*part-0.npz's 64/);
    r = await inProcess('fid', 'merge', data('a-stats-64.npz'), '-o', p('x.npz'));
    expect(r.stderr).toContain('not a pixgrad fid shard');
    r = await fid(p('part-0.npz'), p('b'), '--dims', '64');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("is a shard (partial statistics): combine the shards first with 'pixgrad fid merge");
  }, 60_000);
});

describe('bad input', () => {
  it('an unreadable image is listed with its reason, the rest are scored, exit 1; --strict stops at it', async () => {
    await writeFolder('a', 'a-broken');
    await writeFile(p('a-broken', '9-broken.png'), 'not a png');
    const r = await fid(p('a-broken'), p('b'), '--dims', '64', '--json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(rel(j.fid, ref.fid_64)).toBeLessThan(1e-4);
    expect(j.errors).toEqual([`${p('a-broken', '9-broken.png')}: not a PNG, JPEG or GIF image (wrong signature)`]);
    expect(r.stderr).toContain('1 image(s) could not be read and were left out');
    const s = await fid(p('a-broken'), p('b'), '--dims', '64', '--strict');
    expect(s.code).toBe(1);
    expect(s.stdout).toBe('');
    expect(s.stderr).toContain('9-broken.png: not a PNG, JPEG or GIF image (wrong signature) (--strict stops at the first unreadable image)');
  }, 60_000);

  it('missing weights: the file name, the URL and every folder looked in; exit 1', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { TORCH_HOME: p('no-torch'), XDG_CACHE_HOME: p('no-xdg'), HOME: p('no-home') });
    try {
      const r = await inProcess('fid', p('a'), p('b'), '--dims', '64');
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('pt_inception-2015-12-05-6726825d.pth');
      expect(r.stderr).toContain('https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth');
      expect(r.stderr).toContain(join(p('no-torch'), 'hub', 'checkpoints'));
    } finally {
      process.env = saved;
    }
  });

  it('folders without images, missing paths, too few images, a grey image and an RGBA one', async () => {
    await mkdir(p('empty'), { recursive: true });
    let r = await fid(p('empty'), p('b'), '--dims', '64');
    expect(r.stderr).toContain('empty: no images (.png, .jpg, .jpeg, .gif) in this folder');
    r = await fid(p('nope'), p('b'), '--dims', '64');
    expect(r.stderr).toContain('nope: no such file or folder');
    await mkdir(p('one'), { recursive: true });
    await writeFile(p('one', 'g.png'), encodePng({ width: 70, height: 60, channels: 1, data: new Float32Array(4200).fill(0.3) }));
    r = await fid(p('one'), p('b'), '--dims', '64');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('one: 1 readable image(s); FID needs at least 2');
    await writeFile(p('one', 'rgba.png'), encodePng({ width: 50, height: 90, channels: 4, data: new Float32Array(50 * 90 * 4).fill(0.6) }));
    r = await fid(p('one'), p('b'), '--dims', '64', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).images).toEqual([2, 5]);
  }, 60_000);

  it('usage errors exit 2 and say what was wrong', async () => {
    const cases: [string[], string][] = [
      [['fid', 'a'], 'fid takes PATH_A and PATH_B (or one folder with --isc alone); got 1 path(s): a'],
      [['fid', 'a', 'b', '--dims', '100'], "--dims must be 64, 192, 768 or 2048, got '100'"],
      [['fid', 'a', 'b', '--preprocess', 'bicubic'], "--preprocess must be pytorch-fid, tf, clean, got 'bicubic'"],
      [['fid', 'a', '--shard', '3/3', '-o', 'x.npz'], "--shard must be I/N with 0 <= I < N, got '3/3'"],
      [['fid', 'a', '--shard', '0/3'], '--shard needs -o PART.npz'],
      [['fid', '--save-stats', 'a', 'out.txt'], "--save-stats writes a .npz file, got 'out.txt'"],
      [['fid', 'merge', 'x.npz'], 'fid merge needs -o OUT.npz'],
      [['fid', 'a', 'b', '--batch-size', '0'], "--batch-size must be an integer >= 1, got '0'"],
    ];
    for (const [args, msg] of cases) {
      const r = await inProcess(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(msg);
    }
    expect((await inProcess('fid', '--help')).stdout).toContain('Kubernetes Indexed Job');
  });

  it('draws a progress bar with images/s and time left on a terminal', async () => {
    const r = await runCliCaptured(['fid', p('a'), p('b'), '--dims', '64', '--batch-size', '2', '--inception-weights', weights], true);
    expect(r.code, r.stderr).toBe(0);
    expect(r.progress).toMatch(/\] 2\/4 .* img\/s, \d+s left/);
    expect(r.progress).toMatch(/\] 5\/5 /);
  }, 60_000);
});

describe('--device webgpu', () => {
  // a child process, so this file's in-process runs keep the CPU as their default device
  it('gives the CPU FID within 1e-3 relative (float32 on both; lavapipe in CI)', async () => {
    const r = await pixgrad('fid', p('a'), p('b'), '--dims', '64', '--device', 'webgpu', '--json', '--inception-weights', weights);
    expect(r.code, r.stderr).toBe(0);
    expect(rel(JSON.parse(r.stdout).fid, ref.fid_64)).toBeLessThan(1e-3);
  }, 120_000);
});

describe('every metric through the full network', () => {
  it('statistics with sFID spatial features, KID features and IS logits, then FID, KID, IS and sFID from them in one JSON object', async () => {
    for (const f of ['a', 'b']) {
      const r = await fid('--save-stats', p(f), p(`${f}-full.npz`), '--sfid', '--kid', '--isc');
      expect(r.code, r.stderr).toBe(0);
    }
    const a = await readNpz(p('a-full.npz'));
    const b = await readNpz(p('b-full.npz'));
    expect(a.get('mu_s')!.shape).toEqual([2023]);
    expect(a.get('feats')!.shape).toEqual([4, 2048]);
    expect(a.get('logits')!.shape).toEqual([4, 1008]);
    const r = await inProcess(
      'fid',
      p('a-full.npz'),
      p('b-full.npz'),
      '--kid',
      '--kid-subset-size',
      '3',
      '--kid-subsets',
      '4',
      '--isc',
      '--isc-splits',
      '2',
      '--sfid',
      '--json',
    );
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ images: [4, 5], dims: 2048, errors: [], kid: { subsets: 4, subsetSize: 3 }, isc: { splits: 2 } });
    expect(rel(j.fid, frechetDistance(a.get('mu')!.data, a.get('sigma')!.data, b.get('mu')!.data, b.get('sigma')!.data))).toBeLessThan(1e-12);
    expect(rel(j.sfid, frechetDistance(a.get('mu_s')!.data, a.get('sigma_s')!.data, b.get('mu_s')!.data, b.get('sigma_s')!.data))).toBeLessThan(1e-12);
    expect(j.fid).toBeGreaterThan(0);
    expect(j.isc.mean).toBeGreaterThanOrEqual(1);
    expect(Number.isFinite(j.kid.mean) && j.kid.std >= 0).toBe(true);
    const isc = await inProcess('fid', '--isc', p('a-full.npz'), '--isc-splits', '2', '--json');
    expect(isc.code, isc.stderr).toBe(0);
    expect(JSON.parse(isc.stdout)).toMatchObject({ fid: null, isc: j.isc });
  }, 300_000);
});
