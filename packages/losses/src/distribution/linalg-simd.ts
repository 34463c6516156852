/**
 * The symmetric matrix-vector product of the tridiagonalisation (linalg.ts) in WebAssembly SIMD,
 * emitted with core's `wasm` writer: `dotAxpy(row, v, p, len, vi)` returns sum row[c] v[c] and adds
 * row[c] vi to p[c] for c < len, two doubles per step (f64x2), in a memory the caller allocates for
 * the whole matrix. The scalar JS loop spends most of its time on typed-array bounds checks and
 * scalar loads; this one streams the row once with 16-byte loads.
 */
import { wasm } from '@pixgrad/core';

const { I32, F64, V128, OP, get, set, i32, memarg, simd, wasmModule } = wasm;

function dotAxpyBody(): number[] {
  // params 0 row, 1 v, 2 p, 3 len (i32), 4 vi (f64); locals 5 s, 6 vi splat, 7 x (v128), 8 result, 9 r0 (f64)
  const at = memarg(3, 0);
  const bump = (i: number, by: number) => [...get(i), ...i32(by), OP.i32Add, ...set(i)];
  return [
    ...get(4),
    ...simd(OP.f64x2Splat),
    ...set(6),
    OP.block,
    OP.void,
    OP.loop,
    OP.void,
    ...get(3),
    ...i32(2),
    OP.i32LtS,
    OP.brIf,
    1,
    ...get(0),
    ...simd(OP.v128Load, ...at),
    ...set(7),
    ...get(5),
    ...get(7),
    ...get(1),
    ...simd(OP.v128Load, ...at),
    ...simd(OP.f64x2Mul),
    ...simd(OP.f64x2Add),
    ...set(5),
    ...get(2),
    ...get(2),
    ...simd(OP.v128Load, ...at),
    ...get(7),
    ...get(6),
    ...simd(OP.f64x2Mul),
    ...simd(OP.f64x2Add),
    ...simd(OP.v128Store, ...at),
    ...bump(0, 16),
    ...bump(1, 16),
    ...bump(2, 16),
    ...bump(3, -2),
    OP.br,
    0,
    OP.end,
    OP.end,
    ...get(5),
    ...simd(OP.f64x2ExtractLane, 0),
    ...get(5),
    ...simd(OP.f64x2ExtractLane, 1),
    OP.f64Add,
    ...set(8),
    ...get(3),
    OP.if,
    OP.void,
    ...get(0),
    OP.f64Load,
    ...at,
    ...set(9),
    ...get(8),
    ...get(9),
    ...get(1),
    OP.f64Load,
    ...at,
    OP.f64Mul,
    OP.f64Add,
    ...set(8),
    ...get(2),
    ...get(2),
    OP.f64Load,
    ...at,
    ...get(9),
    ...get(4),
    OP.f64Mul,
    OP.f64Add,
    OP.f64Store,
    ...at,
    OP.end,
    ...get(8),
  ];
}

let compiled: WebAssembly.Module | null | undefined;

function module(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      const bytes = wasmModule({
        types: [[[I32, I32, I32, I32, F64], [F64]]],
        funcs: [{ type: 0, locals: [V128, V128, V128, F64, F64], code: dotAxpyBody() }],
        memory: { import: true, minPages: 1 },
        exports: [['dotAxpy', 0]],
      });
      compiled = wasm.hasWasmSimd() && WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/** A workspace of `doubles` float64 values in a fresh wasm memory, with the kernel bound to it; null without wasm SIMD. */
export function simdWorkspace(
  doubles: number,
): { memory: Float64Array; dotAxpy: (row: number, v: number, p: number, len: number, vi: number) => number } | null {
  const m = module();
  if (!m) return null;
  const pages = Math.ceil((doubles * 8) / 65536) + 1;
  const mem = new WebAssembly.Memory({ initial: pages });
  const inst = new WebAssembly.Instance(m, { env: { memory: mem } });
  return {
    memory: new Float64Array(mem.buffer, 0, doubles),
    dotAxpy: inst.exports['dotAxpy'] as (row: number, v: number, p: number, len: number, vi: number) => number,
  };
}
