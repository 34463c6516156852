/**
 * A minimal typed writer of WebAssembly binaries (core spec 2.0 with SIMD), so that kernels are
 * emitted by TypeScript at run time: no toolchain and no .wasm files in the tree. Enough for
 * small modules of numeric loops: types, functions, one memory (own or imported), exports, code.
 *
 * @example
 * // (func (param i32) (result i32) local.get 0 i32.const 1 i32.add), exported as 'inc'
 * const bytes = wasmModule({ types: [[[I32], [I32]]], funcs: [{ type: 0, locals: [], code: [...get(0), ...i32(1), OP.i32Add] }], exports: [['inc', 0]] });
 */

/** Value types. */
export const I32 = 0x7f;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (i32 immediates). */
export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const name = (s: string) => [...uleb(s.length), ...[...s].map((c) => c.charCodeAt(0))];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];

/** local.get / local.set / local.tee */
export const get = (i: number) => [0x20, ...uleb(i)];
export const set = (i: number) => [0x21, ...uleb(i)];
export const tee = (i: number) => [0x22, ...uleb(i)];
/** i32.const */
export const i32 = (v: number) => [0x41, ...sleb(v)];
/** a memory access's alignment (log2 bytes) and offset */
export const memarg = (align: number, offset: number) => [...uleb(align), ...uleb(offset)];
/** a SIMD instruction: 0xFD prefix, LEB opcode, immediates */
export const simd = (op: number, ...imm: number[]) => [0xfd, ...uleb(op), ...imm];

/** f32.const (little-endian IEEE bits) */
export const f32 = (v: number) => [0x43, ...new Uint8Array(Float32Array.of(v).buffer)];
/** f64.const */
export const f64 = (v: number) => [0x44, ...new Uint8Array(Float64Array.of(v).buffer)];
/** v128.const of four f32 lanes, or four i32 lanes */
export const f32x4 = (v: number) => [0xfd, 0x0c, ...new Uint8Array(Float32Array.of(v, v, v, v).buffer)];
export const i32x4 = (v: number) => [0xfd, 0x0c, ...new Uint8Array(Int32Array.of(v, v, v, v).buffer)];

/**
 * The opcodes kernels use, by their text-format names (core opcodes are plain numbers; SIMD
 * opcodes are the number after the 0xFD prefix: write them with `simd`; relaxed SIMD ones too).
 */
export const OP = {
  unreachable: 0x00,
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  return: 0x0f,
  call: 0x10,
  drop: 0x1a,
  select: 0x1b,
  void: 0x40,
  i32Load: 0x28,
  f32Load: 0x2a,
  f64Load: 0x2b,
  i32Load8U: 0x2d,
  i32Store: 0x36,
  f32Store: 0x38,
  f64Store: 0x39,
  i32Store8: 0x3a,
  i32Eqz: 0x45,
  i32Eq: 0x46,
  i32Ne: 0x47,
  i32LtS: 0x48,
  i32LtU: 0x49,
  i32GtS: 0x4a,
  i32GtU: 0x4b,
  i32LeS: 0x4c,
  i32GeS: 0x4e,
  i32GeU: 0x4f,
  f32Eq: 0x5b,
  f32Ne: 0x5c,
  f32Lt: 0x5d,
  f32Gt: 0x5e,
  f32Le: 0x5f,
  f32Ge: 0x60,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32DivS: 0x6d,
  i32DivU: 0x6e,
  i32RemS: 0x6f,
  i32RemU: 0x70,
  i32And: 0x71,
  i32Or: 0x72,
  i32Xor: 0x73,
  i32Shl: 0x74,
  i32ShrS: 0x75,
  i32ShrU: 0x76,
  f32Abs: 0x8b,
  f32Neg: 0x8c,
  f32Sqrt: 0x91,
  f32Add: 0x92,
  f32Sub: 0x93,
  f32Mul: 0x94,
  f32Div: 0x95,
  f32Min: 0x96,
  f32Max: 0x97,
  f64Add: 0xa0,
  f64Mul: 0xa2,
  f32ConvertI32S: 0xb2,
  /** 0xFC-prefixed: memory.copy and memory.fill (bulk memory) */
  prefixFC: 0xfc,
  // ---- SIMD (after 0xFD) ----
  v128Load: 0x00,
  v128Load32Splat: 0x09,
  v128Load64Splat: 0x0a,
  v128Store: 0x0b,
  i8x16Shuffle: 0x0d,
  i32x4Splat: 0x11,
  f32x4Splat: 0x13,
  f64x2Splat: 0x14,
  i32x4ExtractLane: 0x1b,
  i32x4ReplaceLane: 0x1c,
  f32x4ExtractLane: 0x1f,
  f32x4ReplaceLane: 0x20,
  f64x2ExtractLane: 0x21,
  i32x4Eq: 0x37,
  i32x4Ne: 0x38,
  i32x4LtS: 0x39,
  i32x4GtS: 0x3b,
  i32x4LeS: 0x3d,
  i32x4GeS: 0x3f,
  f32x4Eq: 0x41,
  f32x4Ne: 0x42,
  f32x4Lt: 0x43,
  f32x4Gt: 0x44,
  f32x4Le: 0x45,
  f32x4Ge: 0x46,
  v128Not: 0x4d,
  v128And: 0x4e,
  v128AndNot: 0x4f,
  v128Or: 0x50,
  v128Xor: 0x51,
  v128Bitselect: 0x52,
  v128AnyTrue: 0x53,
  v128Load32Lane: 0x56,
  v128Store32Lane: 0x5a,
  v128Load32Zero: 0x5c,
  f32x4Ceil: 0x67,
  f32x4Floor: 0x68,
  f32x4Trunc: 0x69,
  f32x4Nearest: 0x6a,
  i32x4Abs: 0xa0,
  i32x4Neg: 0xa1,
  i32x4AllTrue: 0xa3,
  i32x4Bitmask: 0xa4,
  i32x4Shl: 0xab,
  i32x4ShrS: 0xac,
  i32x4ShrU: 0xad,
  i32x4Add: 0xae,
  i32x4Sub: 0xb1,
  i32x4Mul: 0xb5,
  i32x4MinS: 0xb6,
  i32x4MaxS: 0xb8,
  f32x4Abs: 0xe0,
  f32x4Neg: 0xe1,
  f32x4Sqrt: 0xe3,
  f32x4Add: 0xe4,
  f32x4Sub: 0xe5,
  f32x4Mul: 0xe6,
  f32x4Div: 0xe7,
  f32x4Min: 0xe8,
  f32x4Max: 0xe9,
  f32x4Pmin: 0xea,
  f32x4Pmax: 0xeb,
  f64x2Add: 0xf0,
  f64x2Mul: 0xf2,
  i32x4TruncSatF32x4S: 0xf8,
  f32x4ConvertI32x4S: 0xfa,
  /** relaxed SIMD: a * b + c, fused or not as the hardware prefers */
  f32x4RelaxedMadd: 0x105,
} as const;

