/**
 * Shared helpers for the losses: reductions, argument checks, numerically safe functions whose
 * gradients stay finite at their singular points, index-based padding and slicing, and separable
 * depthwise filtering through conv2d with groups. Everything is composed from core ops, so the
 * gradients (and gradients of gradients) come from the engine.
 */
import { type DType, type Tensor, ShapeError, ValueError, constant, conv2d, fmtShape, pad, scalar, tidy, where } from '@pixgrad/core';

/** PyTorch's reduction argument. */
export type Reduction = 'mean' | 'sum' | 'none';

/** Throws a ValueError unless `r` is one of `allowed`. */
export function checkReduction<R extends string>(op: string, r: R, allowed: readonly R[]): void {
  if (!allowed.includes(r)) {
    throw new ValueError(`${op}: reduction must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(r)}`);
  }
}

/** Applies a PyTorch reduction to an elementwise loss. */
export function reduce(op: string, loss: Tensor, reduction: Reduction = 'mean'): Tensor {
  checkReduction(op, reduction, ['mean', 'sum', 'none']);
  if (reduction === 'none') return loss;
  return reduction === 'sum' ? loss.sum() : loss.mean();
}

/** Throws a ShapeError unless a and b have the same shape. */
export function checkSameShape(op: string, a: Tensor, b: Tensor, names = ['input', 'target']): void {
  if (a.rank !== b.rank || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new ShapeError(`${op}: ${names[0]} ${fmtShape(a.shape)} and ${names[1]} ${fmtShape(b.shape)} must have the same shape`);
  }
}

/** Throws a ShapeError unless x is [N, C, H, W] (optionally with a fixed C). */
export function checkImage(op: string, x: Tensor, name = 'input', channels?: number): void {
  if (x.rank !== 4 || (channels !== undefined && x.shape[1] !== channels)) {
    const what = channels === undefined ? '[N, C, H, W]' : `[N, ${channels}, H, W]`;
    throw new ShapeError(`${op}: ${name} must be ${what}, got ${fmtShape(x.shape)}`);
  }
}

/** Throws a ValueError unless x has a float dtype. */
export function checkFloat(op: string, x: Tensor, name = 'input'): void {
  if (x.dtype !== 'float32' && x.dtype !== 'float64') {
    throw new ValueError(`${op}: ${name} must be float32 or float64, got ${x.dtype} ${fmtShape(x.shape)}`);
  }
}

/** A scalar tensor of x's dtype and device. */
export function scalarLike(x: Tensor, v: number): Tensor {
  return scalar(v, { dtype: x.dtype, device: x.device });
}

/** A constant tensor of x's dtype and device (its buffer made once per device and dtype: see `constant`). */
export function constLike(x: Tensor, data: readonly number[], shape: readonly number[]): Tensor {
  return constant(data, { shape, dtype: x.dtype, device: x.device });
}

/** where(cond, a, b) with numbers allowed for a and b (as scalars of `like`'s dtype). */
export function select(cond: Tensor, a: Tensor | number, b: Tensor | number, like: Tensor): Tensor {
  const ta = typeof a === 'number' ? scalarLike(like, a) : a;
  const tb = typeof b === 'number' ? scalarLike(like, b) : b;
  const out = where(cond, ta, tb);
  if (ta !== a) ta.dispose();
  if (tb !== b) tb.dispose();
  return out;
}

/**
 * sqrt(s) for s >= 0 whose gradient is 0 (not Infinity/NaN) at s = 0: the "double where" trick,
 * sqrt(where(s > 0, s, 1)) selected only where s > 0. At s = 0 this picks the zero subgradient,
 * the choice torch.linalg.norm makes at the origin. Negative s (rounding) gives 0.
 * @example safeSqrt(x.square().sum(1)) // a norm with gradient 0 at 0
 */
export function safeSqrt(s: Tensor): Tensor {
  const pos = s.gt(0);
  const inner = select(pos, s, 1, s);
  const root = inner.sqrt();
  const out = select(pos, root, 0, s);
  pos.dispose();
  inner.dispose();
  root.dispose();
  return out;
}

/**
 * atan2(y, x) whose value and gradient are 0 at the origin (where atan2 has no derivative);
 * elsewhere exactly atan2. Used for hue angles, where a zero-chroma colour has hue 0 by convention.
 * @example safeAtan2(b, a) // hue angle, 0 for grey
 */
export function safeAtan2(y: Tensor, x: Tensor): Tensor {
  const r2 = y.square().add(x.square());
  const nz = r2.gt(0);
  const xs = select(nz, x, 1, x);
  const a = y.atan2(xs);
  const out = select(nz, a, 0, x);
  for (const t of [r2, nz, xs, a]) t.dispose();
  return out;
}

/**
 * x * log(y) with 0 where x == 0 (torch.xlogy), and a zero gradient there.
 * @example xlogy(p, p).sum(1).neg() // entropy
 */
export function xlogy(x: Tensor, y: Tensor): Tensor {
  const nz = x.ne(0);
  const ys = select(nz, y, 1, y);
  const l = ys.log();
  const prod = x.mul(l);
  const out = select(nz, prod, 0, x);
  for (const t of [nz, ys, l, prod]) t.dispose();
  return out;
}

/** The border modes of the losses: core `pad`'s modes other than constant. */
export type BorderMode = 'reflect' | 'replicate' | 'symmetric';

