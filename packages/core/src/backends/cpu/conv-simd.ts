/**
 * The row kernel of the CPU backend's depthwise convolutions (conv.ts's direct path) in
 * WebAssembly SIMD: `axpy(n, w, src, dst)` adds w * src[i] to dst[i] for n doubles, two per
 * f64x2 instruction. The direct path accumulates every tap into an output row this way, in
 * float64, multiplying then adding with a rounding each, in the same tap order as its JS loop:
 * results are bit-identical (tested), at about 3x the speed.
 *
 * The operands live in this module's memory: the direct path copies an input plane in (as
 * float64), accumulates the output plane there and copies it out (rounding to the output dtype).
 * The memory grows on demand (a 1080p plane and its output are 32 MB).
 */
import { F64, I32, OP, V128, get, i32, instantiate, memarg, set, simd, wasmModule } from '../../wasm-emit.js';

const PAGE = 65536;

function axpyBody(): number[] {
  // params: 0 n, 1 w (f64), 2 src (byte address), 3 dst; local 4: w in both lanes
  return [
    ...get(1),
    ...simd(OP.f64x2Splat),
    ...set(4),
    OP.block,
    OP.void,
    OP.loop,
    OP.void,
    ...get(0),
    ...i32(2),
    OP.i32LtS,
    OP.brIf,
    1, // fewer than 2 left: leave the loop
    ...get(3),
    ...get(3),
    ...simd(OP.v128Load, ...memarg(3, 0)),
    ...get(4),
    ...get(2),
    ...simd(OP.v128Load, ...memarg(3, 0)),
    ...simd(OP.f64x2Mul),
    ...simd(OP.f64x2Add),
    ...simd(OP.v128Store, ...memarg(3, 0)),
    ...get(2),
    ...i32(16),
    OP.i32Add,
    ...set(2),
    ...get(3),
    ...i32(16),
    OP.i32Add,
    ...set(3),
    ...get(0),
    ...i32(2),
    OP.i32Sub,
    ...set(0),
    OP.br,
    0,
    OP.end,
    OP.end,
    // an odd last element
    ...get(0),
    OP.if,
    OP.void,
    ...get(3),
    ...get(3),
    OP.f64Load,
    ...memarg(3, 0),
    ...get(1),
    ...get(2),
    OP.f64Load,
    ...memarg(3, 0),
    OP.f64Mul,
    OP.f64Add,
    OP.f64Store,
    ...memarg(3, 0),
    OP.end,
  ];
}

/** The module's bytes: `axpy` (i32 n, f64 w, i32 src, i32 dst) and its own growable memory. */
export function convSimdModuleBytes(): Uint8Array<ArrayBuffer> {
  return wasmModule({
    types: [[[I32, F64, I32, I32], []]],
    funcs: [{ type: 0, locals: [V128], code: axpyBody() }],
    memory: { pages: 1 },
    exports: [['axpy', 0]],
  });
}

export interface ConvSimd {
  axpy: (n: number, w: number, src: number, dst: number) => void;
  /** the module's memory as doubles, at least `doubles` long (grown on demand; take it again after each call) */
  reserve(doubles: number): Float64Array;
}

/** The compiled kernel, or undefined where WebAssembly SIMD is not available (the JS loops run then). */
export function loadConvSimd(): ConvSimd | undefined {
  const m = instantiate(convSimdModuleBytes());
  if (!m) return undefined;
  const mem = m.memory;
  let view = new Float64Array(mem.buffer);
  return {
    axpy: m.exports['axpy'] as ConvSimd['axpy'],
    reserve(doubles) {
      if (view.length < doubles) {
        mem.grow(Math.ceil((doubles * 8 - mem.buffer.byteLength) / PAGE));
        view = new Float64Array(mem.buffer);
      }
      return view;
    },
  };
}
