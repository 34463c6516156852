/**
 * A little structure over core's WebAssembly writer (`wasm` of @pixgrad/core): local variables by
 * name, counted loops and typed helpers, so that a kernel reads as its loops rather than as
 * opcodes. Instructions are arrays of bytes, composed by spreading.
 */
import { wasm } from '@pixgrad/core';

export const { OP, I32, F32, V128, get, set, tee, i32, f32, f32x4, i32x4, simd, memarg, memoryCopy, memoryFill } = wasm;
export type Code = number[];

/** A function being written: its parameters, then locals declared by name as they are needed. */
export class Func {
  private readonly types: number[] = [];
  private readonly names = new Map<string, number>();
  constructor(
    readonly type: number,
    params: readonly (readonly [string, number])[],
  ) {
    params.forEach(([n], i) => this.names.set(n, i));
    this.nParams = params.length;
  }
  private readonly nParams: number;
  /** a local (declared on first use with its type) */
  local(name: string, type: number = I32): number {
    let i = this.names.get(name);
    if (i === undefined) {
      i = this.nParams + this.types.length;
      this.types.push(type);
      this.names.set(name, i);
    }
    return i;
  }
  /** local.get of a parameter or local */
  get(name: string, type?: number): Code {
    return get(this.local(name, type));
  }
  set(name: string, value: Code, type?: number): Code {
    return [...value, ...set(this.local(name, type))];
  }
  locals(): number[] {
    return this.types;
  }
}

/** i32 arithmetic on operand code */
export const add = (a: Code, b: Code): Code => [...a, ...b, OP.i32Add];
export const sub = (a: Code, b: Code): Code => [...a, ...b, OP.i32Sub];
export const mul = (a: Code, b: Code): Code => [...a, ...b, OP.i32Mul];
export const divU = (a: Code, b: Code): Code => [...a, ...b, OP.i32DivU];
export const ltS = (a: Code, b: Code): Code => [...a, ...b, OP.i32LtS];
export const geS = (a: Code, b: Code): Code => [...a, ...b, OP.i32GeS];
/** min of two i32 (select) */
export const minS = (a: Code, b: Code): Code => [...a, ...b, ...a, ...b, OP.i32LtS, OP.select];

/** for (v = from; v < to; v += step) body (v an i32 local; `to` re-evaluated each time) */
export function forLoop(fn: Func, v: string, from: Code, to: Code, step: Code, body: Code): Code {
  return [
    ...fn.set(v, from),
    OP.block,
    OP.void,
    OP.loop,
    OP.void,
    ...geS(fn.get(v), to),
    OP.brIf,
    1,
    ...body,
    ...fn.set(v, add(fn.get(v), step)),
    OP.br,
    0,
    OP.end,
    OP.end,
  ];
}

/** while (v < bound) { body; v += step } (v an i32 local, not reset: it continues from its value) */
export function whileLoop(fn: Func, v: string, bound: Code, step: number, body: Code): Code {
  return [
    OP.block,
    OP.void,
    OP.loop,
    OP.void,
    ...geS(fn.get(v), bound),
    OP.brIf,
    1,
    ...body,
    ...fn.set(v, add(fn.get(v), i32(step))),
    OP.br,
    0,
    OP.end,
    OP.end,
  ];
}

/** if (cond) a else b */
export function ifElse(cond: Code, a: Code, b: Code = []): Code {
  return b.length ? [...cond, OP.if, OP.void, ...a, OP.else, ...b, OP.end] : [...cond, OP.if, OP.void, ...a, OP.end];
}

// memory access (align = log2 bytes)
export const loadF32 = (addr: Code, offset = 0): Code => [...addr, OP.f32Load, ...memarg(2, offset)];
export const storeF32 = (addr: Code, v: Code, offset = 0): Code => [...addr, ...v, OP.f32Store, ...memarg(2, offset)];
export const loadI32 = (addr: Code, offset = 0): Code => [...addr, OP.i32Load, ...memarg(2, offset)];
export const loadV = (addr: Code, offset = 0): Code => [...addr, ...simd(OP.v128Load, ...memarg(4, offset))];
export const storeV = (addr: Code, v: Code, offset = 0): Code => [...addr, ...v, ...simd(OP.v128Store, ...memarg(4, offset))];
export const splatLoad = (addr: Code, offset = 0): Code => [...addr, ...simd(OP.v128Load32Splat, ...memarg(2, offset))];
export const fadd = (a: Code, b: Code): Code => [...a, ...b, ...simd(OP.f32x4Add)];
export const fmul = (a: Code, b: Code): Code => [...a, ...b, ...simd(OP.f32x4Mul)];

/** Whether this engine validates relaxed SIMD (f32x4.relaxed_madd); probed once. */
let relaxed: boolean | undefined;
export function hasRelaxedSimd(): boolean {
  relaxed ??= (() => {
    try {
      const code = [...f32x4(1), ...f32x4(2), ...f32x4(3), ...simd(OP.f32x4RelaxedMadd), OP.drop];
      return WebAssembly.validate(wasm.wasmModule({ types: [[[], []]], funcs: [{ type: 0, locals: [], code }], exports: [] }));
    } catch {
      return false;
    }
  })();
  return relaxed;
}

/** acc + a * b on f32x4: relaxed_madd where the engine has it (one FMA), else mul then add */
export function madd(a: Code, b: Code, acc: Code, fused: boolean): Code {
  return fused ? [...a, ...b, ...acc, ...simd(OP.f32x4RelaxedMadd)] : fadd(acc, fmul(a, b));
}

/** How kernel modules import the runtime's memory (runtime.ts's memoryImport). */
export interface MemoryImport {
  import: true;
  minPages: number;
  maxPages: number;
  shared: boolean;
}

/** A module of functions written with Func, each exported under its name, importing the memory. */
export function moduleOf(
  memory: MemoryImport,
  types: [number[], number[]][],
  funcs: readonly { f: Func; code: Code }[],
  names: readonly string[],
): Uint8Array<ArrayBuffer> {
  return wasm.wasmModule({
    types,
    funcs: funcs.map(({ f, code }) => ({ type: f.type, locals: f.locals(), code })),
    memory,
    exports: names.map((n, i) => [n, i]),
  });
}
