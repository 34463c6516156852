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

/** The opcodes these kernels use (core and SIMD), by their text-format names. */
export const OP = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  void: 0x40,
  f64Load: 0x2b,
  f64Store: 0x39,
  i32Eqz: 0x45,
  i32LtS: 0x48,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  f64Add: 0xa0,
  f64Mul: 0xa2,
  v128Load: 0x00,
  v128Load64Splat: 0x0a,
  v128Store: 0x0b,
  f64x2Splat: 0x14,
  f64x2ExtractLane: 0x21,
  f64x2Add: 0xf0,
  f64x2Mul: 0xf2,
} as const;

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
  /** the module's own memory (pages, fixed), or one imported as env.memory */
  memory?: { pages: number } | { import: true; minPages: number };
  /** exported functions: [name, function index]; the module's own memory is exported as 'memory' */
  exports: [string, number][];
}

/** The module's bytes. */
export function wasmModule(spec: WasmModuleSpec): Uint8Array<ArrayBuffer> {
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  out.push(...section(1, vec(spec.types.map(([p, r]) => [0x60, ...vec(p.map((t) => [t])), ...vec(r.map((t) => [t]))]))));
  const mem = spec.memory;
  if (mem && 'import' in mem) out.push(...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, ...uleb(mem.minPages)]])));
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
