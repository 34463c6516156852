import type { Conv2dParams } from '../backend.js';
import { DTypeError, ShapeError, ValueError, fmtShape } from '../errors.js';
import { isFloat } from '../dtype.js';
import type { Tensor } from '../tensor.js';

/**
 * Shared geometry of conv2d, its two gradients, convTranspose2d and pooling: argument
 * normalisation (an int or a [height, width] pair, as PyTorch) and the output-size rule.
 */

/** An int for both spatial dims, or [height, width]. */
export type Pair = number | readonly [number, number] | readonly number[];

/** Normalises an int or a pair to [h, w], checking each is an integer >= min. */
export function pair(op: string, name: string, v: Pair, min: number): [number, number] {
  const p = typeof v === 'number' ? [v, v] : Array.isArray(v) ? [...(v as readonly number[])] : [];
  if (p.length !== 2 || !p.every((d) => Number.isInteger(d) && d >= min)) {
    throw new ValueError(`${op}: ${name} must be an integer >= ${min} or a pair of them, got ${JSON.stringify(v)}`);
  }
  return [p[0]!, p[1]!];
}

/** Output length along one dim: floor((n + 2p - d(k-1) - 1) / s) + 1 (PyTorch's Conv2d formula). */
export function convOutSize(n: number, k: number, s: number, p: number, d: number): number {
  return Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;
}

/** Human-readable geometry for error messages. */
export function fmtConv(p: Conv2dParams): string {
  return `stride ${fmtShape(p.stride)}, padding ${fmtShape(p.padding)}, dilation ${fmtShape(p.dilation)}, groups ${p.groups}`;
}

/** Validates the user's stride/padding/dilation/groups and returns backend params. */
export function convParams(op: string, o: { stride?: Pair; padding?: Pair; dilation?: Pair; groups?: number }): Conv2dParams {
  const groups = o.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new ValueError(`${op}: groups must be a positive integer, got ${groups}`);
  return {
    stride: pair(op, 'stride', o.stride ?? 1, 1),
    padding: pair(op, 'padding', o.padding ?? 0, 0),
    dilation: pair(op, 'dilation', o.dilation ?? 1, 1),
    groups,
  };
}

/** Both float and of one dtype. */
export function checkFloatPair(op: string, a: Tensor, aName: string, b: Tensor, bName: string): void {
  if (!isFloat(a.dtype) || a.dtype !== b.dtype) {
    throw new DTypeError(
      `${op}: ${aName} and ${bName} must be float tensors of the same dtype, got ${aName} ${a.dtype} ${fmtShape(a.shape)} and ${bName} ${b.dtype} ${fmtShape(b.shape)}`,
    );
  }
}

/**
 * Checks x [N, C, H, W] against w [O, C/groups, kh, kw] under p, returning the output [Ho, Wo].
 * Errors name the op, both shapes and the geometry.
 */
export function convOutHW(op: string, x: readonly number[], w: readonly number[], p: Conv2dParams): [number, number] {
  const desc = () => `input ${fmtShape(x)}, weight ${fmtShape(w)}, ${fmtConv(p)}`;
  if (x.length !== 4) throw new ShapeError(`${op}: expected a 4-D input [N, C, H, W]${op === 'conv2d' ? ' (or unbatched [C, H, W])' : ''}, got ${desc()}`);
  if (w.length !== 4) throw new ShapeError(`${op}: expected a 4-D weight [O, C/groups, kh, kw], got ${desc()}`);
  const [, c, h, wd] = x as [number, number, number, number];
  const [o, cg, kh, kw] = w as [number, number, number, number];
  if (cg * p.groups !== c) {
    throw new ShapeError(`${op}: the input has ${c} channels but weight.shape[1] * groups = ${cg} * ${p.groups} = ${cg * p.groups} (${desc()})`);
  }
  if (o % p.groups !== 0) throw new ShapeError(`${op}: ${o} output channels are not divisible by groups = ${p.groups} (${desc()})`);
  const ekh = p.dilation[0] * (kh - 1) + 1;
  const ekw = p.dilation[1] * (kw - 1) + 1;
  if (kh < 1 || kw < 1 || ekh > h + 2 * p.padding[0] || ekw > wd + 2 * p.padding[1]) {
    throw new ShapeError(
      `${op}: the (dilated) kernel ${ekh}x${ekw} is larger than the padded input ${h + 2 * p.padding[0]}x${wd + 2 * p.padding[1]} (${desc()})`,
    );
  }
  return [convOutSize(h, kh, p.stride[0], p.padding[0], p.dilation[0]), convOutSize(wd, kw, p.stride[1], p.padding[1], p.dilation[1])];
}
