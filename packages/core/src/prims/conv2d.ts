import type { Conv2dParams } from '../backend.js';
import { ShapeError, fmtShape } from '../errors.js';
import { type Prim, apply } from '../prim.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { add } from './add.js';
import { conv2dInputGrad } from './conv2dInputGrad.js';
import { conv2dWeightGrad } from './conv2dWeightGrad.js';
import { type Pair, checkFloatPair, convOutHW, convParams } from './convGeometry.js';
import { reshape } from './reshape.js';

/**
 * conv2d: y = conv(x, w), the cross-correlation PyTorch computes:
 *   y[n, o, i, j] = sum_{c in group(o), a, b} x[n, c, i*sh - ph + a*dh, j*sw - pw + b*dw] * w[o, c - c0(o), a, b]
 * with zero padding. y is bilinear in (x, w), so with IG = conv2dInputGrad (the adjoint of x ↦ conv(x, w))
 * and WG = conv2dWeightGrad (the adjoint of w ↦ conv(x, w)):
 *   dL/dx = IG(g, w)    dL/dw = WG(x, g)
 * Both are primitives whose own VJPs are again conv / IG / WG, so gradients of gradients (gradient
 * penalties) go through convolution to any order.
 */
/** @internal registered in registry.ts */
export const conv2dPrim: Prim<Conv2dParams> = {
  name: 'conv2d',
  forward: (backend, [x, w], p) => {
    const [ho, wo] = convOutHW('conv2d', x!.shape, w!.shape, p);
    const shape = [x!.shape[0]!, w!.shape[0]!, ho, wo];
    return { buf: backend.conv2d(x!, w!, p), shape, dtype: x!.dtype };
  },
  vjp: (g, { inputs: [x, w], params, needs }) => [
    needs[0] ? conv2dInputGrad(g, w!, params, [x!.shape[2]!, x!.shape[3]!]) : null,
    needs[1] ? conv2dWeightGrad(x!, g, params, [w!.shape[2]!, w!.shape[3]!]) : null,
  ],
};

/** The conv2d primitive on a 4-D input with validated params (no bias). */
export function conv2dRaw(x: Tensor, w: Tensor, p: Conv2dParams): Tensor {
  checkFloatPair('conv2d', x, 'input', w, 'weight');
  return apply(conv2dPrim, [x, w], p);
}

export interface Conv2dOptions {
  /** [O], added to every output channel */
  bias?: Tensor | null;
  /** default 1 */
  stride?: Pair;
  /** zero padding on both sides of each spatial dim, default 0 */
  padding?: Pair;
  /** spacing between kernel taps, default 1 */
  dilation?: Pair;
  /** split channels into groups convolved separately (groups = C: depthwise), default 1 */
  groups?: number;
}

/**
 * 2-D convolution (cross-correlation) as torch.nn.functional.conv2d: input x [N, C, H, W] (or
 * unbatched [C, H, W]), weight w [O, C/groups, kh, kw] (OIHW), optional bias [O].
 * Output [N, O, Ho, Wo] with Ho = floor((H + 2*padding - dilation*(kh-1) - 1) / stride) + 1
 * (likewise Wo). stride, padding and dilation are an int or a [height, width] pair.
 * Differentiable to any order in x, w and bias.
 * @example conv2d(img, w, { padding: 1 }) // 3x3 'same' conv: [N, C, H, W] -> [N, O, H, W]
 */
export function conv2d(x: Tensor, w: Tensor, opts: Conv2dOptions = {}): Tensor {
  const { bias } = opts;
  for (const t of bias ? [x, w, bias] : [x, w]) assertUsable(t, 'conv2d');
  const p = convParams('conv2d', opts);
  if (x.rank === 3) {
    const xb = reshape(x, [1, ...x.shape]);
    const yb = conv2d(xb, w, opts);
    xb.dispose();
    const y = reshape(yb, yb.shape.slice(1));
    yb.dispose();
    return y;
  }
  if (bias) {
    checkFloatPair('conv2d', x, 'input', bias, 'bias');
    if (bias.rank !== 1 || bias.shape[0] !== w.shape[0]) {
      throw new ShapeError(
        `conv2d: bias must have shape [${w.shape[0] ?? 'O'}] (one per output channel), got bias ${fmtShape(bias.shape)} with input ${fmtShape(x.shape)}, weight ${fmtShape(w.shape)}`,
      );
    }
  }
  const y = conv2dRaw(x, w, p);
  if (!bias) return y;
  const b = reshape(bias, [bias.shape[0]!, 1, 1]);
  const out = add(y, b);
  y.dispose();
  b.dispose();
  return out;
}