/**
 * Pads one axis under a border mode with core's `pad` (an index selection, so the gradient
 * scatters back onto the cells it came from); a negative count crops that side (after padding the
 * other, so a shift of a size-1 axis still reads its one cell).
 */
export function padAxis(x: Tensor, axis: number, before: number, after: number, mode: BorderMode): Tensor {
  // nothing to add (msssim.m's downsampling of even sizes): an alias, not a gathered copy
  if (before === 0 && after === 0) return x.reshape(x.shape);
  return tidy(() => {
    const pads = new Array<number>(2 * (x.rank - axis)).fill(0);
    pads[2 * (x.rank - 1 - axis)] = Math.max(0, before);
    pads[2 * (x.rank - 1 - axis) + 1] = Math.max(0, after);
    const padded = pad(x, pads, { mode });
    if (before >= 0 && after >= 0) return padded;
    return sliceAxis(padded, axis, Math.max(0, -before), padded.shape[axis]! - Math.max(0, -after));
  });
}

/** Pads H and W of [N, C, H, W] by p on every side. */
export function pad2d(x: Tensor, p: number, mode: BorderMode): Tensor {
  if (p === 0) return x.reshape(x.shape);
  const h = padAxis(x, 2, p, p, mode);
  const out = padAxis(h, 3, p, p, mode);
  h.dispose();
  return out;
}

/** x[..., start:end, ...] along one axis. */
export function sliceAxis(x: Tensor, axis: number, start: number, end: number): Tensor {
  const spec: ([number, number] | null)[] = x.shape.map(() => null);
  spec[axis] = [start, end];
  return x.slice(spec);
}

/** The channels of [N, C, ...] as C tensors [N, 1, ...]. */
export function splitChannels(x: Tensor): Tensor[] {
  const out: Tensor[] = [];
  for (let c = 0; c < x.shape[1]!; c++) out.push(sliceAxis(x, 1, c, c + 1));
  return out;
}

/**
 * A normalised 1-D Gaussian of `size` taps centred on the middle one (MATLAB fspecial).
 * @example gaussian1d(11, 1.5) // SSIM's window
 */
export function gaussian1d(size: number, sigma: number): number[] {
  if (!Number.isInteger(size) || size < 1) throw new ValueError(`gaussian window: size must be a positive integer, got ${size}`);
  if (!(sigma > 0)) throw new ValueError(`gaussian window: sigma must be > 0, got ${sigma}`);
  const c = (size - 1) / 2;
  const g = Array.from({ length: size }, (_, i) => Math.exp(-((i - c) ** 2) / (2 * sigma * sigma)));
  const s = g.reduce((a, b) => a + b, 0);
  return g.map((v) => v / s);
}

/**
 * Filters each channel of [N, C, H, W] with the separable kernel kh (vertical) x kw (horizontal):
 * two depthwise conv2d calls with groups = C (cross-correlation, as PyTorch and MATLAB filter2).
 * `padding` is zero padding on each side (0 = 'valid'). With `consume`, x is disposed after the
 * first pass (the caller's last use), so at most two planes are live.
 */
export function separableFilter(x: Tensor, kh: readonly number[], kw: readonly number[], padding: [number, number] = [0, 0], consume = false): Tensor {
  const C = x.shape[1]!;
  const wh = constLike(x, repeat(kh, C), [C, 1, kh.length, 1]);
  const ww = constLike(x, repeat(kw, C), [C, 1, 1, kw.length]);
  const v = conv2d(x, wh, { groups: C, padding: [padding[0], 0] });
  // the caller's last use of x: free it before the second pass, so at most two planes are live
  if (consume) x.dispose();
  const out = conv2d(v, ww, { groups: C, padding: [0, padding[1]] });
  for (const t of [wh, ww, v]) t.dispose();
  return out;
}

function repeat(k: readonly number[], times: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < times; i++) out.push(...k);
  return out;
}

/**
 * MATLAB-style block averaging by an integer factor f, as in Wang's ssim.m and msssim.m:
 * `imfilter(img, ones(f)/f^2, 'symmetric', 'same')` followed by `img(1:f:end, 1:f:end)`.
 * imfilter puts an even kernel's origin at floor((f+1)/2), so each output is the mean of one
 * f x f block starting floor((f-1)/2) pixels before a multiple of f; blocks that run past an edge
 * use symmetric (edge-including) mirroring. For f = 2 and even sizes this is exactly 2x2 average
 * pooling with stride 2. Output size: ceil(H/f) x ceil(W/f).
 * @example matlabDownsample(img, 2) // [N, C, ceil(H/2), ceil(W/2)]
 */
export function matlabDownsample(x: Tensor, f: number): Tensor {
  if (f === 1) return x.reshape(x.shape);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const before = Math.floor((f - 1) / 2);
  const Ho = Math.ceil(H / f);
  const Wo = Math.ceil(W / f);
  const ph = padAxis(x, 2, before, Ho * f - H - before, 'symmetric');
  const pw = padAxis(ph, 3, before, Wo * f - W - before, 'symmetric');
  const r = pw.reshape([N, C, Ho, f, Wo, f]);
  const out = r.mean([3, 5]);
  for (const t of [ph, pw, r]) t.dispose();
  return out;
}

/** The float dtype a computation on x runs in. */
export function floatDType(x: Tensor): DType {
  return x.dtype === 'float64' ? 'float64' : 'float32';
}
