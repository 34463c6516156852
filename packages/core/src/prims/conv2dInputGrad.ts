import type { Conv2dParams } from '../backend.js';
import { ShapeError, fmtShape } from '../errors.js';
import { tidy } from '../memory.js';
import { type Prim, apply } from '../prim.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { conv2dRaw } from './conv2d.js';
import { conv2dWeightGrad } from './conv2dWeightGrad.js';
import { checkFloatPair, convOutHW, fmtConv } from './convGeometry.js';
import { cropHW, zeroPadHW } from './convCrop.js';

export interface Conv2dInputGradParams {
  conv: Conv2dParams;
  /** [H, W] of the conv input this is the gradient for */
  inputHW: readonly [number, number];
}

/**
 * conv2dInputGrad: dx = IG(dy, w), the adjoint of x ↦ conv2d(x, w) (so <conv2d(x, w), dy> = <x, IG(dy, w)>
 * for every x); it is also the transposed convolution (convTranspose2d). Rows/columns of x that no
 * output reads (the remainder of a stride, or extra `inputHW` size) get zero.
 *
 * IG is bilinear in (dy, w). With G = dL/d(dx) (shape of x):
 *   <G, IG(dy, w)> = <conv2d(G, w), dy>          so  dL/d(dy) = conv2d(G, w)
 *   <conv2d(G, w), dy> = <w, WG(G, dy)>           so  dL/dw   = conv2dWeightGrad(G, dy)
 * When inputHW is larger than the conv of dy's size needs (convTranspose2d with
 * outputPadding >= stride, allowed when dilation > stride), conv2d(G, w) has extra trailing
 * rows/columns: the dy-gradient is cropped to dy's size, and dy is zero-padded to that size for WG.
 */
/** @internal registered in registry.ts */
export const conv2dInputGradPrim: Prim<Conv2dInputGradParams> = {
  name: 'conv2dInputGrad',
  forward: (backend, [dy, w], { conv, inputHW }) => {
    const shape = inputGradShape(dy!.shape, w!.shape, conv, inputHW);
    return { buf: backend.conv2dInputGrad(dy!, w!, conv, inputHW), shape, dtype: dy!.dtype };
  },
  vjp: (g, { inputs: [dy, w], params: { conv }, needs }) => {
    const dyHW: [number, number] = [dy!.shape[2]!, dy!.shape[3]!];
    return [
      needs[0]
        ? tidy(() => {
            const full = conv2dRaw(g, w!, conv);
            return cropHW(full, dyHW);
          })
        : null,
      needs[1]
        ? tidy(() => {
            const [hc, wc] = convOutHW('conv2dInputGrad', g.shape, w!.shape, conv);
            return conv2dWeightGrad(g, zeroPadHW(dy!, [hc, wc]), conv, [w!.shape[2]!, w!.shape[3]!]);
          })
        : null,
    ];
  },
};

/** [N, C, H, W] of IG(dy, w) for an input of size inputHW; errors name the op and every shape. */
function inputGradShape(dy: readonly number[], w: readonly number[], p: Conv2dParams, inputHW: readonly [number, number]): number[] {
  const desc = () => `dy ${fmtShape(dy)}, weight ${fmtShape(w)}, input size ${fmtShape(inputHW)}, ${fmtConv(p)}`;
  if (dy.length !== 4 || w.length !== 4)
    throw new ShapeError(`conv2dInputGrad: expected a 4-D dy [N, O, Ho, Wo] and a 4-D weight [O, C/groups, kh, kw], got ${desc()}`);
  if (dy[1] !== w[0]) throw new ShapeError(`conv2dInputGrad: dy has ${dy[1]} channels but the weight has ${w[0]} output channels (${desc()})`);
  if (!inputHW.every((d) => Number.isInteger(d) && d >= 1)) throw new ShapeError(`conv2dInputGrad: invalid input size (${desc()})`);
  const x = [dy[0]!, w[1]! * p.groups, inputHW[0], inputHW[1]];
  const [hc, wc] = convOutHW('conv2dInputGrad', x, w, p);
  if (hc < dy[2]! || wc < dy[3]!) {
    throw new ShapeError(`conv2dInputGrad: an input of size ${fmtShape(inputHW)} gives a ${hc}x${wc} output, smaller than dy (${desc()})`);
  }
  return x;
}

/**
 * The gradient of conv2d with respect to its input (as torch.nn.grad.conv2d_input): given dy
 * [N, O, Ho, Wo] and w [O, C/groups, kh, kw], returns dx [N, C, H, W] for an input of size
 * `inputHW`. Differentiable in dy and w. `p` is the conv's geometry.
 */
export function conv2dInputGrad(dy: Tensor, w: Tensor, p: Conv2dParams, inputHW: readonly [number, number]): Tensor {
  assertUsable(dy, 'conv2dInputGrad');
  assertUsable(w, 'conv2dInputGrad');
  checkFloatPair('conv2dInputGrad', dy, 'dy', w, 'weight');
  return apply(conv2dInputGradPrim, [dy, w], { conv: p, inputHW: [inputHW[0], inputHW[1]] });
}
