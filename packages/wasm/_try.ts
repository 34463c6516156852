import { WasmRuntime } from './src/runtime.js';
import { gemmModule, KC } from './src/kernels/gemm.js';
import { hasRelaxedSimd } from './src/asm.js';

const rt = await WasmRuntime.create({ threads: Number(process.env.T ?? 2) });
console.log('threads', rt.threads, 'shared', rt.shared, 'relaxed', hasRelaxedSimd());
const mod = rt.compile(gemmModule(rt.memoryImport, hasRelaxedSimd()), ['micro', 'microS', 'gemm', 'gemmS', 'pack']);
function test(M: number, N: number, K: number, reps = 1) {
  const a = rt.alloc(M * K * 4),
    b = rt.alloc(K * N * 4),
    c = rt.alloc(M * N * 4);
  const Mp = Math.ceil(M / 4) * 4,
    Np = Math.ceil(N / 8) * 8;
  const pa = rt.alloc(Mp * K * 4),
    pb = rt.alloc(Np * K * 4),
    tmp = rt.alloc(128 * rt.threads);
  const A = rt.f32(a, M * K),
    B = rt.f32(b, K * N);
  for (let i = 0; i < A.length; i++) A[i] = Math.sin(i * 0.37);
  for (let i = 0; i < B.length; i++) B[i] = Math.cos(i * 0.11);
  const taps = rt.alloc(4);
  rt.i32(taps, 1)[0] = 0;
  const run = () => {
    for (let k0 = 0; k0 < K; k0 += KC) {
      const kc = Math.min(KC, K - k0);
      rt.run(mod, 'pack', [a + k0 * 4, M, 4, kc, K * 4, 4, pa + k0 * Mp * 4]);
      rt.run(mod, 'pack', [b + k0 * N * 4, N, 8, kc, 4, N * 4, pb + k0 * Np * 4]);
    }
    rt.run(mod, 'gemm', [M, N, K, KC, 1, taps, pa, 0, pb, 0, 1, c, N * 4, 0, tmp]);
  };
  run();
  const C = rt.f32(c, M * N);
  let err = 0;
  for (let i = 0; i < M; i += Math.max(1, M >> 4))
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += A[i * K + k]! * B[k * N + j]!;
      err = Math.max(err, Math.abs(s - C[i * N + j]!) / (1 + Math.abs(s)));
    }
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) run();
  const ms = (performance.now() - t0) / reps;
  console.log(M, N, K, 'err', err.toExponential(2), 'ms', ms.toFixed(1), 'GFLOP/s', ((2 * M * N * K) / ms / 1e6).toFixed(1));
}
test(5, 7, 3);
test(13, 17, 300);
test(64, 64, 64);
test(1024, 1024, 1024, 5);
rt.dispose();
