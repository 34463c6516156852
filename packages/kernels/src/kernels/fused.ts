import { type DType, type ExprNode, type FusedProgram, contiguousStrides, emitNodes, rangeDims, resultDType } from '@pixgrad/core';
import type { DispatchSpec, KernelDescriptor } from '../descriptor.js';
import { coalesce, storageType, type StorageType } from '../layout.js';
import { WGSL } from '../wgsl.generated.js';
import { BINARY_INT_OPS } from './binary.js';
import { EW_WG, ewGrid } from './elementwise.js';
import { REDUCE_UNIFORMS, type ReduceInput } from './reduce.js';
import { UNARY_INT_OPS, unaryParams } from './unary.js';

/**
 * WGSL for the fusion layer's programs (packages/core/src/fusion/program.ts): `fn value(i)`
 * computes the program at output index i, every node one `let`, in the same expressions the
 * unfused kernels use: the op functions are copied by name out of shaders/unary.wgsl,
 * binary.wgsl and compare.wgsl (with their dependencies), so an op has one WGSL definition.
 * Ops with parameters get a copy with the parameters as literals; compare.wgsl's `{{T}}`
 * functions are instantiated per storage type.
 *
 * `value` is the body of shaders/fused.wgsl (one output per invocation) and the `load` of
 * shaders/reduce.wgsl (a reduction that reads its producer instead of a buffer). Shapes, strides
 * and offsets are literals, so each program and shape is one pipeline (cached by its text).
 */

/** A program's WGSL: the buffers it binds, the functions it needs and `fn value(i)`. */
export interface FusedWgsl {
  buffers: GPUBuffer[];
  /** bit patterns of the constants, for the `k` uniform */
  consts: number[];
  /** storage binding declarations of the inputs (bindings 0..k-1) */
  inputs: string;
  library: string;
  value: string;
  out: StorageType;
}

/** `fn` / `var<private>` items of a WGSL source by name (top level, brace-matched, comments ignored). */
function topLevelItems(src: string): Map<string, string> {
  const items = new Map<string, string>();
  const lines = src.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const fn = /^fn (\w+)\(/.exec(lines[i]!);
    if (fn) {
      let depth = 0;
      let j = i;
      for (; j < lines.length; j++) {
        const code = lines[j]!.split('//')[0]!;
        depth += (code.match(/\{/g) ?? []).length - (code.match(/\}/g) ?? []).length;
        if (depth === 0 && code.includes('}')) break;
      }
      items.set(fn[1]!, lines.slice(i, j + 1).join('\n'));
      i = j;
      continue;
    }
    const v = /^var<private> (\w+)/.exec(lines[i]!);
    if (v && !lines[i]!.includes('{{')) items.set(v[1]!, lines[i]!);
  }
  return items;
}

let library: Map<string, string> | undefined;
/** every op function of the unfused elementwise shaders */
function opLibrary(): Map<string, string> {
  if (!library) {
    library = new Map();
    for (const src of [WGSL.unary, WGSL.binary, WGSL.compare]) {
      for (const [name, text] of topLevelItems(src)) if (!library.has(name)) library.set(name, text);
    }
  }
  return library;
}

/** Most constants a kernel reads from its `k` uniform (8 vec4s); later ones become literals. */
const MAX_CONSTS = 32;

/**
 * WGSL for a number stored as t. Constants are runtime values read from the `k` uniform, as the
 * unfused kernels read their operands from buffers: a literal lets the shader compiler fold with
 * fast-math assumptions (x / 0.0 became 0 on lavapipe where the unfused kernel gives NaN).
 * Past MAX_CONSTS: literals, non-finite ones through a private variable (WGSL rejects inf and NaN
 * in constant expressions, as binary.wgsl's INF_BITS).
 */
