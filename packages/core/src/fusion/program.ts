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
 * no buffer and no dispatch). Every node has the dtype the unfused kernel would have stored, and a
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
  | { readonly k: 'cast'; readonly dtype: DType; readonly x: number };

export type ExprKind = ExprNode['k'];

/** A buffer read by a program: where each output index finds its element. */
export interface Leaf<B> {
  readonly buf: B;
  readonly dtype: DType;
  readonly strides: readonly number[];
  readonly offset: number;
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
export function programKey(p: { nodes: readonly ExprNode[]; leaves: readonly { dtype: DType }[] }): string {
  const leaves = p.leaves.map((l) => l.dtype).join(',');
  const nodes = p.nodes.map((n) => {
    switch (n.k) {
      case 'leaf': return `L${n.leaf}`;
      case 'const': return `C${n.dtype}:${Object.is(n.value, -0) ? '-0' : n.value}`;
      case 'unary': return `U${n.dtype}:${n.op}(${n.x})${JSON.stringify(n.params)}`;
      case 'binary': return `B${n.dtype}:${n.op}(${n.a},${n.b})`;
      case 'compare': return `P${n.dtype}:${n.op}(${n.a},${n.b})`;
      case 'where': return `W${n.dtype}(${n.c},${n.a},${n.b})`;
      case 'cast': return `T${n.dtype}(${n.x})`;
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
