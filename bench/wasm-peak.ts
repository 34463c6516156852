/**
 * The f32x4 arithmetic peak of this machine as the wasm device sees it: a kernel of 12
 * independent accumulators doing a multiply and an add per step (no memory traffic; with relaxed
 * SIMD's fused multiply-add where the engine has it, as the GEMM), on 1 thread and on every
 * thread of the device's pool. bench/README.md puts each kernel's rate beside it.
 *
 *   npx tsx --conditions=pixgrad-source bench/wasm-peak.ts
 */
import { WasmRuntime } from '@pixgrad/wasm';
import { wasm } from '@pixgrad/core';

const { OP, I32, V128, get, set, tee, i32, f32x4, simd, memarg } = wasm;
const ACC = 12;
const fused = WebAssembly.validate(
  wasm.wasmModule({
    types: [[[], []]],
    funcs: [{ type: 0, locals: [], code: [...f32x4(1), ...f32x4(2), ...f32x4(3), ...simd(OP.f32x4RelaxedMadd), OP.drop] }],
    exports: [],
  }),
);

/** run(tid, nth, steps): each step 12 x (acc * a + b) on f32x4; the sum is stored at 60000 + 16 tid */
function peakModule(shared: boolean): Uint8Array<ArrayBuffer> {
  // params 0 tid, 1 nth, 2 steps; locals 3.. accumulators, then a, b
  const a = 3 + ACC;
  const b = a + 1;
  const body: number[] = [];
  for (let k = 0; k < ACC; k++) {
    body.push(...get(3 + k), ...get(a));
    if (fused) body.push(...get(b), ...simd(OP.f32x4RelaxedMadd));
    else body.push(...simd(OP.f32x4Mul), ...get(b), ...simd(OP.f32x4Add));
    body.push(...set(3 + k));
  }
  const code = [
    ...f32x4(0.999),
    ...set(a),
    ...f32x4(1e-3),
    ...set(b),
    OP.loop,
    OP.void,
    ...body,
    ...get(2),
    ...i32(1),
    OP.i32Sub,
    ...tee(2),
    OP.brIf,
    0,
    OP.end,
    // the accumulators' sum is stored (in the control page's unused end), so the work is observable
    ...get(0),
    ...i32(16),
    OP.i32Mul,
    ...get(3),
  ];
  for (let k = 1; k < ACC; k++) code.push(...get(3 + k), ...simd(OP.f32x4Add));
  code.push(...simd(OP.v128Store, ...memarg(4, 60000)));
  return wasm.wasmModule({
    types: [[[I32, I32, I32], []]],
    funcs: [{ type: 0, locals: new Array<number>(ACC + 2).fill(V128), code }],
    memory: { import: true, minPages: 1, maxPages: 65536, shared },
    exports: [['run', 0]],
  });
}

const rt = await WasmRuntime.create({ threads: Number(process.env['PIXGRAD_BENCH_WASM_THREADS'] ?? 2) });
const mod = rt.compile(peakModule(rt.shared), ['run']);
const steps = 20_000_000;
const flops = steps * ACC * 4 * 2;
for (const threads of [1, rt.threads]) {
  rt.run(mod, 'run', [steps / 10], threads);
  const t = performance.now();
  rt.run(mod, 'run', [steps], threads);
  const ms = performance.now() - t;
  console.log(
    `${threads} thread${threads > 1 ? 's' : ''}: ${((flops * threads) / ms / 1e6).toFixed(1)} GFLOP/s (${fused ? 'relaxed_madd' : 'f32x4.mul + f32x4.add'}, ${ms.toFixed(0)} ms)`,
  );
}
rt.dispose();
