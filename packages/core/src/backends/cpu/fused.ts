import type { BinaryOp, CompareOp, ReduceOp, UnaryOp, UnaryParams } from '../../backend.js';
import { allocArray, type DataArray, type DType } from '../../dtype.js';
import {
  type ExprNode,
  type FusedProgram,
  type Nest,
  emitNodes,
  isScalarLeaf,
  loopGroups,
  mergeLoops,
  programKey,
  rangeDims,
  resultDType,
} from '../../fusion/program.js';
import { sizeOf } from '../../shape.js';

/**
 * Fused programs as generated JavaScript loops: one pass over the output, every node a local
 * variable, so a chain of elementwise ops reads its inputs once and writes one buffer. Each node
 * is the JS of its op (the tables below, the reference's scalar functions written as source) and is
 * rounded to its dtype as the reference's store would (Math.fround, ToInt32, ToUint8), so fused
 * and unfused results are equal bit for bit. A reduction walks its reduced
 * dims innermost in the reference's order with a float64 accumulator, for the same reason.
 *
 * Kernels are compiled once per program structure and loop nest (shapes, strides and offsets are
 * arguments). Where code cannot be compiled (a Content-Security-Policy without 'unsafe-eval')
 * `compileAllowed()` is false and the fusion layer computes programs with the single kernels.
 */

type Kernel = (out: DataArray, leaves: DataArray[], sizes: number[], strides: number[], offsets: number[]) => void;

const cache = new Map<string, Kernel>();
let allowed: boolean | undefined;

/** Whether this JavaScript engine lets us compile code (`new Function`). */
export function compileAllowed(): boolean {
  if (allowed === undefined) {
    try {
      allowed = new Function('return 1')() === 1;
    } catch {
      allowed = false;
    }
  }
  return allowed;
}

/** the store rounding of each dtype, as a wrapper of an expression */
const ROUND: { [K in DType]: (e: string) => string } = {
  float32: (e) => `Math.fround(${e})`,
  float64: (e) => e,
  int32: (e) => `((${e}) | 0)`,
  bool: (e) => `((${e}) & 255)`,
};

/** a JS literal that reads back as exactly v */
function num(v: number): string {
  return Object.is(v, -0) ? '(-0)' : v < 0 ? `(${v})` : String(v);
}

/**
 * Each op as JS source over simple operands (locals), written to compute exactly what the
 * reference kernels' scalar functions in elementwise.ts / reduce.ts compute: the property test in
 * fusion.test.ts holds the two tables to the same bits. (Calling those functions instead would be
 * one table, but V8 stops inlining calls in big generated loops, and a call per op per element
 * costs 3x.) `t` is a fresh local name for ops that need one.
 */
const UNARY_JS: { [K in UnaryOp]: (x: string, p: UnaryParams<K>, t: string) => { pre?: string; e: string } } = {
  neg: (x) => ({ e: `(-${x})` }),
  abs: (x) => ({ e: `Math.abs(${x})` }),
  sign: (x) => ({ e: `(${x} > 0 ? 1 : ${x} < 0 ? -1 : ${x} === 0 ? 0 : NaN)` }),
  exp: (x) => ({ e: `Math.exp(${x})` }),
  log: (x) => ({ e: `Math.log(${x})` }),
  log1p: (x) => ({ e: `Math.log1p(${x})` }),
  expm1: (x) => ({ e: `Math.expm1(${x})` }),
  sqrt: (x) => ({ e: `Math.sqrt(${x})` }),
  rsqrt: (x) => ({ e: `(1 / Math.sqrt(${x}))` }),
  reciprocal: (x) => ({ e: `(1 / ${x})` }),
  sin: (x) => ({ e: `Math.sin(${x})` }),
  cos: (x) => ({ e: `Math.cos(${x})` }),
  tanh: (x) => ({ e: `Math.tanh(${x})` }),
  sigmoid: (x) => ({ e: `(${x} >= 0 ? 1 / (1 + Math.exp(-${x})) : Math.exp(${x}) / (1 + Math.exp(${x})))` }),
  relu: (x) => ({ e: `(${x} > 0 || ${x} !== ${x} ? ${x} : 0)` }),
  leakyRelu: (x, p) => ({ e: `(${x} > 0 ? ${x} : ${num(p.slope)} * ${x})` }),
  softplus: (x, p) => {
    const beta = num(p.beta);
    return { e: `(${beta} * ${x} > ${num(p.threshold)} ? ${x} : Math.log1p(Math.exp(${beta} * ${x})) / ${beta})` };
  },
  floor: (x) => ({ e: `Math.floor(${x})` }),
  ceil: (x) => ({ e: `Math.ceil(${x})` }),
  round: (x, _p, t) => ({ pre: `const ${t} = Math.round(${x});`, e: `(Math.abs(${x} % 1) === 0.5 && ${t} % 2 !== 0 ? ${t} - 1 : ${t})` }),
  clamp: (x, p) => ({ e: `Math.min(Math.max(${x}, ${num(p.min ?? -Infinity)}), ${num(p.max ?? Infinity)})` }),
};

