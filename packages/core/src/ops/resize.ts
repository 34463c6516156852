import { tensor } from '../creation.js';
import { allocArray, isFloat } from '../dtype.js';
import { DTypeError, ShapeError, ValueError, fmtShape } from '../errors.js';
import { tidy } from '../memory.js';
import { add } from '../prims/add.js';
import { mul } from '../prims/mul.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { indexSelect } from './indexSelect.js';

export type ResizeMode = 'nearest' | 'bilinear';

export interface ResizeOptions {
  /** default 'bilinear' */
  mode?: ResizeMode;
  /**
   * bilinear only (default false): true maps the corner pixel centres onto each other
   * (src = dst * (in - 1) / (out - 1)); false uses the half-pixel rule src = (dst + 0.5) * in / out - 0.5.
   */
  alignCorners?: boolean;
}

/**
 * PyTorch's 'nearest' source index (UpSample.h, nearest_idx): the identity when sizes match,
 * dst >> 1 when the output is exactly twice the input, otherwise
 * min(floorf(dst * scale), in - 1) with scale = in / out, computed in float32 as PyTorch does
 * (so indices agree with it even where float32 rounding moves a product across an integer).
 */
function nearestIndices(inSize: number, outSize: number): Int32Array {
  const idx = new Int32Array(outSize);
  const scale = Math.fround(inSize / outSize);
  for (let d = 0; d < outSize; d++) {
    if (outSize === inSize) idx[d] = d;
    else if (outSize === 2 * inSize) idx[d] = d >> 1;
    else idx[d] = Math.min(Math.floor(Math.fround(d * scale)), inSize - 1);
  }
  return idx;
}

/**
 * PyTorch's bilinear source taps along one dim (area_pixel_compute_source_index, then
 * upsample_bilinear2d): src = alignCorners ? dst * (in-1)/(out-1) : max((dst + 0.5) * in/out - 0.5, 0);
 * i0 = floor(src), i1 = min(i0 + 1, in - 1), weights 1 - (src - i0) and src - i0.
 */
function bilinearTaps(inSize: number, outSize: number, alignCorners: boolean) {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const w0 = new Float64Array(outSize);
  const w1 = new Float64Array(outSize);
  const scale = alignCorners ? (outSize > 1 ? (inSize - 1) / (outSize - 1) : 0) : inSize / outSize;
  for (let d = 0; d < outSize; d++) {
    const src = alignCorners ? d * scale : Math.max((d + 0.5) * scale - 0.5, 0);
    const a = Math.min(Math.floor(src), inSize - 1);
    const l1 = src - a;
    i0[d] = a;
    i1[d] = a < inSize - 1 ? a + 1 : a;
    w0[d] = 1 - l1;
    w1[d] = l1;
  }
  return { i0, i1, w0, w1 };
}

/**
 * Resizes the spatial dims of an [N, C, H, W] tensor to `size` = [outH, outW], as
 * torch.nn.functional.interpolate(x, size, mode, align_corners):
 * - 'nearest': out[i, j] = x[floor(i * H/outH), floor(j * W/outW)] (PyTorch's legacy 'nearest',
 *   not 'nearest-exact'); differentiable (the gradient is summed back to the picked pixels).
 * - 'bilinear' (default): separable linear interpolation between the two nearest pixels of each
 *   dim; alignCorners (default false) as PyTorch: false uses the half-pixel rule
 *   src = (dst + 0.5) * in/out - 0.5 clamped at 0, true uses src = dst * (in-1)/(out-1); the upper
 *   neighbour is clamped at the border.
 * A composite of indexSelect, mul and add, so gradients of any order come from those ops.
 * @example resize(img, [2 * h, 2 * w], { mode: 'bilinear' })
 */
export function resize(x: Tensor, size: readonly [number, number] | readonly number[], opts: ResizeOptions = {}): Tensor {
  assertUsable(x, 'resize');
  const mode = opts.mode ?? 'bilinear';
  if (mode !== 'nearest' && mode !== 'bilinear') throw new ValueError(`resize: unknown mode ${JSON.stringify(mode)} (use 'nearest' or 'bilinear')`);
  if (mode === 'nearest' && opts.alignCorners !== undefined) {
    throw new ValueError(`resize: alignCorners can only be set with mode 'bilinear' (as PyTorch), got mode 'nearest'`);
  }
  if (x.rank !== 4) throw new ShapeError(`resize: expected a 4-D input [N, C, H, W], got ${fmtShape(x.shape)} (size ${JSON.stringify(size)})`);
  if (!Array.isArray(size) || size.length !== 2 || !size.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new ValueError(`resize: size must be [height, width] with positive integers, got ${JSON.stringify(size)} for input ${fmtShape(x.shape)}`);
  }
  const [oh, ow] = size as [number, number];
  const [h, w] = [x.shape[2]!, x.shape[3]!];
  if (h < 1 || w < 1) throw new ShapeError(`resize: cannot resize an empty input ${fmtShape(x.shape)} to ${fmtShape(size)}`);
  const dev = { device: x.device };
  const idx = (a: Int32Array) => tensor(a, { shape: [a.length], dtype: 'int32', ...dev });

  if (mode === 'nearest') {
    return tidy(() => indexSelect(indexSelect(x, 2, idx(nearestIndices(h, oh))), 3, idx(nearestIndices(w, ow))));
  }
  if (!isFloat(x.dtype)) throw new DTypeError(`resize: bilinear needs a float input, got ${x.dtype} ${fmtShape(x.shape)}`);
  const alignCorners = opts.alignCorners ?? false;
  const weights = (a: Float64Array, shape: number[]) => {
    const arr = allocArray(x.dtype, a.length);
    arr.set(a);
    return tensor(arr, { shape, dtype: x.dtype, ...dev });
  };
  return tidy(() => {
    const th = bilinearTaps(h, oh, alignCorners);
    const tw = bilinearTaps(w, ow, alignCorners);
    // rows: [N, C, oh, W]
    const rows = add(mul(indexSelect(x, 2, idx(th.i0)), weights(th.w0, [oh, 1])), mul(indexSelect(x, 2, idx(th.i1)), weights(th.w1, [oh, 1])));
    // columns: [N, C, oh, ow]
    return add(mul(indexSelect(rows, 3, idx(tw.i0)), weights(tw.w0, [ow])), mul(indexSelect(rows, 3, idx(tw.i1)), weights(tw.w1, [ow])));
  });
}