/** memory.copy (dst, src, n on the stack) and memory.fill (dst, byte, n) of memory 0 */
export const memoryCopy = [0xfc, 10, 0, 0];
export const memoryFill = [0xfc, 11, 0];

export interface WasmFunc {
  /** index into `types` */
  type: number;
  /** declared locals beyond the parameters, in order */
  locals: number[];
  /** the body's instructions, without the final `end` */
  code: number[];
}

export interface WasmModuleSpec {
  /** function types: [params, results] */
  types: [number[], number[]][];
  funcs: WasmFunc[];
  /**
   * the module's own memory (pages, fixed), or one imported as env.memory (shared, for threads:
   * a shared memory must declare its maximum, and an importer must declare the same sharing)
   */
  memory?: { pages: number } | { import: true; minPages: number; maxPages?: number; shared?: boolean };
  /** exported functions: [name, function index]; the module's own memory is exported as 'memory' */
  exports: [string, number][];
}

/** The module's bytes. */
export function wasmModule(spec: WasmModuleSpec): Uint8Array<ArrayBuffer> {
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  out.push(...section(1, vec(spec.types.map(([p, r]) => [0x60, ...vec(p.map((t) => [t])), ...vec(r.map((t) => [t]))]))));
  const mem = spec.memory;
  if (mem && 'import' in mem) {
    const limits = mem.maxPages === undefined ? [0x00, ...uleb(mem.minPages)] : [mem.shared ? 0x03 : 0x01, ...uleb(mem.minPages), ...uleb(mem.maxPages)];
    out.push(...section(2, vec([[...name('env'), ...name('memory'), 0x02, ...limits]])));
  }
  out.push(...section(3, vec(spec.funcs.map((f) => uleb(f.type)))));
  if (mem && 'pages' in mem) out.push(...section(5, vec([[0x00, ...uleb(mem.pages)]])));
  const exports = spec.exports.map(([n, i]) => [...name(n), 0x00, ...uleb(i)]);
  if (mem && 'pages' in mem) exports.push([...name('memory'), 0x02, 0]);
  out.push(...section(7, vec(exports)));
  const bodies = spec.funcs.map((f) => {
    const locals = vec(f.locals.map((t) => [...uleb(1), t]));
    const body = [...locals, ...f.code, OP.end];
    return [...uleb(body.length), ...body];
  });
  out.push(...section(10, vec(bodies)));
  return Uint8Array.from(out);
}

/** Whether this engine runs WebAssembly with SIMD (a one-instruction probe module validates). */
export function hasWasmSimd(): boolean {
  if (typeof WebAssembly !== 'object') return false;
  return WebAssembly.validate(
    wasmModule({ types: [[[], []]], funcs: [{ type: 0, locals: [], code: [...i32(0), ...simd(0x11 /* i32x4.splat */), 0x1a /* drop */] }], exports: [] }),
  );
}

/**
 * A module's instance and its own memory, or undefined where this engine cannot run it (no
 * WebAssembly, no SIMD, or a refusal to compile): callers then keep their JavaScript path.
 */
export function instantiate(bytes: Uint8Array<ArrayBuffer>): { exports: WebAssembly.Exports; memory: WebAssembly.Memory } | undefined {
  try {
    if (typeof WebAssembly !== 'object' || !WebAssembly.validate(bytes)) return undefined;
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    return { exports: inst.exports, memory: inst.exports['memory'] as WebAssembly.Memory };
  } catch {
    return undefined;
  }
}
