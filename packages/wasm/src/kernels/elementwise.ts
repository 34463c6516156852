/**
 * Fused elementwise programs (the fusion layer's, @pixgrad/core fusion/program.ts) as generated
 * WebAssembly SIMD: one kernel per program structure and loop nest, four outputs per step in
 * f32x4 lanes, the transcendental functions from math.ts. A reduction takes its program into the
 * same kernel: the reduced loops innermost, partial sums in float64 lanes (as the CPU reference
 * accumulates in float64), max and min in float32 lanes.
 *
 * Loops: the program's dims merged as the CPU's generated loops merge them (mergeLoops); the
 * innermost loop runs four elements per step and its last 0-3 elements one at a time (each leaf
 * read as a splat), so no read or write ever leaves a buffer; a leaf that is broadcast along the
 * innermost loop is read once per row, a strided one lane by lane, a padded (guarded) one lane by
 * lane with a bounds check. Threads split the outermost loop.
 *
 * Values: float32 nodes are f32x4; bool nodes are i32x4 lanes holding the stored byte (0 or 1, or
 * another byte where the CPU reference would store one: a bool pad with value -1.5 stores 255), so
 * results equal the CPU's byte for byte. Programs with int32 nodes are left to the CPU kernels (the
 * caller checks `wasmSupports`).
 *
 * Arguments (i32, at argPtr): the D loop sizes; per leaf its base address (offset applied), then
 * its D byte strides, and for a guarded leaf its buffer's first and end address; the output
 * address.
 */
import { type ExprNode, type ReduceOp, type UnaryOp, type UnaryParams, bytesPerElement } from '@pixgrad/core';
import { type Code, Func, I32, type MemoryImport, OP, V128, add, divU, forLoop, i32, loadI32, minS, moduleOf, mul, simd, sub, whileLoop } from '../asm.js';
import { F, I, MATH_ARITY, MATH_DEPS, type MathFn, mathFunc, sel } from './math.js';

export type LeafKind = 'scalar' | 'contig' | 'bcast' | 'gather';

export interface KernelSpec {
  readonly nodes: readonly ExprNode[];
  readonly leaves: readonly { readonly dtype: 'float32' | 'bool'; readonly kind: LeafKind; readonly guard: boolean }[];
  /** merged loops */
  readonly D: number;
  /** the loop of each inRange dim's coordinate, by program dim */
  readonly coordLoop: ReadonlyMap<number, number>;
  /** a reduction: its op and the number of kept (outer) loops; the others are reduced */
  readonly reduce?: { readonly op: ReduceOp; readonly nKept: number };
}

/** Whether the wasm kernels compute this program (float32 and bool values only). */
export function wasmSupports(nodes: readonly ExprNode[], leafDTypes: readonly string[]): boolean {
  return nodes.every((n) => n.dtype === 'float32' || n.dtype === 'bool') && leafDTypes.every((d) => d === 'float32' || d === 'bool');
}

/** the math functions a program calls, with what they call */
function mathNeeded(nodes: readonly ExprNode[]): MathFn[] {
  const want = new Set<MathFn>();
  const need = (f: MathFn) => {
    if (want.has(f)) return;
    want.add(f);
    for (const d of MATH_DEPS[f]) need(d);
  };
  for (const n of nodes) {
    if (n.k === 'unary') {
      if (n.op === 'softplus') {
        need('log1p');
        need('exp');
      } else if (n.op in MATH_ARITY) need(n.op as MathFn);
    } else if (n.k === 'binary' && (n.op === 'pow' || n.op === 'atan2')) need(n.op);
  }
  return [...want];
}

/** the parts of a whole reduction (each a float64 partial; threads take whole parts) */
export const REDUCE_PARTS = 16;
const laneConst = (a: number, b: number, c: number, d: number): Code => [0xfd, 0x0c, ...new Uint8Array(Int32Array.of(a, b, c, d).buffer)];

/** The module (functions: the math it needs, then `run(tid, nth, args)`) for a kernel spec. */
export function elementwiseModule(memory: MemoryImport, spec: KernelSpec): Uint8Array<ArrayBuffer> {
  const math = mathNeeded(spec.nodes);
  const index = new Map(math.map((m, i) => [m, i] as const));
  const call = (m: MathFn): Code => [OP.call, index.get(m)!];
  const types: [number[], number[]][] = [
    [[V128], [V128]],
    [[V128, V128], [V128]],
    [[I32, I32, I32], []],
  ];
  const funcs = math.map((m) => mathFunc(m, MATH_ARITY[m] - 1, call));
  funcs.push(runFunc(spec, call));
  return moduleOf(memory, types, funcs, [...math, 'run']);
}