function literal(v: number, t: StorageType, lib: Library): string {
  const bits = t === 'u32' ? (v !== 0 ? 1 : 0) : t === 'i32' ? (v | 0) >>> 0 : new Uint32Array(new Float32Array([v]).buffer)[0]!;
  const slot = lib.constSlot(bits);
  if (slot >= 0) {
    const word = `u.k[${slot >> 2}][${slot & 3}]`;
    return t === 'u32' ? word : `bitcast<${t}>(${word})`;
  }
  if (t === 'u32') return v !== 0 ? '1u' : '0u';
  if (t === 'i32') return `i32(${v | 0})`;
  const f = Math.fround(v);
  if (Number.isFinite(f) && !Object.is(f, -0)) return `f32(${f})`;
  return `bitcast<f32>(${lib.constant(`BITS_${bits.toString(16)}`, `var<private> BITS_${bits.toString(16)}: u32 = ${bits}u;`)})`;
}

/** Collects the functions a program calls, instantiating templated and parameterised ones. */
class Library {
  private readonly texts = new Map<string, string>();
  /** parameterised op instances by op and parameters */
  private readonly instances = new Map<string, string>();
  /** constant bit patterns, in `k` uniform order */
  readonly consts: number[] = [];
  constructor(private readonly exclude: ReadonlySet<string>) {}

  /** the uniform slot of a constant, or -1 when the uniform is full */
  constSlot(bits: number): number {
    const at = this.consts.indexOf(bits);
    if (at >= 0) return at;
    if (this.consts.length >= MAX_CONSTS) return -1;
    return this.consts.push(bits) - 1;
  }

  /** a module-scope declaration under its own name */
  constant(name: string, text: string): string {
    this.texts.set(name, text);
    return name;
  }

  /** a plain function (and what it calls); returns its name */
  use(name: string): string {
    if (this.texts.has(name) || this.exclude.has(name)) return name;
    const text = opLibrary().get(name);
    if (text === undefined) throw new Error(`fused WGSL: no function '${name}' in the elementwise shaders`);
    this.texts.set(name, text);
    this.deps(text);
    return name;
  }

  /** compare.wgsl's `{{T}}` functions for one storage type, renamed name_T */
  typed(name: string, t: StorageType): string {
    const inst = `${name}_${t}`;
    if (this.texts.has(inst)) return inst;
    const templated = [...opLibrary()].filter(([, text]) => text.includes('{{T}}')).map(([n]) => n);
    let text = opLibrary().get(name)!;
    for (const n of templated) text = text.replace(new RegExp(`\\b${n}\\(`, 'g'), `${n}_${t}(`);
    text = text.replace(/\{\{T\}\}/g, t);
    this.texts.set(inst, text);
    this.deps(text);
    for (const n of templated) if (n !== name && text.includes(`${n}_${t}(`)) this.typed(n, t);
    return inst;
  }

  /** a unary op whose WGSL reads u.p0 / u.p1, with them as constants (see literal), renamed name_pK per parameter pair */
  withParams(name: string, p: [number, number]): string {
    const text = opLibrary().get(name)!;
    if (!text.includes('u.p')) return this.use(name);
    const key = `${name}|${p.map((v) => (Object.is(v, -0) ? '-0' : String(v))).join('|')}`;
    let inst = this.instances.get(key);
    if (inst === undefined) {
      inst = `${name}_p${this.instances.size}`;
      this.instances.set(key, inst);
      const body = text
        .replace(new RegExp(`\\b${name}\\(`), `${inst}(`)
        .replace(/u\.p0/g, literal(p[0], 'f32', this))
        .replace(/u\.p1/g, literal(p[1], 'f32', this));
      this.texts.set(inst, body);
      this.deps(body);
    }
    return inst;
  }

  private deps(text: string): void {
    for (const m of text.matchAll(/\b([A-Za-z_]\w*)\b/g)) {
      const n = m[1]!;
      const t = opLibrary().get(n);
      if (t !== undefined && !t.includes('{{T}}') && !t.includes('u.p')) this.use(n);
    }
  }

  text(): string {
    return [...this.texts.values()].join('\n');
  }
}

function st(dtype: DType): StorageType {
  return storageType(dtype, 'fused');
}