const BINARY_JS: { [K in BinaryOp]: (a: string, b: string) => string } = {
  add: (a, b) => `(${a} + ${b})`,
  sub: (a, b) => `(${a} - ${b})`,
  mul: (a, b) => `(${a} * ${b})`,
  div: (a, b) => `(${a} / ${b})`,
  pow: (a, b) => `Math.pow(${a}, ${b})`,
  maximum: (a, b) => `(${a} !== ${a} || ${b} !== ${b} ? NaN : Math.max(${a}, ${b}))`,
  minimum: (a, b) => `(${a} !== ${a} || ${b} !== ${b} ? NaN : Math.min(${a}, ${b}))`,
  atan2: (a, b) => `Math.atan2(${a}, ${b})`,
};

const COMPARE_JS: { [K in CompareOp]: string } = { eq: '===', ne: '!==', lt: '<', le: '<=', gt: '>', ge: '>=' };

/** accumulator step of each reduction (acc, v locals), as REDUCERS in reduce.ts */
const REDUCE_JS: { [K in ReduceOp]: { init: string; step: (acc: string, v: string) => string } } = {
  sum: { init: '0', step: (acc, v) => `${acc} + ${v}` },
  prod: { init: '1', step: (acc, v) => `${acc} * ${v}` },
  max: { init: '-Infinity', step: (acc, v) => `(${v} > ${acc} || ${v} !== ${v} ? ${v} : ${acc})` },
  min: { init: 'Infinity', step: (acc, v) => `(${v} < ${acc} || ${v} !== ${v} ? ${v} : ${acc})` },
};

/** JS for the nodes, each where with branches of its own as an if/else (see emitNodes) */
function nodesCode(p: FusedProgram<DataArray>, coord: (d: number) => string, dims: number): string {
  // a leaf is read where its node is computed (inside the branch that needs it): scalar leaves
  // were read once before the loops, the others at their innermost position, guarded ones
  // through a bounds check
  const scalar = p.leaves.map((l) => isScalarLeaf(l.strides, p.shape));
  const read = (k: number): string => {
    if (scalar[k]) return `v${k}`;
    const at = `p${k}_${dims}`;
    return p.leaves[k]!.guard ? `(${at} >= 0 && ${at} < L${k}.length ? L${k}[${at}] : 0)` : `L${k}[${at}]`;
  };
  return emitNodes(
    p.nodes,
    (i) => nodeCode(p.nodes[i]!, i, coord, read),
    (i, a, b) => {
      const w = p.nodes[i] as Extract<ExprNode, { k: 'where' }>;
      return `let t${i};\nif (t${w.c}) {\n${a}\nt${i} = ${ROUND[w.dtype](`t${w.a}`)};\n} else {\n${b}\nt${i} = ${ROUND[w.dtype](`t${w.b}`)};\n}`;
    },
  );
}