function runFunc(spec: KernelSpec, call: (m: MathFn) => Code): { f: Func; code: Code } {
  const f = new Func(2, [
    ['tid', I32],
    ['nth', I32],
    ['args', I32],
  ]);
  const g = (n: string) => f.get(n);
  const v = (n: string) => f.get(n, V128);
  const { D, leaves, nodes } = spec;
  const red = spec.reduce && spec.reduce.nKept < D ? spec.reduce : undefined;
  const out = nodes[nodes.length - 1]!;
  const osize = red ? 4 : bytesPerElement(out.dtype);
  const code: Code = [];
  // ---- arguments
  let a = 0;
  const arg = (name: string) => code.push(...f.set(name, loadI32(g('args'), 4 * a++)));
  for (let d = 0; d < D; d++) arg(`n${d}`);
  leaves.forEach((l, k) => {
    arg(`b${k}`);
    for (let d = 0; d < D; d++) arg(`s${k}_${d}`);
    if (l.guard) {
      arg(`lo${k}`);
      arg(`hi${k}`);
    }
  });
  arg('out');
  // ---- a share of the outermost loop: part i of `parts` (in fours when it is also the innermost)
  const bound = (i: Code, parts: Code): Code =>
    D === 1 ? minS(mul(divU(mul(i, divU(add(g('n0'), i32(3)), i32(4))), parts), i32(4)), g('n0')) : divU(mul(i, g('n0')), parts);
  const share = (i: Code, parts: Code): Code => [
    ...f.set('lo', bound(i, parts)),
    ...f.set('hi', bound(add(i, i32(1)), parts)),
    ...leaves.flatMap((_, k) => f.set(`p${k}_0`, add(g(`b${k}`), mul(g('lo'), g(`s${k}_0`))))),
  ];
  // outputs before this share: lo times the outputs per step of loop 0
  const perStep = (from: number, to: number): Code => {
    let e: Code = i32(1);
    for (let d = from; d < to; d++) e = mul(e, g(`n${d}`));
    return e;
  };
  const outStart = (): Code => f.set('o', add(g('out'), mul(mul(g('lo'), perStep(1, red ? red.nKept : D)), i32(osize))));
  // scalar leaves: read once
  leaves.forEach((l, k) => {
    if (l.kind === 'scalar') code.push(...f.set(`h${k}`, loadSplat(l.dtype, g(`b${k}`)), V128));
  });

  // ---- the value of every node, in vector (4 lanes) or tail (one element in every lane) mode
  const inner = D - 1;
  const coord = (loop: number, vector: boolean): Code => {
    if (loop < 0) return I.c(0);
    const c = [...g(`i${loop}`), ...simd(OP.i32x4Splat)];
    return loop === inner && vector ? I.add(c, laneConst(0, 1, 2, 3)) : c;
  };
  const leafValue = (k: number, vector: boolean): Code => {
    const l = leaves[k]!;
    const p = g(`p${k}_${inner}`);
    if (l.kind === 'scalar' || l.kind === 'bcast') return v(`h${k}`);
    if (l.guard || l.dtype === 'bool' || (l.kind === 'gather' && vector)) {
      // lane by lane: address p + j * stride (checked against the buffer where guarded)
      const lanes = vector ? 4 : 1;
      let e: Code = l.dtype === 'bool' ? I.c(0) : F.c(0);
      for (let j = 0; j < lanes; j++) {
        const at = j === 0 ? p : add(p, mul(g(`s${k}_${inner}`), i32(j)));
        const load = l.dtype === 'bool' ? [...at, OP.i32Load8U, 0, 0] : [...at, OP.f32Load, 2, 0];
        let val = load;
        if (l.guard) {
          // out of the buffer: read its first element and drop it
          const inside = [...at, ...g(`lo${k}`), OP.i32GeU, ...at, ...g(`hi${k}`), OP.i32LtU, OP.i32And];
          const safe = [...at, ...g(`lo${k}`), ...inside, OP.select];
          const zero = l.dtype === 'bool' ? i32(0) : [0x43, 0, 0, 0, 0];
          val = [...(l.dtype === 'bool' ? [...safe, OP.i32Load8U, 0, 0] : [...safe, OP.f32Load, 2, 0]), ...zero, ...inside, OP.select];
        }
        if (vector) e = [...e, ...val, ...simd(l.dtype === 'bool' ? OP.i32x4ReplaceLane : OP.f32x4ReplaceLane, j)];
        else e = [...val, ...simd(l.dtype === 'bool' ? OP.i32x4Splat : OP.f32x4Splat)];
      }
      return e;
    }
    return vector ? [...p, ...simd(OP.v128Load, 2, 0)] : [...p, ...simd(OP.v128Load32Splat, 2, 0)];
  };
  const values = (vector: boolean): Code => {
    const c: Code = [];
    const n = (i: number) => v(`v${i}`);
    nodes.forEach((node, i) => {
      let e: Code;
      switch (node.k) {
        case 'leaf':
          e = leafValue(node.leaf, vector);
          break;
        case 'const':
          e = node.dtype === 'bool' ? I.c((node.value | 0) & 255) : F.c(node.value);
          break;
        case 'unary':
          e = unaryCode(node, n(node.x), call);
          break;
        case 'binary':
          e = binaryCode(node.op, n(node.a), n(node.b), call);
          break;
        case 'compare': {
          e = I.and(compareCode(node.op, n(node.a), n(node.b), nodes[node.a]!.dtype === 'bool'), I.c(1));
          break;
        }
        case 'where':
          e = sel(I.not(I.eq(n(node.c), I.c(0))), n(node.a), n(node.b));
          break;
        case 'cast': {
          const from = nodes[node.x]!.dtype;
          e = from === node.dtype ? n(node.x) : node.dtype === 'bool' ? I.and(F.ne(n(node.x), F.c(0)), I.c(1)) : F.fromInt(n(node.x));
          break;
        }
        case 'inRange': {
          e = I.c(1);
          for (const [d, lo, hi] of node.dims) {
            const x = coord(spec.coordLoop.get(d) ?? -1, vector);
            e = I.and(e, I.and(I.gt(x, I.c(lo - 1)), I.lt(x, I.c(hi))));
          }
          break;
        }
      }
      c.push(...f.set(`v${i}`, e, V128));
    });
    return c;
  };
  const result = v(`v${nodes.length - 1}`);

  // ---- what each step does with its value: store it, or accumulate it
  const store = (vector: boolean): Code => {
    if (out.dtype === 'bool') {
      const lanes = vector ? 4 : 1;
      const c: Code = [];
      for (let j = 0; j < lanes; j++) c.push(...g('o'), ...result, ...simd(OP.i32x4ExtractLane, j), OP.i32Store8, 0, j);
      return c;
    }
    return vector ? [...g('o'), ...result, ...simd(OP.v128Store, 4, 0)] : [...g('o'), ...result, ...simd(OP.f32x4ExtractLane, 0), OP.f32Store, 2, 0];
  };
  const isSum = red && (red.op === 'sum' || red.op === 'prod');
  const accumulate = (vector: boolean): Code => {
    const op = red!.op;
    if (op === 'max' || op === 'min') {
      const m = op === 'max' ? F.max : F.min;
      return vector ? f.set('acc', m(v('acc'), result), V128) : f.set('acc', m(v('acc'), result), V128);
    }
    const f64op = op === 'sum' ? 0xf0 /* f64x2.add */ : 0xf2; /* f64x2.mul */
    const promoteLow = (x: Code) => [...x, ...simd(0x5f)];
    const high = (x: Code) => [...x, ...x, ...simd(OP.i8x16Shuffle, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7)];
    if (vector) {
      return [
        ...f.set('accL', [...v('accL'), ...promoteLow(result), ...simd(f64op)], V128),
        ...f.set('accH', [...v('accH'), ...promoteLow(high(result)), ...simd(f64op)], V128),
      ];
    }
    // one element: into lane 0 of accL only (the other lane gets the identity)
    const ident = op === 'sum' ? 0 : 1;
    const one = [...promoteLow(result), ...f64Const(ident), ...simd(0x22 /* f64x2.replace_lane */, 1)];
    return f.set('accL', [...v('accL'), ...one, ...simd(f64op)], V128);
  };
  const initAcc = (): Code => {
    if (!red) return [];
    if (red.op === 'max') return f.set('acc', F.c(-Infinity), V128);
    if (red.op === 'min') return f.set('acc', F.c(Infinity), V128);
    const ident = red.op === 'sum' ? 0 : 1;
    return [...f.set('accL', f64x2Const(ident), V128), ...f.set('accH', f64x2Const(ident), V128)];
  };
  // the accumulated value as one f64 on the stack
  const finalValue = (): Code => {
    if (!red) return [];
    if (!isSum) {
      const m = red.op === 'max' ? OP.f32Max : OP.f32Min;
      const lane = (j: number) => [...v('acc'), ...simd(OP.f32x4ExtractLane, j)];
      return [...lane(0), ...lane(1), m, ...lane(2), m, ...lane(3), m, 0xbb /* f64.promote_f32 */];
    }
    const f64op = red.op === 'sum' ? 0xa0 : 0xa2;
    const lane = (x: string, j: number) => [...v(x), ...simd(0x21 /* f64x2.extract_lane */, j)];
    return [...lane('accL', 0), ...lane('accL', 1), f64op, ...lane('accH', 0), f64op, ...lane('accH', 1), f64op];
  };
  const finish = (partial: boolean): Code => {
    if (partial) return [...g('out'), ...mul(g('part'), i32(8)), OP.i32Add, ...finalValue(), 0x39 /* f64.store */, 3, 0];
    return [...g('o'), ...finalValue(), 0xb6 /* f32.demote_f64 */, OP.f32Store, 2, 0, ...f.set('o', add(g('o'), i32(4)))];
  };

  // ---- the loops
  const step = (vector: boolean): Code => [...values(vector), ...(red ? accumulate(vector) : store(vector))];
  const advance = (by: number, d: number): Code => {
    const c: Code = [];
    leaves.forEach((l, k) => {
      if (l.kind !== 'scalar') c.push(...f.set(`p${k}_${d}`, add(g(`p${k}_${d}`), by === 1 ? g(`s${k}_${d}`) : mul(g(`s${k}_${d}`), i32(by)))));
    });
    if (!red && d === inner) c.push(...f.set('o', add(g('o'), i32(by * osize))));
    return c;
  };
  const innerLoop = (): Code => {
    const c: Code = [];
    leaves.forEach((l, k) => {
      if (l.kind === 'bcast') c.push(...f.set(`h${k}`, loadSplat(l.dtype, g(`p${k}_${inner}`)), V128));
    });
    const from = inner === 0 ? g('lo') : i32(0);
    const to = inner === 0 ? g('hi') : g(`n${inner}`);
    c.push(...f.set(`i${inner}`, from));
    c.push(...f.set('end4', sub(to, i32(3))));
    // four at a time while four remain, then one at a time
    c.push(...whileLoop(f, `i${inner}`, g('end4'), 4, [...step(true), ...advance(4, inner)]));
    c.push(...whileLoop(f, `i${inner}`, to, 1, [...step(false), ...advance(1, inner)]));
    return c;
  };
  const level = (d: number): Code => {
    const c: Code = [];
    if (red && d === red.nKept && d > 0) c.push(...initAcc());
    if (d === inner) c.push(...innerLoop());
    else {
      const body: Code = [];
      leaves.forEach((l, k) => {
        if (l.kind !== 'scalar') body.push(...f.set(`p${k}_${d + 1}`, g(`p${k}_${d}`)));
      });
      body.push(...level(d + 1), ...advance(1, d));
      c.push(...forLoop(f, `i${d}`, d === 0 ? g('lo') : i32(0), d === 0 ? g('hi') : g(`n${d}`), i32(1), body));
    }
    if (red && d === red.nKept && d > 0) c.push(...finish(false));
    return c;
  };
  if (red && red.nKept === 0) {
    // a whole reduction: PARTS fixed parts, each its own float64 partial, whatever the thread
    // count (the caller adds them in order), so 1 and N threads give the same bits
    const parts = i32(REDUCE_PARTS);
    code.push(
      ...forLoop(f, 'part', divU(mul(g('tid'), parts), g('nth')), divU(mul(add(g('tid'), i32(1)), parts), g('nth')), i32(1), [
        ...share(g('part'), parts),
        ...initAcc(),
        ...level(0),
        ...finish(true),
      ]),
    );
  } else code.push(...share(g('tid'), g('nth')), ...outStart(), ...level(0));
  return { f, code };
}