/** WGSL of one node, as the unfused kernel of its op computes it (`coord(d)`: output coordinate d, i32) */
function nodeExpr(n: ExprNode, p: FusedProgram<unknown>, lib: Library, leafIndex: (k: number) => string, coord: (d: number) => string): string {
  const t = st(n.dtype);
  const ty = (i: number) => st(p.nodes[i]!.dtype);
  switch (n.k) {
    case 'leaf':
      return `L${n.leaf}[${leafIndex(n.leaf)}]`;
    case 'const':
      return literal(n.value, t, lib);
    case 'unary': {
      const intOp = t !== 'f32' ? UNARY_INT_OPS[n.op] : undefined;
      const c = intOp ? 'i32' : 'f32';
      return `${t}(${lib.withParams(intOp ?? `op_${n.op}`, unaryParams(n.op, n.params))}(${c}(t${n.x})))`;
    }
    case 'binary': {
      const int = t !== 'f32' && BINARY_INT_OPS.has(n.op);
      const c = int ? 'i32' : 'f32';
      return `${t}(${lib.use(`${int ? 'iop' : 'op'}_${n.op}`)}(${c}(t${n.a}), ${c}(t${n.b})))`;
    }
    case 'compare':
      return `u32(select(0u, 1u, ${lib.typed(`cmp_${n.op}`, ty(n.a))}(t${n.a}, t${n.b})))`;
    case 'where':
      return `${t}(select(t${n.b}, t${n.a}, t${n.c} != ${ty(n.c)}(0)))`;
    case 'cast':
      return `${lib.use(`cast_${ty(n.x)}_${t}`)}(t${n.x})`;
    case 'inRange':
      return `select(0u, 1u, ${n.dims.map(([d, lo, hi]) => `(${coord(d)} >= ${lo} && ${coord(d)} < ${hi})`).join(' && ') || 'true'})`;
  }
}

/**
 * The WGSL of a program over its own shape. `exclude` names functions the host shader already
 * defines (reduce.wgsl has its own is_nan).
 */
export function fusedWgsl(p: FusedProgram<{ buffer: GPUBuffer }>, exclude: ReadonlySet<string> = new Set()): FusedWgsl {
  const lib = new Library(exclude);
  // dims an inRange node tests keep their own coordinate: a fake stride stops them merging
  const own = rangeDims(p);
  const keep = p.shape.map((_, d) => (own.has(d) ? 1 : 0));
  const c = coalesce(p.shape, [...p.leaves.map((l) => l.strides), keep]);
  const coalescedDim = c.dimOf;
  const dense = contiguousStrides(c.shape);
  const lines: string[] = [];
  const general = p.leaves.map((l, k) => {
    const s = c.strides[k]!;
    if (s.every((v) => v === 0)) return false;
    return !(l.offset === 0 && s.every((v, d) => v === dense[d] || c.shape[d] === 1));
  });
  if (general.some(Boolean) || own.size > 0) {
    // the output coordinates, last dim fastest (shape as literals)
    lines.push('  var rem = i;');
    for (let d = c.shape.length - 1; d > 0; d--) lines.push(`  let c${d} = i32(rem % ${c.shape[d]}u); rem = rem / ${c.shape[d]}u;`);
    lines.push('  let c0 = i32(rem);');
  }
  const leafIndex = (k: number): string => {
    const l = p.leaves[k]!;
    const s = c.strides[k]!;
    if (s.every((v) => v === 0)) return `${l.offset}u`;
    if (!general[k]) return 'i';
    const terms = s.flatMap((v, d) => (v === 0 ? [] : [`c${d} * ${v}`]));
    return `u32(${[String(l.offset), ...terms].join(' + ')})`;
  };
  const coord = (d: number) => (coalescedDim[d]! < 0 ? '0' : `c${coalescedDim[d]}`);
  // a where whose branches own nodes computes only the branch taken (a pad's read, a concat's gradient)
  lines.push(
    emitNodes(
      p.nodes,
      (i) => `  let t${i} = ${nodeExpr(p.nodes[i]!, p, lib, leafIndex, coord)};`,
      (i, a, b) => {
        const w = p.nodes[i] as Extract<ExprNode, { k: 'where' }>;
        const t = st(w.dtype);
        return `  var t${i}: ${t};\n  if (t${w.c} != ${st(p.nodes[w.c]!.dtype)}(0)) {\n${a}\n  t${i} = ${t}(t${w.a});\n  } else {\n${b}\n  t${i} = ${t}(t${w.b});\n  }`;
      },
    ),
  );
  const out = st(resultDType(p));
  lines.push(`  return t${p.nodes.length - 1};`);
  return {
    buffers: p.leaves.map((l) => l.buf.buffer),
    consts: lib.consts,
    inputs: p.leaves.map((l, k) => `@group(0) @binding(${k}) var<storage, read> L${k}: array<${st(l.dtype)}>;`).join('\n'),
    library: lib.text(),
    value: `fn value(i: u32) -> ${out} {\n${lines.join('\n')}\n}`,
    out,
  };
}

