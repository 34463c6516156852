/**
 * The main command on a 1920x1080 RGB pair, as a user runs it: `pixgrad compare ref.png test.png`
 * (default metrics: PSNR, SSIM, MS-SSIM, L1, MSE, ΔE00 mean and max, colour angle, TV diff) in a
 * fresh process, wall clock and peak RSS, on each device; then each metric alone
 * (`--metrics X`), and the process with no work (`--version`) as the start-up floor. The pair is
 * made here: a smooth synthetic scene (gradients, rings, edges) and the same plus seeded Gaussian
 * noise (sigma 8/255), both 8-bit PNGs.
 *
 * With `--skimage`, the same pair through scikit-image (SSIM with Gaussian weights sigma 1.5 and
 * population covariance, as pixgrad's SSIM; CIEDE2000 on rgb2lab; PSNR) in one Python process,
 * the peer a user would otherwise pick (bench/skimage_compare.py; needs python3 with skimage and
 * Pillow, or the interpreter named by PIXGRAD_BENCH_PYTHON).
 *
 *   npm run bench:compare                        cpu, wasm, and webgpu when an adapter exists
 *   npm run bench:compare -- --devices cpu --skimage
 *   npm run bench:compare -- --no-per-metric     the whole command only
 *
 * The command runs from the TypeScript sources through tsx (as `npm run pixgrad`); the start-up
 * row shows what that costs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodePng } from '@pixgrad/models';
import { uniform } from './data.js';

const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const devices = (opt('devices') ?? 'cpu,wasm,webgpu').split(',');
const perMetric = !argv.includes('--no-per-metric');
const W = 1920,
  H = 1080;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** the reference scene: smooth colour ramps, concentric rings and a few hard edges */
function scene(): Uint8Array {
  const out = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const u = x / W,
        v = y / H;
      const r = Math.hypot(x - W * 0.6, y - H * 0.45) / 40;
      const ring = 0.5 + 0.5 * Math.cos(r * r * 0.15);
      const block = (Math.floor(x / 240) + Math.floor(y / 180)) % 2;
      const o = (y * W + x) * 3;
      out[o] = Math.round(255 * Math.min(1, 0.2 + 0.6 * u * ring + 0.15 * block));
      out[o + 1] = Math.round(255 * Math.min(1, 0.15 + 0.5 * v + 0.3 * ring * (1 - u)));
      out[o + 2] = Math.round(255 * Math.min(1, 0.3 + 0.4 * (1 - v) * ring + 0.2 * block * u));
    }
  }
  return out;
}

function noisy(ref: Uint8Array): Uint8Array {
  // Box-Muller on the seeded uniforms
  const n = ref.length;
  const u = uniform(n + (n % 2), 4242).map((v) => (v + 1) / 2);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(Math.max(u[i]!, 1e-12)));
    const t = 2 * Math.PI * u[i + 1]!;
    out[i] = Math.max(0, Math.min(255, Math.round(ref[i]! + 8 * r * Math.cos(t))));
    if (i + 1 < n) out[i + 1] = Math.max(0, Math.min(255, Math.round(ref[i + 1]! + 8 * r * Math.sin(t))));
  }
  return out;
}

interface Run {
  ms: number;
  rssMiB: number;
  ok: boolean;
  out: string;
}

/** one `pixgrad` process: wall clock, peak RSS (reported by the child at exit) */
function pixgrad(args: string[]): Run {
  const t0 = performance.now();
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--import', join(root, 'bench', 'report-rss.mjs'), '--conditions=pixgrad-source', join(root, 'packages/cli/src/main.ts'), ...args],
    {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, CI: '' },
    },
  );
  const ms = performance.now() - t0;
  const rss = /PIXGRAD_MAXRSS_KB=(\d+)/.exec(r.stderr ?? '');
  return { ms, rssMiB: rss ? Number(rss[1]) / 1024 : NaN, ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

const dir = await mkdtemp(join(tmpdir(), 'pixgrad-bench-compare-'));
try {
  const ref = scene();
  await writeFile(join(dir, 'ref.png'), encodePng({ width: W, height: H, channels: 3, data: Float32Array.from(ref, (v) => v / 255) }));
  await writeFile(join(dir, 'test.png'), encodePng({ width: W, height: H, channels: 3, data: Float32Array.from(noisy(ref), (v) => v / 255) }));
  const pair = [join(dir, 'ref.png'), join(dir, 'test.png')];
  console.log(`pixgrad compare on a ${W}x${H} RGB pair (synthetic scene + Gaussian noise sigma 8/255), one process per row`);
  console.log('row                                   device   wall ms   peak RSS MiB');
  const row = (label: string, device: string, r: Run) =>
    console.log(
      `${label.padEnd(38)}${device.padEnd(9)}${r.ok ? r.ms.toFixed(0).padStart(7) : ' FAILED'}   ${Number.isNaN(r.rssMiB) ? '?' : r.rssMiB.toFixed(0).padStart(6)}`,
    );
  row('start-up only (--version)', '-', pixgrad(['--version']));
  for (const device of devices) {
    const whole = pixgrad(['compare', ...pair, '--device', device, '--json']);
    if (!whole.ok) {
      console.log(`${device}: ${whole.out.split('\n').slice(-3).join(' ')}`);
      continue;
    }
    row('compare, default metrics', device, whole);
    if (perMetric) {
      for (const m of ['psnr', 'ssim', 'msssim', 'l1', 'mse', 'deltae', 'angle', 'tv']) {
        row(`compare --metrics ${m}`, device, pixgrad(['compare', ...pair, '--device', device, '--metrics', m, '--json']));
      }
    }
  }
  if (argv.includes('--skimage')) {
    const py = spawnSync(process.env['PIXGRAD_BENCH_PYTHON'] ?? 'python3', [join(root, 'bench', 'skimage_compare.py'), ...pair], { encoding: 'utf8' });
    console.log(py.status === 0 ? py.stdout.trimEnd() : `skimage: not run (${(py.stderr || py.error?.message || '').trim().split('\n').pop()})`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