function loadSplat(dtype: 'float32' | 'bool', at: Code): Code {
  return dtype === 'bool' ? [...at, OP.i32Load8U, 0, 0, ...simd(OP.i32x4Splat)] : [...at, ...simd(OP.v128Load32Splat, 2, 0)];
}
const f64Const = (v: number): Code => [0x44, ...new Uint8Array(Float64Array.of(v).buffer)];
const f64x2Const = (v: number): Code => [0xfd, 0x0c, ...new Uint8Array(Float64Array.of(v, v).buffer)];

/**
 * Each unary op on f32x4 lanes: a Record over UNARY_OPS, so a new op does not compile until it
 * has its wasm (math.ts holds the transcendental functions these call).
 */
const UNARY_WASM: { [K in UnaryOp]: (x: Code, p: UnaryParams<K>, call: (m: MathFn) => Code) => Code } = {
  neg: (x) => F.neg(x),
  abs: (x) => F.abs(x),
  sign: (x) => sel(F.gt(x, F.c(0)), F.c(1), sel(F.lt(x, F.c(0)), F.c(-1), sel(F.eq(x, F.c(0)), F.c(0), F.c(NaN)))),
  exp: (x, _p, call) => [...x, ...call('exp')],
  log: (x, _p, call) => [...x, ...call('log')],
  log1p: (x, _p, call) => [...x, ...call('log1p')],
  expm1: (x, _p, call) => [...x, ...call('expm1')],
  sqrt: (x) => F.sqrt(x),
  rsqrt: (x) => F.div(F.c(1), F.sqrt(x)),
  reciprocal: (x) => F.div(F.c(1), x),
  sin: (x, _p, call) => [...x, ...call('sin')],
  cos: (x, _p, call) => [...x, ...call('cos')],
  tanh: (x, _p, call) => [...x, ...call('tanh')],
  sigmoid: (x, _p, call) => [...x, ...call('sigmoid')],
  relu: (x) => sel(I.or(F.gt(x, F.c(0)), F.ne(x, x)), x, F.c(0)),
  leakyRelu: (x, p) => sel(F.gt(x, F.c(0)), x, F.mul(F.c(p.slope), x)),
  softplus: (x, p, call) => {
    const bx = F.mul(F.c(p.beta), x);
    return sel(F.gt(bx, F.c(p.threshold)), x, F.div([...bx, ...call('exp'), ...call('log1p')], F.c(p.beta)));
  },
  floor: (x) => F.floor(x),
  ceil: (x) => F.ceil(x),
  // round half to even, as the CPU's
  round: (x) => F.nearest(x),
  clamp: (x, p) => F.min(F.max(x, F.c(p.min ?? -Infinity)), F.c(p.max ?? Infinity)),
};

