/**
 * Raw kernel timings of the WebGPU backend (no autodiff, no peers): matmul 1024^3 and the conv2d
 * workload of the project benchmark. Run: `npx tsx --conditions=pixgrad-source packages/kernels/scripts/bench-kernels.ts`.
 * Prints one JSON object per line: { kernel, ms (median wall), cpuMs (median process CPU time, all
 * threads incl. lavapipe's), minMs / minCpuMs (the fastest repetition), gflops (from wall), cpuGflops
 * (from CPU time), load (1-min load average) }. The machine is shared (other VMs take cycles
 * without it showing in the load average), so compare kernels by the minima over many reps. `PIXGRAD_BENCH_REPS` overrides the reps.
 */
import { loadavg } from 'node:os';
import { init, webgpuBackend, adapterInfo } from '../src/index.js';

await init('webgpu');
const g = webgpuBackend();
console.error(`adapter: ${adapterInfo()?.name}`);
const rand = (n: number) => Float32Array.from({ length: n }, () => Math.random() * 2 - 1);

async function time(name: string, flops: number, fn: () => unknown, reps = 5): Promise<void> {
  fn();
  await g.sync(); // warm-up: compile + first run
  const ts: number[] = [];
  const cs: number[] = [];
  reps = Number(process.env['PIXGRAD_BENCH_REPS'] ?? reps);
  for (let i = 0; i < reps; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    fn();
    await g.sync();
    ts.push(performance.now() - t);
    const d = process.cpuUsage(c);
    cs.push((d.user + d.system) / 1000);
  }
  const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  const ms = med(ts);
  const cpuMs = med(cs);
  console.log(
    JSON.stringify({
      kernel: name,
      ms: +ms.toFixed(2),
      cpuMs: +cpuMs.toFixed(2),
      minMs: +Math.min(...ts).toFixed(2),
      minCpuMs: +Math.min(...cs).toFixed(2),
      gflops: +(flops / ms / 1e6).toFixed(2),
      cpuGflops: +(flops / cpuMs / 1e6).toFixed(2),
      load: +loadavg()[0]!.toFixed(2),
    }),
  );
}

const only = process.argv[2];
const N = 1024;
const a = { buf: g.upload(rand(N * N), 'float32'), shape: [N, N], dtype: 'float32' as const };
const b = { buf: g.upload(rand(N * N), 'float32'), shape: [N, N], dtype: 'float32' as const };
for (const [ta, tb] of [
  [false, false],
  [true, false],
  [false, true],
] as const) {
  if (only && only !== 'matmul') break;
  await time(`matmul 1024^3 ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'}`, 2 * N ** 3, () => g.dispose(g.matmul(a, b, ta, tb, [N, N])));
}
if (!only || only === 'conv' || only === 'dw') {
  const p = { stride: [1, 1] as [number, number], padding: [1, 1] as [number, number], dilation: [1, 1] as [number, number], groups: 1 };
  const x = { buf: g.upload(rand(64 * 128 * 128), 'float32'), shape: [1, 64, 128, 128], dtype: 'float32' as const };
  const w = { buf: g.upload(rand(64 * 64 * 9), 'float32'), shape: [64, 64, 3, 3], dtype: 'float32' as const };
  const flops = 2 * 64 * 64 * 9 * 128 * 128;
  if (only !== 'dw') await time('conv2d 3x3 64->64 1x64x128x128', flops, () => g.dispose(g.conv2d(x, w, p)), 3);
  if (only !== 'dw') await time('conv2dInputGrad same', flops, () => g.dispose(g.conv2dInputGrad(x, w, p, [128, 128])), 3);
  if (only !== 'dw') await time('conv2dWeightGrad same', flops, () => g.dispose(g.conv2dWeightGrad(x, x, p, [3, 3])), 3);
  const xs = { buf: g.upload(rand(3 * 512 * 512), 'float32'), shape: [1, 3, 512, 512], dtype: 'float32' as const };
  const gw = { buf: g.upload(rand(3 * 121), 'float32'), shape: [3, 1, 11, 11], dtype: 'float32' as const };
  const dp = { ...p, padding: [0, 0] as [number, number], groups: 3 };
  await time('depthwise 11x11 conv 1x3x512x512', 2 * 3 * 121 * 502 * 502, () => g.dispose(g.conv2d(xs, gw, dp)), 3);
  // SSIM's separable Gaussian: 11x1 then 1x11, groups = 3, 'valid'; backward = their input grads
  const gv = { buf: g.upload(rand(3 * 11), 'float32'), shape: [3, 1, 11, 1], dtype: 'float32' as const };
  const gh = { buf: g.upload(rand(3 * 11), 'float32'), shape: [3, 1, 1, 11], dtype: 'float32' as const };
  const v = { buf: g.upload(rand(3 * 502 * 512), 'float32'), shape: [1, 3, 502, 512], dtype: 'float32' as const };
  const o = { buf: g.upload(rand(3 * 502 * 502), 'float32'), shape: [1, 3, 502, 502], dtype: 'float32' as const };
  await time('depthwise 11x1 1x3x512x512', 2 * 3 * 11 * 502 * 512, () => g.dispose(g.conv2d(xs, gv, dp)), 5);
  await time('depthwise 1x11 1x3x502x512', 2 * 3 * 11 * 502 * 502, () => g.dispose(g.conv2d(v, gh, dp)), 5);
  await time('depthwise 11x1 input grad', 2 * 3 * 11 * 502 * 512, () => g.dispose(g.conv2dInputGrad(v, gv, dp, [512, 512])), 5);
  await time('depthwise 1x11 input grad', 2 * 3 * 11 * 502 * 502, () => g.dispose(g.conv2dInputGrad(o, gh, dp, [502, 512])), 5);
  await time('depthwise 11x11 weight grad', 2 * 3 * 121 * 502 * 502, () => g.dispose(g.conv2dWeightGrad(xs, o, dp, [11, 11])), 3);
}
if (!only || only === 'ew') {
  const n = 1 << 22;
  const x = { buf: g.upload(rand(n), 'float32'), shape: [n], dtype: 'float32' as const };
  await time('add 4M', n, () => g.dispose(g.binary('add', x, x, [n])));
  await time('sum 4M', n, () => g.dispose(g.reduce('sum', x, [0])));
}
process.exit(0);
