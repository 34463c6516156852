import type { BinaryOp, CompareOp, UnaryOp, UnaryParams } from '../backend.js';
import type { DType } from '../dtype.js';
import { type Shape, contiguousStrides } from '../shape.js';

/**
 * A fused elementwise program: the expression a chain of elementwise primitives computes, kept as
 * a small SSA list instead of one buffer per primitive, and realised by one generated kernel.
 *
 * Every node is computed at one output index of `shape`. A leaf reads a buffer at
 * `offset + sum_d i_d * strides[d]` (strides per output dim, 0 where broadcast, any sign, so
 * expand, permute, slice and flip are leaves too); a const is a literal (a JS number operand costs
 * no buffer and no dispatch); an inRange node tests output coordinates (a padded value is
 * where(inRange, x read shifted, fill), so a pad costs no pass). Every node has the dtype the unfused kernel would have stored, and a
 * kernel rounds each node's value to it (Math.fround, ToInt32, ...), so a fused result equals the
 * unfused one bit for bit.
 */
export type ExprNode =
  | { readonly k: 'leaf'; readonly dtype: DType; readonly leaf: number }
  | { readonly k: 'const'; readonly dtype: DType; readonly value: number }
  | { readonly k: 'unary'; readonly dtype: DType; readonly op: UnaryOp; readonly params: UnaryParams; readonly x: number }
  | { readonly k: 'binary'; readonly dtype: DType; readonly op: BinaryOp; readonly a: number; readonly b: number }
  | { readonly k: 'compare'; readonly dtype: DType; readonly op: CompareOp; readonly a: number; readonly b: number }
  | { readonly k: 'where'; readonly dtype: DType; readonly c: number; readonly a: number; readonly b: number }
  | { readonly k: 'cast'; readonly dtype: DType; readonly x: number }
  /** 1 where every listed output coordinate d lies in [lo, hi), else 0 (bool): what `pad` selects by */
  | { readonly k: 'inRange'; readonly dtype: DType; readonly dims: readonly (readonly [d: number, lo: number, hi: number])[] };

export type ExprKind = ExprNode['k'];

/** A buffer read by a program: where each output index finds its element. */
export interface Leaf<B> {
  readonly buf: B;
  readonly dtype: DType;
  readonly strides: readonly number[];
  readonly offset: number;
  /** may be read outside its buffer, at positions a pad's select discards: a kernel must not trap there */
  readonly guard?: boolean;
}

/** What a backend compiles: nodes in topological order, the last one is the result. */
export interface FusedProgram<B> {
  readonly shape: Shape;
  readonly nodes: readonly ExprNode[];
  readonly leaves: readonly Leaf<B>[];
}

export function resultDType(p: { nodes: readonly ExprNode[] }): DType {
  return p.nodes[p.nodes.length - 1]!.dtype;
}

/** The structure of a program (not its buffers, shape or strides): the key of a compiled kernel. */
export function programKey(p: { nodes: readonly ExprNode[]; leaves: readonly { dtype: DType; guard?: boolean }[] }): string {
  const leaves = p.leaves.map((l) => `${l.dtype}${l.guard ? '?' : ''}`).join(',');
  const nodes = p.nodes.map((n) => {
    switch (n.k) {
      case 'leaf':
        return `L${n.leaf}`;
      case 'const':
        return `C${n.dtype}:${Object.is(n.value, -0) ? '-0' : n.value}`;
      case 'unary':
        return `U${n.dtype}:${n.op}(${n.x})${Object.entries(n.params)
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(',')}`;
      case 'binary':
        return `B${n.dtype}:${n.op}(${n.a},${n.b})`;
      case 'compare':
        return `P${n.dtype}:${n.op}(${n.a},${n.b})`;
      case 'where':
        return `W${n.dtype}(${n.c},${n.a},${n.b})`;
      case 'cast':
        return `T${n.dtype}(${n.x})`;
      case 'inRange':
        return `R${n.dims.map((r) => r.join(':')).join(',')}`;
    }
  });
  return `${leaves}|${nodes.join(';')}`;
}

/** strides over `from` re-expressed over `to`, which `from` broadcasts to (right-aligned) */
export function broadcastLeafStrides(strides: readonly number[], from: Shape, to: Shape): number[] {
  const lead = to.length - from.length;
  return to.map((n, d) => {
    const s = d - lead;
    return s < 0 || from[s] === 1 ? 0 : strides[s]!;
  });
}

/** Whether a leaf reads its buffer in the program's own row-major order (flat index + offset). */
export function isContiguousLeaf(strides: readonly number[], shape: Shape): boolean {
  const c = contiguousStrides(shape);
  return strides.every((s, d) => s === c[d] || shape[d] === 1);
}

/** Whether a leaf reads one element whatever the index. */
export function isScalarLeaf(strides: readonly number[], shape: Shape): boolean {
  return strides.every((s, d) => s === 0 || shape[d] === 1);
}

