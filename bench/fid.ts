/**
 * The distribution metrics end to end, on this machine:
 * - `pixgrad fid A B` on two folders of N 256x256 PNGs (seeded noise; the network carries seeded
 *   random weights written as a .safetensors file, since no real weights can be downloaded here),
 *   whole command in this process (weights loading, decoding, resizing, Inception, statistics, the
 *   2048-d Fréchet distance): seconds and images/s, on each pixgrad device;
 * - `frechetDistance` on two 2048-d covariances (the float64 host part of every FID).
 *
 *   npm run bench:fid                  N = 16 per folder
 *   npm run bench:fid -- --images 50   (--devices cpu,webgpu; default both, webgpu when an adapter exists)
 *
 * The per-image network cost beside TensorFlow.js is the `inception` workload of `npm run bench`.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '@pixgrad/cli';
import { FeatureStats, frechetDistance } from '@pixgrad/losses';
import { encodePng, inceptionStateDictShapes, saveSafetensors } from '@pixgrad/models';
import { uniform, uniform01 } from './data.js';

const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const N = Number(opt('images') ?? 16);
const devices = (opt('devices') ?? 'cpu,webgpu').split(',');

const dir = await mkdtemp(join(tmpdir(), 'pixgrad-bench-fid-'));
try {
  // seeded weights in pytorch-fid's layout
  const sd: Record<string, { dtype: 'float32'; sourceDtype: 'float32'; shape: number[]; data: Float32Array }> = {};
  let seed = 900;
  for (const [k, shape] of inceptionStateDictShapes('fid')) {
    const n = shape.reduce((a, b) => a * b, 1);
    const u = uniform(n, seed++);
    const data = k.endsWith('conv.weight')
      ? u.map((v) => v * Math.sqrt(6 / (shape[1]! * shape[2]! * shape[3]!)))
      : k.endsWith('running_var')
        ? u.map((v) => 1.25 + 0.25 * v)
        : k.endsWith('bn.weight')
          ? u.map((v) => 1 + 0.2 * v)
          : u.map((v) => 0.05 * v);
    sd[k] = { dtype: 'float32', sourceDtype: 'float32', shape, data };
  }
  const weights = join(dir, 'inception.safetensors');
  await saveSafetensors(weights, sd);
  for (const [f, s] of [
    ['a', 1],
    ['b', 2],
  ] as const) {
    await mkdir(join(dir, f));
    for (let i = 0; i < N; i++) {
      await writeFile(join(dir, f, `${i}.png`), encodePng({ width: 256, height: 256, channels: 3, data: uniform01(256 * 256 * 3, s * 1000 + i) }));
    }
  }
  const rows: string[] = [];
  for (const device of devices) {
    if (device === 'webgpu') {
      try {
        const k = await import('@pixgrad/kernels');
        if ((await k.init('webgpu')) !== 'webgpu') throw new Error('no adapter');
      } catch (e) {
        rows.push(`pixgrad fid, webgpu: skipped (${(e as Error).message.split('\n')[0]})`);
        continue;
      }
    }
    let out = '';
    const t0 = performance.now();
    const code = await runCli(['fid', join(dir, 'a'), join(dir, 'b'), '--inception-weights', weights, '--device', device, '--batch-size', '8'], {
      out: (s) => void (out += s),
      err: (s) => void process.stderr.write(s),
    });
    const secs = (performance.now() - t0) / 1000;
    if (code !== 0) throw new Error(`pixgrad fid exited ${code}`);
    rows.push(`pixgrad fid, ${device}: ${2 * N} images (256x256 PNG) in ${secs.toFixed(1)} s = ${((2 * N) / secs).toFixed(2)} images/s (${out.trim()})`);
  }

  // the host part: two 2048-d covariances from 4096 ReLU-like samples each
  const d = 2048;
  const stats = [1, 2].map((s) => {
    const st = new FeatureStats(d);
    for (let b = 0; b < 8; b++) st.add(uniform(512 * d, s * 100 + b).map((v) => Math.max(0, v + 0.3)));
    return st;
  });
  const t1 = performance.now();
  const fd = frechetDistance(stats[0]!.mean(), stats[0]!.covariance(), stats[1]!.mean(), stats[1]!.covariance());
  rows.push(`frechetDistance, 2048-d covariances of 4096 samples: ${((performance.now() - t1) / 1000).toFixed(2)} s (value ${fd.toFixed(6)})`);
  for (const r of rows) console.log(r);
} finally {
  await rm(dir, { recursive: true, force: true });
}
process.exit(0);