/** JS for each node, in terms of the locals t0, t1, ..., leaf values v0, v1, ... and `coord(d)`, the loop index of output dim d */
function nodeCode(n: ExprNode, i: number, coord: (d: number) => string, read: (leaf: number) => string): string {
  let e: string;
  let pre = '';
  switch (n.k) {
    // a stored value is already of its dtype: no rounding
    case 'leaf':
      return `const t${i} = ${read(n.leaf)};`;
    case 'const':
      e = num(n.value);
      break;
    case 'unary':
      ({ pre = '', e } = (UNARY_JS[n.op] as (x: string, p: UnaryParams, t: string) => { pre?: string; e: string })(`t${n.x}`, n.params, `r${i}`));
      break;
    case 'binary':
      e = n.dtype === 'int32' && n.op === 'mul' ? `Math.imul(t${n.a}, t${n.b})` : BINARY_JS[n.op](`t${n.a}`, `t${n.b}`);
      break;
    case 'compare':
      e = `(t${n.a} ${COMPARE_JS[n.op]} t${n.b} ? 1 : 0)`;
      break;
    case 'where':
      e = `(t${n.c} ? t${n.a} : t${n.b})`;
      break;
    case 'cast':
      e = n.dtype === 'bool' ? `(t${n.x} !== 0 ? 1 : 0)` : `t${n.x}`;
      break;
    case 'inRange':
      e = `(${n.dims.map(([d, lo, hi]) => `(${coord(d)} >= ${lo} && ${coord(d)} < ${hi})`).join(' && ') || 'true'} ? 1 : 0)`;
      break;
  }
  return `${pre}const t${i} = ${ROUND[n.dtype](e)};`;
}

function loopNest(dims: number, moving: number[], scalars: number[], inner: string, open: (d: number) => string, close: (d: number) => string): string {
  const lines: string[] = [];
  for (const k of scalars) lines.push(`const v${k} = L${k}[offsets[${k}]];`);
  for (const k of moving) {
    lines.push(`let p${k}_0 = offsets[${k}];`);
    for (let d = 0; d < dims; d++) lines.push(`const s${k}_${d} = strides[${k * dims + d}];`);
  }
  for (let d = 0; d < dims; d++) lines.push(`const n${d} = sizes[${d}];`);
  const body = (d: number): string => {
    if (d === dims) return inner;
    return [
      open(d),
      ...moving.map((k) => `let p${k}_${d + 1} = p${k}_${d};`),
      `for (let i${d} = 0; i${d} < n${d}; i${d}++) {`,
      body(d + 1),
      ...moving.map((k) => `p${k}_${d + 1} += s${k}_${d};`),
      '}',
      close(d),
    ].join('\n');
  };
  lines.push(body(0));
  return lines.join('\n');
}

function compile(key: string, make: () => string): Kernel {
  let k = cache.get(key);
  if (!k) {
    k = new Function(`"use strict";\nreturn function fused(out, leaves, sizes, strides, offsets) {\n${make()}\n};`)() as Kernel;
    cache.set(key, k);
  }
  return k;
}

/** coordinate of program dim d in the generated loops, and the part of the kernel key it adds */
function coords(p: FusedProgram<DataArray>, order: readonly number[], nest: Nest): { coord: (d: number) => string; key: string } {
  const loop = (d: number) => nest.loopOf[order.indexOf(d)]!;
  const coord = (d: number) => (loop(d) < 0 ? '0' : `i${loop(d)}`);
  return { coord, key: [...rangeDims(p)].map((d) => `${d}@${loop(d)}`).join(',') };
}

function leafArrays(p: FusedProgram<DataArray>): DataArray[] {
  return p.leaves.map((l) => l.buf);
}

