import { AxisError, ShapeError, ValueError, fmtShape } from './errors.js';

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major (C-contiguous) strides in elements. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function assertValidShape(op: string, shape: Shape): void {
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new ValueError(`${op}: invalid shape ${fmtShape(shape)}: every dimension must be a non-negative integer`);
    }
  }
}

/** numpy broadcasting: align right, each pair of dims equal or one of them 1. */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i]!;
      if (out[o] === 1) out[o] = d;
      else if (d !== 1 && d !== out[o]) {
        throw new ShapeError(`${op}: shapes ${shapes.map(fmtShape).join(', ')} cannot be broadcast together (dimension ${o - rank} is ${out[o]} vs ${d})`);
      }
    }
  }
  return out;
}

/** Strides that read an array of `shape` as if it had `outShape` (0 on broadcast dims). */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const strides = contiguousStrides(shape);
  const out = new Array<number>(outShape.length).fill(0);
  const off = outShape.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[off + i] = shape[i] === 1 && outShape[off + i] !== 1 ? 0 : strides[i]!;
  return out;
}

export function normalizeAxis(op: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= Math.max(rank, 1)) {
    throw new AxisError(`${op}: axis ${axis} is out of range for a tensor of rank ${rank} (valid: ${-rank}..${Math.max(rank, 1) - 1})`);
  }
  return axis < 0 ? axis + rank : axis;
}

/** Sorted, unique, non-negative axes; undefined means every axis. */
export function normalizeAxes(op: string, axes: number | readonly number[] | undefined, rank: number): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
  const out = list.map((a) => normalizeAxis(op, a, rank));
  if (new Set(out).size !== out.length) throw new AxisError(`${op}: repeated axis in [${list.join(', ')}]`);
  return out.sort((a, b) => a - b);
}

/**
 * The offsets of each batch matrix of a batched op (row-major over `shape`), one per operand:
 * offsets[k] advances by strides[k][d] along batch dim d (0 where operand k broadcasts it).
 */
export function* batchOffsets(shape: Shape, strides: readonly (readonly number[])[]): Generator<number[]> {
  const idx = new Array<number>(shape.length).fill(0);
  const off = strides.map(() => 0);
  const total = sizeOf(shape);
  for (let t = 0; t < total; t++) {
    yield off.slice();
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d]!++;
      strides.forEach((s, k) => (off[k]! += s[d]!));
      if (idx[d]! < shape[d]!) break;
      strides.forEach((s, k) => (off[k]! -= idx[d]! * s[d]!));
      idx[d] = 0;
    }
  }
}

/** Whether batch strides walk consecutive matrices of `size` elements (no broadcast batch dim): the batch folds into the rows. */
export function isDenseBatch(strides: readonly number[], shape: Shape, size: number): boolean {
  let expect = size;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && strides[d] !== expect) return false;
    expect *= shape[d]!;
  }
  return true;
}
