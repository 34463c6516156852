import { DTypeError, ShapeError, fmtShape } from '../errors.js';
import { type Prim, apply } from '../prim.js';
import { broadcastShapes } from '../shape.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { reshape } from './reshape.js';
import { sumTo } from './sum.js';

export interface MatmulParams {
  /** read a's last two dims transposed: a is [..., k, m] */
  transA: boolean;
  /** read b's last two dims transposed: b is [..., n, k] */
  transB: boolean;
}

/** [m, k] and [k, n] of op(a)·op(b), where op transposes the last two dims when the flag is set. */
function dims(a: readonly number[], b: readonly number[], { transA, transB }: MatmulParams) {
  const [ar, ac] = [a[a.length - 2]!, a[a.length - 1]!];
  const [br, bc] = [b[b.length - 2]!, b[b.length - 1]!];
  return transA
    ? transB
      ? { m: ac, ka: ar, kb: bc, n: br }
      : { m: ac, ka: ar, kb: br, n: bc }
    : transB
      ? { m: ar, ka: ac, kb: bc, n: br }
      : { m: ar, ka: ac, kb: br, n: bc };
}

/**
 * matmul: out = op(A)·op(B), batched over the leading dims with numpy broadcasting; op(X) is X or
 * its last-two-dims transpose (the flags let the VJP avoid transposed copies).
 *
 * VJP (before summing over broadcast batch dims), with g = dL/dout:
 *   dL/d op(A) = g·op(B)ᵀ  and  dL/d op(B) = op(A)ᵀ·g, so
 *   transA=false: dA = g·op(B)ᵀ        transA=true: dA = op(B)·gᵀ
 *   transB=false: dB = op(A)ᵀ·g        transB=true: dB = gᵀ·op(A)
 * each written as one matmul with the right flags (e.g. op(B)ᵀ = B read with transB flipped),
 * then summed back to the operand's batch shape.
 */
/** @internal registered in registry.ts */
export const matmulPrim: Prim<MatmulParams> = {
  name: 'matmul',
  forward: (backend, [a, b], p) => {
    const outShape = matmulShape(a!.shape, b!.shape, p);
    return { buf: backend.matmul(a!, b!, p.transA, p.transB, outShape), shape: outShape, dtype: a!.dtype };
  },
  vjp: (g, { inputs: [a, b], params: { transA, transB }, needs }) => {
    let ga: Tensor | null = null;
    let gb: Tensor | null = null;
    if (needs[0]) {
      const d = transA ? matmulRaw(b!, g, transB, true) : matmulRaw(g, b!, false, !transB);
      ga = sumToAndDispose(d, a!.shape);
    }
    if (needs[1]) {
      const d = transB ? matmulRaw(g, a!, true, transA) : matmulRaw(a!, g, !transA, false);
      gb = sumToAndDispose(d, b!.shape);
    }
    return [ga, gb];
  },
};

function sumToAndDispose(g: Tensor, shape: readonly number[]): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const r = sumTo(g, shape);
  g.dispose();
  return r;
}

function matmulShape(a: readonly number[], b: readonly number[], p: MatmulParams): number[] {
  const { m, ka, kb, n } = dims(a, b, p);
  if (ka !== kb) {
    throw new ShapeError(`matmul: inner dimensions differ: ${fmtShape(a)}${p.transA ? 'ᵀ' : ''} @ ${fmtShape(b)}${p.transB ? 'ᵀ' : ''} (${ka} vs ${kb})`);
  }
  const batch = broadcastShapes('matmul', a.slice(0, -2), b.slice(0, -2));
  return [...batch, m, n];
}

/**
 * The matmul primitive on operands of rank >= 2, with optional transposes of the last two dims:
 * op(a)·op(b) with batch dims broadcast. Internal building block of `matmul` and `linear`.
 */
export function matmulRaw(a: Tensor, b: Tensor, transA = false, transB = false): Tensor {
  assertUsable(a, 'matmul');
  assertUsable(b, 'matmul');
  if (a.rank < 2 || b.rank < 2) throw new ShapeError(`matmul: operands must have rank >= 2, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  if (a.dtype !== b.dtype)
    throw new DTypeError(`matmul: operands must have the same dtype, got ${a.dtype} ${fmtShape(a.shape)} and ${b.dtype} ${fmtShape(b.shape)}`);
  if (a.dtype === 'bool') throw new DTypeError(`matmul: bool operands are not supported (${fmtShape(a.shape)} and ${fmtShape(b.shape)}); cast them first`);
  return apply(matmulPrim, [a, b], { transA, transB });
}

/**
 * Matrix product with torch.matmul semantics:
 * - 1-D · 1-D: the dot product (a scalar);
 * - 2-D · 2-D: the matrix product;
 * - a 1-D first operand is read as a row [1, k] and a 1-D second operand as a column [k, 1]; the
 *   added dimension is removed from the result;
 * - higher ranks: batched over the leading dims, which broadcast (numpy rules).
 * Both operands must have the same dtype (as PyTorch; no implicit promotion).
 * Gradients: dA = g·Bᵀ, dB = Aᵀ·g, summed over broadcast batch dims.
 * @example matmul(randn([8, 3, 4]), randn([4, 5])) // [8, 3, 5]
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  assertUsable(a, 'matmul');
  assertUsable(b, 'matmul');
  if (a.rank === 0 || b.rank === 0) {
    throw new ShapeError(`matmul: both operands need at least one dimension, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  }
  if (a.rank >= 2 && b.rank >= 2) return matmulRaw(a, b);
  if ((a.shape[a.rank - 1] ?? 0) !== (b.rank === 1 ? b.shape[0]! : b.shape[b.rank - 2]!)) {
    throw new ShapeError(
      `matmul: inner dimensions differ: ${fmtShape(a.shape)} @ ${fmtShape(b.shape)} (${a.shape[a.rank - 1]} vs ${b.rank === 1 ? b.shape[0] : b.shape[b.rank - 2]})`,
    );
  }
  const a2 = a.rank === 1 ? reshape(a, [1, a.shape[0]!]) : a;
  const b2 = b.rank === 1 ? reshape(b, [b.shape[0]!, 1]) : b;
  const r = matmulRaw(a2, b2);
  if (a2 !== a) a2.dispose();
  if (b2 !== b) b2.dispose();
  // drop the dims added for 1-D operands: [..., 1, n] -> [..., n]; [..., m, 1] -> [..., m]; [1, 1] -> []
  const shape = r.shape.slice(0, -2);
  if (a.rank !== 1) shape.push(r.shape[r.rank - 2]!);
  if (b.rank !== 1) shape.push(r.shape[r.rank - 1]!);
  const out = reshape(r, shape);
  r.dispose();
  return out;
}