/** Computes an elementwise program into a new array of its shape. */
export function fused(p: FusedProgram<DataArray>): DataArray {
  const out = allocArray(resultDType(p), sizeOf(p.shape));
  const order = p.shape.map((_, d) => d);
  const nest = mergeLoops(
    p.shape,
    p.leaves.map((l) => l.strides),
    loopGroups(p, order, () => 0),
  );
  const scalar = p.leaves.map((l) => isScalarLeaf(l.strides, p.shape));
  const moving = scalar.flatMap((s, k) => (s ? [] : [k]));
  const scalars = scalar.flatMap((s, k) => (s ? [k] : []));
  const dims = nest.sizes.length;
  const { coord, key: coordKey } = coords(p, order, nest);
  const key = `E|${dims}|${scalar.map(Number).join('')}|${coordKey}|${programKey(p)}`;
  const kernel = compile(key, () => {
    const nodes = nodesCode(p, coord, dims);
    const loads = p.leaves.map((_, k) => `const L${k} = leaves[${k}];`).join('\n');
    const inner = `${nodes}\nout[o++] = t${p.nodes.length - 1};`;
    return `${loads}\nlet o = 0;\n${loopNest(
      dims,
      moving,
      scalars,
      inner,
      () => '',
      () => '',
    )}`;
  });
  kernel(
    out,
    leafArrays(p),
    nest.sizes,
    nest.strides.flat(),
    p.leaves.map((l) => l.offset),
  );
  return out;
}

/** Reduces an elementwise program over the sorted axes, as `reduce` does over its realised values. */
export function fusedReduce(op: ReduceOp, p: FusedProgram<DataArray>, axes: readonly number[]): DataArray {
  const kept = p.shape.map((_, d) => d).filter((d) => !axes.includes(d));
  const order = [...kept, ...axes];
  const outSize = sizeOf(kept.map((d) => p.shape[d]!));
  const out = allocArray(resultDType(p), outSize);
  // loops: kept dims outermost (one output each), reduced dims innermost in the reference's order
  const nest = mergeLoops(
    order.map((d) => p.shape[d]!),
    p.leaves.map((l) => order.map((d) => l.strides[d]!)),
    loopGroups(p, order, (d) => (axes.includes(d) ? 1 : 0)),
  );
  const { coord, key: coordKey } = coords(p, order, nest);
  const nKept = nest.loopOf.filter((l, j) => l >= 0 && !axes.includes(order[j]!)).reduce((m, l) => Math.max(m, l + 1), 0);
  const dims = nest.sizes.length;
  const scalar = p.leaves.map((l) => isScalarLeaf(l.strides, p.shape));
  const moving = scalar.flatMap((s, k) => (s ? [] : [k]));
  const scalars = scalar.flatMap((s, k) => (s ? [k] : []));
  const key = `R|${op}|${dims}|${nKept}|${scalar.map(Number).join('')}|${coordKey}|${programKey(p)}`;
  const kernel = compile(key, () => {
    const { init, step } = REDUCE_JS[op];
    const nodes = nodesCode(p, coord, dims);
    const loads = p.leaves.map((_, k) => `const L${k} = leaves[${k}];`).join('\n');
    const inner = `${nodes}\nacc = ${step('acc', `t${p.nodes.length - 1}`)};`;
    const open = (d: number) => (d === nKept ? `let acc = ${init};` : '');
    const close = (d: number) => (d === nKept ? 'out[o++] = acc;' : '');
    // with no reduced loop left (all reduced dims have size 1) the accumulator wraps the body itself
    const body = nKept === dims ? `let acc = ${init};\n${inner}\nout[o++] = acc;` : inner;
    return `${loads}\nlet o = 0;\n${loopNest(dims, moving, scalars, body, open, close)}`;
  });
  kernel(
    out,
    leafArrays(p),
    nest.sizes,
    nest.strides.flat(),
    p.leaves.map((l) => l.offset),
  );
  return out;
}