function unaryCode(n: Extract<ExprNode, { k: 'unary' }>, x: Code, call: (m: MathFn) => Code): Code {
  return (UNARY_WASM[n.op] as (x: Code, p: UnaryParams, call: (m: MathFn) => Code) => Code)(x, n.params, call);
}

function binaryCode(op: Extract<ExprNode, { k: 'binary' }>['op'], a: Code, b: Code, call: (m: MathFn) => Code): Code {
  switch (op) {
    case 'add':
      return F.add(a, b);
    case 'sub':
      return F.sub(a, b);
    case 'mul':
      return F.mul(a, b);
    case 'div':
      return F.div(a, b);
    case 'maximum':
      return F.max(a, b);
    case 'minimum':
      return F.min(a, b);
    case 'pow':
    case 'atan2':
      return [...a, ...b, ...call(op)];
  }
}

function compareCode(op: Extract<ExprNode, { k: 'compare' }>['op'], a: Code, b: Code, ints: boolean): Code {
  if (ints) {
    switch (op) {
      case 'eq':
        return I.eq(a, b);
      case 'ne':
        return I.not(I.eq(a, b));
      case 'lt':
        return I.lt(a, b);
      case 'gt':
        return I.gt(a, b);
      case 'le':
        return I.not(I.gt(a, b));
      case 'ge':
        return I.not(I.lt(a, b));
    }
  }
  return { eq: F.eq, ne: F.ne, lt: F.lt, gt: F.gt, le: F.le, ge: F.ge }[op](a, b);
}
