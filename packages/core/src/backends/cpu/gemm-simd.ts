/**
 * The GEMM micro-kernel in WebAssembly SIMD (f64x2), for the CPU backend's packed GEMM (gemm.ts).
 *
 * The module's bytes are written here, instruction by instruction (no toolchain, no .wasm file):
 * one function `micro(kc, a, b, c)` that multiplies a 4 x kc panel of A by a kc x 4 panel of B (both
 * packed by gemm.ts into this module's memory, 4 doubles per k step) into a 4x4 tile at `c`, with
 * the 16 sums in 8 f64x2 registers. Each k step is two 16-byte loads of B, four load-and-splat of A
 * and 8 mul + 8 add on f64x2: half the instructions of the scalar JS kernel for the same work.
 * Each lane multiplies and then adds with float64 rounding at each step, in the same k order, so
 * results are bit-identical to the JS kernel's (tested).
 *
 * Memory layout (fixed; the memory never grows, so the Float64Array views over it stay valid):
 * packed B at byte 0 (KC x NC doubles), packed A after it (MC x KC), the 4x4 tile last.
 */
import { I32, OP, V128, get, i32, instantiate, memarg, set, simd, tee, wasmModule } from '../../wasm-emit.js';

/** Bytes of packed-panel space, matching gemm.ts's block sizes (KC 256, NC 4096, MC 64). */
export const PACK_B_DOUBLES = 256 * 4096;
export const PACK_A_DOUBLES = 64 * 256;
const TILE_DOUBLES = 16;
const PAGE = 65536;

function microBody(): number[] {
  // params: 0 kc, 1 a (byte address), 2 b, 3 c; locals: 4..11 the tile rows (lo, hi pairs), 12 b lo, 13 b hi, 14 a splat
  const acc = (r: number, hi: number) => 4 + 2 * r + hi;
  const BL = 12;
  const BH = 13;
  const S = 14;
  const step: number[] = [...get(2), ...simd(OP.v128Load, ...memarg(3, 0)), ...set(BL), ...get(2), ...simd(OP.v128Load, ...memarg(3, 16)), ...set(BH)];
  for (let r = 0; r < 4; r++) {
    step.push(...get(1), ...simd(OP.v128Load64Splat, ...memarg(3, 8 * r)), ...set(S));
    for (const [hi, b] of [
      [0, BL],
      [1, BH],
    ] as const) {
      step.push(...get(acc(r, hi)), ...get(S), ...get(b), ...simd(OP.f64x2Mul), ...simd(OP.f64x2Add), ...set(acc(r, hi)));
    }
  }
  step.push(...get(1), ...i32(32), OP.i32Add, ...set(1)); // a += 32
  step.push(...get(2), ...i32(32), OP.i32Add, ...set(2)); // b += 32
  step.push(...get(0), ...i32(1), OP.i32Sub, ...tee(0), OP.brIf, 0); // kc -= 1; continue while kc != 0
  const stores: number[] = [];
  for (let r = 0; r < 4; r++) {
    for (const hi of [0, 1]) stores.push(...get(3), ...get(acc(r, hi)), ...simd(OP.v128Store, ...memarg(3, 32 * r + 16 * hi)));
  }
  return [
    OP.block,
    OP.void,
    ...get(0),
    OP.i32Eqz,
    OP.brIf,
    0, // kc == 0: skip the loop
    OP.loop,
    OP.void,
    ...step,
    OP.end,
    OP.end,
    ...stores,
  ];
}

/** The module's bytes: `micro` (i32 kc, a, b, c) and its own fixed memory. */
export function gemmSimdModuleBytes(): Uint8Array<ArrayBuffer> {
  const bytes = PACK_B_DOUBLES * 8 + PACK_A_DOUBLES * 8 + TILE_DOUBLES * 8;
  return wasmModule({
    types: [[[I32, I32, I32, I32], []]],
    funcs: [{ type: 0, locals: new Array<number>(11).fill(V128), code: microBody() }],
    memory: { pages: Math.ceil(bytes / PAGE) },
    exports: [['micro', 0]],
  });
}

export interface GemmSimd {
  micro: (kc: number, a: number, b: number, c: number) => void;
  packB: Float64Array;
  packA: Float64Array;
  tile: Float64Array;
  /** byte addresses of the three regions */
  bBase: number;
  aBase: number;
  tileBase: number;
}

/** The compiled kernel, or undefined where WebAssembly SIMD is not available (the JS kernel is used then). */
export function loadGemmSimd(): GemmSimd | undefined {
  const m = instantiate(gemmSimdModuleBytes());
  if (!m) return undefined;
  const buf = m.memory.buffer;
  const aBase = PACK_B_DOUBLES * 8;
  const tileBase = aBase + PACK_A_DOUBLES * 8;
  return {
    micro: m.exports['micro'] as GemmSimd['micro'],
    packB: new Float64Array(buf, 0, PACK_B_DOUBLES),
    packA: new Float64Array(buf, aBase, PACK_A_DOUBLES),
    tile: new Float64Array(buf, tileBase, TILE_DOUBLES),
    bBase: 0,
    aBase,
    tileBase,
  };
}