const PARAMS: KernelDescriptor['uniforms'] = [
  ['n', 'u32'],
  ['pad0', 'u32'],
  ['pad1', 'u32'],
  ['pad2', 'u32'],
  ['k', 'array<vec4<u32>, 8>'],
];
const descriptors = new Map<string, KernelDescriptor>();

function descriptor(name: string, shader: 'fused' | 'reduce', entryPoint: string, leaves: number, uniforms: KernelDescriptor['uniforms']): KernelDescriptor {
  const key = `${shader}:${entryPoint}:${leaves}`;
  let d = descriptors.get(key);
  if (!d) {
    d = {
      name,
      shader,
      entryPoint,
      storage: [
        ...Array.from({ length: leaves }, (_, k) => ({ name: `L${k}`, binding: k, access: 'read' as const })),
        { name: 'out', binding: leaves, access: 'read_write' as const },
      ],
      uniformBinding: leaves + 1,
      uniforms,
    };
    descriptors.set(key, d);
  }
  return d;
}

/** shaders/fused.wgsl with one input (descriptors for other input counts differ only in their bindings) */
export const FUSED: KernelDescriptor = descriptor('fused', 'fused', 'main', 1, PARAMS);

/** shaders/fused.wgsl: out[i] = value(i) over n outputs. */
export function fusedSpec(w: FusedWgsl, out: GPUBuffer, n: number): DispatchSpec {
  const k = w.buffers.length;
  return {
    kernel: descriptor('fused', 'fused', 'main', k, PARAMS),
    defines: {
      BINDINGS: `${w.inputs}\n@group(0) @binding(${k}) var<storage, read_write> out: array<${w.out}>;`,
      U_BINDING: k + 1,
      LIBRARY: w.library,
      BODY: w.value,
      WG: EW_WG,
    },
    uniforms: { n, k: w.consts },
    buffers: [...w.buffers, out],
    workgroups: ewGrid(n),
  };
}

let reduceDefined: Set<string> | undefined;

/** What shaders/reduce.wgsl needs to reduce a program's values where it would read x. */
export function fusedReduceInput(p: FusedProgram<{ buffer: GPUBuffer }>): ReduceInput {
  reduceDefined ??= new Set([...topLevelItems(WGSL.reduce).keys()]);
  const w = fusedWgsl(p, reduceDefined);
  const k = w.buffers.length;
  return {
    kernels: {
      rows: descriptor('reduce (fused)', 'reduce', 'reduce_rows', k, REDUCE_UNIFORMS),
      wg: descriptor('reduce (fused)', 'reduce', 'reduce_wg', k, REDUCE_UNIFORMS),
    },
    buffers: w.buffers,
    consts: w.consts,
    defines: { INPUTS: w.inputs, OUT_BINDING: k, U_BINDING: k + 1, LIBRARY: `${w.library}\n${w.value}`, LOAD: 'return value(i);' },
  };
}
