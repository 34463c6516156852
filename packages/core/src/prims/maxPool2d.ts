import type { Pool2dParams } from '../backend.js';
import { DTypeError, ShapeError, ValueError, fmtShape } from '../errors.js';
import { isFloat } from '../dtype.js';
import { tidy } from '../memory.js';
import { type Prim, apply } from '../prim.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { type Pair, pair } from './convGeometry.js';
import { reshape } from './reshape.js';
import { scatterAddInto } from './scatterAdd.js';

/**
 * Output length of a pooling window along one dim, PyTorch's pooling_output_shape:
 *   out = floor_or_ceil((n + 2p - d(k-1) - 1) / s) + 1, and with ceilMode the last window must
 *   start inside the input or the left padding: if (out - 1) * s >= n + p then out -= 1.
 */
export function poolOutSize(n: number, k: number, s: number, p: number, d: number, ceilMode: boolean): number {
  const span = n + 2 * p - d * (k - 1) - 1;
  let out = (ceilMode ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceilMode && (out - 1) * s >= n + p) out--;
  return out;
}

/**
 * Validates pooling geometry for an [N, C, H, W] input as PyTorch does (padding at most half the
 * kernel, output at least 1x1) and returns the output [Ho, Wo]. Errors name the op and every size.
 */
export function poolOutHW(op: string, x: readonly number[], p: Pool2dParams): [number, number] {
  const desc = () =>
    `input ${fmtShape(x)}, kernelSize ${fmtShape(p.kernel)}, stride ${fmtShape(p.stride)}, padding ${fmtShape(p.padding)}, dilation ${fmtShape(p.dilation)}, ceilMode ${p.ceilMode}`;
  if (x.length !== 4) throw new ShapeError(`${op}: expected a 4-D input [N, C, H, W] (or unbatched [C, H, W]), got ${desc()}`);
  if (p.padding[0] > p.kernel[0] / 2 || p.padding[1] > p.kernel[1] / 2) {
    throw new ShapeError(`${op}: padding must be at most half the kernel size (${desc()})`);
  }
  const ho = poolOutSize(x[2]!, p.kernel[0], p.stride[0], p.padding[0], p.dilation[0], p.ceilMode);
  const wo = poolOutSize(x[3]!, p.kernel[1], p.stride[1], p.padding[1], p.dilation[1], p.ceilMode);
  if (ho < 1 || wo < 1) throw new ShapeError(`${op}: the output would be ${ho}x${wo}, too small (${desc()})`);
  return [ho, wo];
}

/**
 * maxPool2d: y[n, c, i, j] = max over the window of x (padded cells are -inf: they never win).
 * The forward saves, per output, the flat index h*W + w of the winner in its [H, W] plane.
 * Ties: the first maximum in row-major window order wins (as PyTorch's CPU kernel, which only
 * replaces the running max on a strictly greater value, or a NaN); the gradient goes to it alone.
 * VJP: dL/dx = scatterAdd of g into zeros [N, C, H*W] at the saved indices along the plane
 * axis (overlapping windows accumulate); scatterAdd's own VJP is gather, so double backward works.
 */
/** @internal registered in registry.ts */
export const maxPool2dPrim: Prim<Pool2dParams> = {
  name: 'maxPool2d',
  forward: (backend, [x], p) => {
    const [ho, wo] = poolOutHW('maxPool2d', x!.shape, p);
    const shape = [x!.shape[0]!, x!.shape[1]!, ho, wo];
    const { values, indices } = backend.maxPool2d(x!, p, [ho, wo]);
    return { buf: values, shape, dtype: x!.dtype, extra: [{ buf: indices, shape, dtype: 'int32' }] };
  },
  vjp: (g, { inputs: [x], extra: [indices] }) =>
    tidy(() => {
      const [n, c, h, w] = x!.shape as [number, number, number, number];
      const plane = g.shape[2]! * g.shape[3]!;
      const src = reshape(g, [n, c, plane]);
      const idx = reshape(indices!, [n, c, plane]);
      return [reshape(scatterAddInto([n, c, h * w], 2, idx, src), x!.shape)];
    }),
};

export interface MaxPool2dOptions {
  /** window size: an int or [kh, kw] */
  kernelSize: Pair;
  /** default: kernelSize */
  stride?: Pair;
  /** implicit -inf padding on both sides, at most half the kernel; default 0 */
  padding?: Pair;
  /** spacing between window taps; default 1 */
  dilation?: Pair;
  /** use ceil instead of floor for the output size (windows may run off the bottom/right); default false */
  ceilMode?: boolean;
}

/**
 * 2-D max pooling as torch.nn.functional.max_pool2d, on [N, C, H, W] (or unbatched [C, H, W]).
 * Output size per dim: floor((H + 2*padding - dilation*(k-1) - 1) / stride) + 1 (ceil with
 * ceilMode, but the last window always starts inside the input or the left padding).
 * Ties within a window: the first maximum in row-major order gets the whole gradient (PyTorch's CPU rule).
 * @example maxPool2d(x, { kernelSize: 2 }) // [N, C, H, W] -> [N, C, H/2, W/2]
 */
export function maxPool2d(x: Tensor, opts: MaxPool2dOptions): Tensor {
  assertUsable(x, 'maxPool2d');
  if (opts === null || typeof opts !== 'object')
    throw new ValueError(`maxPool2d: options with a kernelSize are required, got ${opts === null ? 'null' : typeof opts}`);
  const p: Pool2dParams = {
    kernel: pair('maxPool2d', 'kernelSize', opts.kernelSize, 1),
    stride: pair('maxPool2d', 'stride', opts.stride ?? opts.kernelSize, 1),
    padding: pair('maxPool2d', 'padding', opts.padding ?? 0, 0),
    dilation: pair('maxPool2d', 'dilation', opts.dilation ?? 1, 1),
    ceilMode: opts.ceilMode ?? false,
  };
  if (!isFloat(x.dtype)) throw new DTypeError(`maxPool2d: expected a float input, got ${x.dtype} ${fmtShape(x.shape)}`);
  if (x.rank === 3) {
    const xb = reshape(x, [1, ...x.shape]);
    const yb = apply(maxPool2dPrim, [xb], p);
    xb.dispose();
    const y = reshape(yb, yb.shape.slice(1));
    yb.dispose();
    return y;
  }
  return apply(maxPool2dPrim, [x], p);
}
