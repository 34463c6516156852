import type { Pool2dParams, View } from '../../backend.js';
import { allocArray, type DataArray } from '../../dtype.js';

/**
 * Max pooling over each [H, W] plane of x [N, C, H, W], as PyTorch's CPU kernel:
 *
 *   y[n, c, oy, ox] = max over (i, j) of x[n, c, oy*sh - ph + i*dh, ox*sw - pw + j*dw]
 *
 * for i < kh, j < kw, taking only taps inside the plane: padding counts as -inf and never wins.
 * The index output is the winner's flat position iy*W + ix in its plane (int32). Taps are visited
 * row by row; a later tap replaces the current winner only when strictly greater, so the first
 * maximum wins ties, or when it is NaN (`val > max || isnan(val)`, as PyTorch), so a NaN in the
 * window propagates to the value and the index points at the window's last NaN. outHW is given by
 * the primitive (floor or ceil mode, PyTorch's rule included), so windows may hang over the edge.
 * A window with no tap inside the plane (possible with dilation even under PyTorch's padding <=
 * kernel/2 rule, e.g. W = 1, kernel 2, dilation 2, padding 1) gives -inf, and as index its first
 * tap at or after 0 on each axis clamped into the plane, so the index is always a valid position.
 */
export function maxPool2d(x: View<DataArray>, p: Pool2dParams, outHW: readonly [number, number]): { values: DataArray; indices: Int32Array } {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [Ho, Wo] = outHW;
  const [kh, kw] = p.kernel,
    [sh, sw] = p.stride,
    [ph, pw] = p.padding,
    [dh, dw] = p.dilation;
  const planes = N * C;
  const values = allocArray(x.dtype, planes * Ho * Wo);
  const indices = new Int32Array(planes * Ho * Wo);
  const src = x.buf;
  // per output column, the first tap inside [0, W) and the end of the taps
  const colStart = new Int32Array(Wo),
    colEnd = new Int32Array(Wo);
  for (let ox = 0; ox < Wo; ox++) {
    const [s, e] = taps(ox * sw - pw, dw, kw, W);
    colStart[ox] = s;
    colEnd[ox] = e;
  }
  let o = 0;
  for (let pl = 0; pl < planes; pl++) {
    const base = pl * H * W;
    for (let oy = 0; oy < Ho; oy++) {
      const [y0, y1] = taps(oy * sh - ph, dh, kh, H);
      for (let ox = 0; ox < Wo; ox++, o++) {
        const x0 = colStart[ox]!,
          x1 = colEnd[ox]!;
        let best = -Infinity;
        let at = Math.min(y0, H - 1) * W + Math.min(x0, W - 1);
        for (let iy = y0; iy < y1; iy += dh) {
          const row = base + iy * W;
          for (let ix = x0; ix < x1; ix += dw) {
            const v = src[row + ix]!;
            if (v > best || v !== v) {
              best = v;
              at = iy * W + ix;
            }
          }
        }
        values[o] = best;
        indices[o] = at;
      }
    }
  }
  return { values, indices };
}

/**
 * The taps start + t*step (t < k) that fall in [0, size): returns [first, end) where first is the
 * first such position and end bounds the loop `for (q = first; q < end; q += step)`.
 */
function taps(start: number, step: number, k: number, size: number): [number, number] {
  let first = start;
  if (first < 0) first += Math.ceil(-first / step) * step;
  const end = Math.min(start + (k - 1) * step + 1, size);
  return [first, Math.max(first, end)];
}
