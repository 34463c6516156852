// Run by relaxed.test.ts in a Node started with --experimental-wasm-relaxed-simd: the GEMM's
// fused multiply-add path (f32x4.relaxed_madd) on a matmul and a convolution with its gradients,
// against the CPU backend. Prints one JSON line.
import { CpuBackend, type Conv2dParams } from '@pixgrad/core';
import { hasRelaxedSimd } from '../../src/asm.js';
import { WasmBackend, WasmRuntime } from '../../src/index.js';

const cpu = new CpuBackend();
const wasm = new WasmBackend(await WasmRuntime.create({ threads: 2 }));
const data = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed));
/** relative L2 difference */
const rel = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let d = 0,
    s = 0;
  for (let i = 0; i < b.length; i++) {
    d += (a[i]! - b[i]!) ** 2;
    s += b[i]! ** 2;
  }
  return Math.sqrt(d / s);
};
const both = (values: Float32Array, shape: number[]) => ({
  w: { buf: wasm.upload(values, 'float32'), shape, dtype: 'float32' as const },
  c: { buf: cpu.upload(values, 'float32'), shape, dtype: 'float32' as const },
});
const a = both(data(97 * 130, 1), [97, 130]);
const b = both(data(130 * 75, 2), [130, 75]);
const mm = rel(
  wasm.readSync({ buf: wasm.matmul(a.w, b.w, false, false, [97, 75]), shape: [97, 75], dtype: 'float32' }),
  cpu.matmul(a.c, b.c, false, false, [97, 75]),
);
const p: Conv2dParams = { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 };
const x = both(data(2 * 16 * 19 * 23, 3), [2, 16, 19, 23]);
const w = both(data(24 * 16 * 9, 4), [24, 16, 3, 3]);
const dy = both(data(2 * 24 * 19 * 23, 5), [2, 24, 19, 23]);
const read = (buf: unknown, shape: number[]) => wasm.readSync({ buf: buf as never, shape, dtype: 'float32' });
const conv = rel(read(wasm.conv2d(x.w, w.w, p), [2, 24, 19, 23]), cpu.conv2d(x.c, w.c, p));
const dx = rel(read(wasm.conv2dInputGrad(dy.w, w.w, p, [19, 23]), [2, 16, 19, 23]), cpu.conv2dInputGrad(dy.c, w.c, p, [19, 23]));
const dw = rel(read(wasm.conv2dWeightGrad(x.w, dy.w, p, [3, 3]), [24, 16, 3, 3]), cpu.conv2dWeightGrad(x.c, dy.c, p, [3, 3]));
console.log(JSON.stringify({ relaxed: hasRelaxedSimd(), mm, conv, dx, dw }));
wasm.rt.dispose();
