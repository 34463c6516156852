import { ones, tensor } from '../creation.js';
import { allocArray, isFloat } from '../dtype.js';
import { DTypeError, ValueError, fmtShape } from '../errors.js';
import { tidy } from '../memory.js';
import { conv2dRaw } from '../prims/conv2d.js';
import { type Pair, pair } from '../prims/convGeometry.js';
import { div } from '../prims/div.js';
import { poolOutHW } from '../prims/maxPool2d.js';
import { constantPad } from '../prims/pad.js';
import { reshape } from '../prims/reshape.js';
import { type Tensor, assertUsable } from '../tensor.js';

export interface AvgPool2dOptions {
  /** window size: an int or [kh, kw] */
  kernelSize: Pair;
  /** default: kernelSize */
  stride?: Pair;
  /** implicit zero padding on both sides, at most half the kernel; default 0 */
  padding?: Pair;
  /** use ceil instead of floor for the output size; default false */
  ceilMode?: boolean;
  /** count padded zeros in the divisor; default true (as PyTorch) */
  countIncludePad?: boolean;
  /** divide every window sum by this instead */
  divisorOverride?: number;
}

/**
 * 2-D average pooling as torch.nn.functional.avg_pool2d, on [N, C, H, W] (or unbatched [C, H, W]).
 * Output size as maxPool2d (dilation 1). Each output is the window sum divided by, as PyTorch's
 * kernel does (window rows hs = i*stride - padding .. he = min(hs + k, H + padding), likewise columns):
 * - divisorOverride when given;
 * - countIncludePad (default): (he - hs) * (we - ws), the window clipped to the padded input, so
 *   windows that ceilMode lets run past the padding count only the part inside it;
 * - otherwise: the number of real input cells in the window.
 * A composite: the window sums are one conv2d of the [N*C, 1, H, W] planes with a kernel of ones
 * (zero-padded, plus extra bottom/right zeros for ceilMode windows), divided by a constant map of
 * divisors; the gradient (and its gradient) comes from conv2d.
 * @example avgPool2d(x, { kernelSize: 2 }) // 2x2 means
 */
export function avgPool2d(x: Tensor, opts: AvgPool2dOptions): Tensor {
  assertUsable(x, 'avgPool2d');
  if (opts === null || typeof opts !== 'object')
    throw new ValueError(`avgPool2d: options with a kernelSize are required, got ${opts === null ? 'null' : typeof opts}`);
  const kernel = pair('avgPool2d', 'kernelSize', opts.kernelSize, 1);
  const stride = pair('avgPool2d', 'stride', opts.stride ?? opts.kernelSize, 1);
  const padding = pair('avgPool2d', 'padding', opts.padding ?? 0, 0);
  const ceilMode = opts.ceilMode ?? false;
  const countIncludePad = opts.countIncludePad ?? true;
  const { divisorOverride } = opts;
  if (divisorOverride !== undefined && (!Number.isFinite(divisorOverride) || divisorOverride === 0)) {
    throw new ValueError(`avgPool2d: divisorOverride must be a non-zero number, got ${divisorOverride}`);
  }
  if (!isFloat(x.dtype)) throw new DTypeError(`avgPool2d: expected a float input, got ${x.dtype} ${fmtShape(x.shape)}`);
  if (x.rank === 3) {
    return tidy(() => {
      const y = avgPool2d(reshape(x, [1, ...x.shape]), opts);
      return reshape(y, y.shape.slice(1));
    });
  }
  const [ho, wo] = poolOutHW('avgPool2d', x.shape, { kernel, stride, padding, dilation: [1, 1], ceilMode });
  const [n, c, h, w] = x.shape as [number, number, number, number];

  // divisor per output position, exactly as PyTorch's avg_pool2d kernel
  const divisor = allocArray(x.dtype, ho * wo);
  for (let i = 0; i < ho; i++) {
    for (let j = 0; j < wo; j++) {
      let hs = i * stride[0] - padding[0];
      let ws = j * stride[1] - padding[1];
      let he = Math.min(hs + kernel[0], h + padding[0]);
      let we = Math.min(ws + kernel[1], w + padding[1]);
      const poolSize = (he - hs) * (we - ws);
      hs = Math.max(hs, 0);
      ws = Math.max(ws, 0);
      he = Math.min(he, h);
      we = Math.min(we, w);
      divisor[i * wo + j] = divisorOverride ?? (countIncludePad ? poolSize : (he - hs) * (we - ws));
    }
  }

  return tidy(() => {
    // windows that ceilMode allows past the bottom/right padding read extra zeros
    const extraH = Math.max(0, (ho - 1) * stride[0] + kernel[0] - (h + 2 * padding[0]));
    const extraW = Math.max(0, (wo - 1) * stride[1] + kernel[1] - (w + 2 * padding[1]));
    let planes = reshape(x, [n * c, 1, h, w]);
    let convPad: [number, number] = padding;
    if (extraH > 0 || extraW > 0) {
      planes = constantPad(
        planes,
        [
          [0, 0],
          [0, 0],
          [padding[0], padding[0] + extraH],
          [padding[1], padding[1] + extraW],
        ],
        0,
      );
      convPad = [0, 0];
    }
    const k = ones([1, 1, kernel[0], kernel[1]], { dtype: x.dtype, device: x.device });
    const sums = conv2dRaw(planes, k, { stride, padding: convPad, dilation: [1, 1], groups: 1 });
    const d = tensor(divisor, { shape: [ho, wo], dtype: x.dtype, device: x.device });
    return reshape(div(sums, d), [n, c, ho, wo]);
  });
}