/** The output dims an inRange node reads (their coordinates must survive dim merging). */
export function rangeDims(p: { nodes: readonly ExprNode[] }): Set<number> {
  const dims = new Set<number>();
  for (const n of p.nodes) if (n.k === 'inRange') for (const [d] of n.dims) dims.add(d);
  return dims;
}

/** A branch of a where node: `where` is its id, `a` the branch taken when the condition holds. */
export interface Branch {
  readonly where: number;
  readonly taken: 'a' | 'b';
}

/**
 * The branch each node may be computed in: a node whose every use lies inside one branch of a
 * where (directly or through other such nodes) is only needed when that branch is taken, so a
 * kernel computes it inside an if. The innermost branch is given; nodes needed either way are
 * absent. A pad is where(inRange, x shifted, fill), and a concat's gradient sums several pads:
 * with this, each element computes the one branch it takes, not all of them.
 */
export function branchOwners(nodes: readonly ExprNode[]): Map<number, Branch> {
  const consumers: number[][] = nodes.map(() => []);
  nodes.forEach((n, i) => {
    for (const j of operands(n)) consumers[j]!.push(i);
  });
  const owner = new Map<number, Branch>();
  // outermost wheres first, so an inner where's branches overwrite with the innermost owner
  for (let w = nodes.length - 1; w >= 0; w--) {
    const n = nodes[w]!;
    if (n.k !== 'where' || n.a === n.b) continue;
    for (const taken of ['a', 'b'] as const) {
      const root = n[taken];
      if (root === n.c || consumers[root]!.some((c) => c !== w)) continue;
      const inside = new Set([root]);
      const stack = [root];
      while (stack.length) {
        for (const j of operands(nodes[stack.pop()!]!)) {
          if (!inside.has(j) && consumers[j]!.every((c) => inside.has(c))) {
            inside.add(j);
            stack.push(j);
          }
        }
      }
      for (const j of inside) owner.set(j, { where: w, taken });
    }
  }
  return owner;
}

/** the node ids a node reads */
export function operands(n: ExprNode): number[] {
  switch (n.k) {
    case 'leaf':
    case 'const':
    case 'inRange':
      return [];
    case 'unary':
    case 'cast':
      return [n.x];
    case 'binary':
    case 'compare':
      return [n.a, n.b];
    case 'where':
      return [n.c, n.a, n.b];
  }
}

/**
 * Emits a program's nodes in order, each where whose branches own nodes (see branchOwners) as an
 * if/else computing only the branch taken: `line(i)` is node i's statement, `where(i, a, b)`
 * wraps two blocks into the where's statement(s).
 */
export function emitNodes(nodes: readonly ExprNode[], line: (i: number) => string, where: (i: number, a: string, b: string) => string): string {
  const owner = branchOwners(nodes);
  const scopeOf = (i: number) => {
    const o = owner.get(i);
    return o ? `${o.where}${o.taken}` : '';
  };
  const emit = (scope: string): string => {
    const out: string[] = [];
    nodes.forEach((n, i) => {
      if (scopeOf(i) !== scope) return;
      const branches = n.k === 'where' && nodes.some((_, j) => owner.get(j)?.where === i);
      out.push(branches ? where(i, emit(`${i}a`), emit(`${i}b`)) : line(i));
    });
    return out.join('\n');
  };
  return emit('');
}

export interface Nest {
  sizes: number[];
  /** per leaf, per loop */
  strides: number[][];
  groups: number[];
  /** the loop of each given dim (-1: a size-1 dim, coordinate 0) */
  loopOf: number[];
}

/**
 * The loops a kernel runs a program in. Drops size-1 loops and merges a loop into the one outside it when every leaf allows it and
 * both have the same group (a dim with its own group keeps its own loop: its index is a coordinate).
 */
export function mergeLoops(sizes: readonly number[], strides: readonly (readonly number[])[], groups: readonly number[]): Nest {
  const out: Nest = { sizes: [], strides: strides.map(() => []), groups: [], loopOf: [] };
  for (let d = 0; d < sizes.length; d++) {
    const n = sizes[d]!;
    if (n === 1) {
      out.loopOf.push(-1);
      continue;
    }
    const last = out.sizes.length - 1;
    if (last >= 0 && out.groups[last] === groups[d] && strides.every((s, k) => out.strides[k]![last] === s[d]! * n)) {
      out.sizes[last] = out.sizes[last]! * n;
      strides.forEach((s, k) => (out.strides[k]![last] = s[d]!));
    } else {
      out.sizes.push(n);
      out.groups.push(groups[d]!);
      strides.forEach((s, k) => out.strides[k]!.push(s[d]!));
    }
    out.loopOf.push(out.sizes.length - 1);
  }
  return out;
}

/** a group per dim: `base(d)`, except that every dim an inRange node reads gets one of its own */
export function loopGroups(p: { nodes: readonly ExprNode[] }, order: readonly number[], base: (d: number) => number): number[] {
  const own = rangeDims(p);
  return order.map((d) => (own.has(d) ? 10 + d : base(d)));
}
