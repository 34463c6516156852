import type { Conv2dParams } from '../backend.js';
import { ShapeError, fmtShape } from '../errors.js';
import { type Prim, apply } from '../prim.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { conv2dRaw } from './conv2d.js';
import { conv2dInputGrad } from './conv2dInputGrad.js';
import { checkFloatPair, convOutHW, fmtConv } from './convGeometry.js';

export interface Conv2dWeightGradParams {
  conv: Conv2dParams;
  /** [kh, kw] of the weight this is the gradient for */
  kernelHW: readonly [number, number];
}

/**
 * conv2dWeightGrad: dw = WG(x, dy), the adjoint of w ↦ conv2d(x, w) (so <conv2d(x, w), dy> = <w, WG(x, dy)>
 * for every w). WG is bilinear in (x, dy). With G = dL/d(dw) (shape of w):
 *   <G, WG(x, dy)> = <conv2d(x, G), dy> = <x, IG(dy, G)>
 * so  dL/dx = conv2dInputGrad(dy, G)  and  dL/d(dy) = conv2d(x, G).
 */
/** @internal registered in registry.ts */
export const conv2dWeightGradPrim: Prim<Conv2dWeightGradParams> = {
  name: 'conv2dWeightGrad',
  forward: (backend, [x, dy], { conv, kernelHW }) => {
    const shape = weightGradShape(x!.shape, dy!.shape, conv, kernelHW);
    return { buf: backend.conv2dWeightGrad(x!, dy!, conv, kernelHW), shape, dtype: x!.dtype };
  },
  vjp: (g, { inputs: [x, dy], params: { conv }, needs }) => [
    needs[0] ? conv2dInputGrad(dy!, g, conv, [x!.shape[2]!, x!.shape[3]!]) : null,
    needs[1] ? conv2dRaw(x!, g, conv) : null,
  ],
};

/** [O, C/groups, kh, kw] of WG(x, dy); dy must be exactly the size conv2d gives for x. */
function weightGradShape(x: readonly number[], dy: readonly number[], p: Conv2dParams, kernelHW: readonly [number, number]): number[] {
  const desc = () => `input ${fmtShape(x)}, dy ${fmtShape(dy)}, kernel size ${fmtShape(kernelHW)}, ${fmtConv(p)}`;
  if (x.length !== 4 || dy.length !== 4) throw new ShapeError(`conv2dWeightGrad: expected a 4-D input [N, C, H, W] and a 4-D dy [N, O, Ho, Wo], got ${desc()}`);
  if (x[0] !== dy[0]) throw new ShapeError(`conv2dWeightGrad: the input has batch ${x[0]} but dy has batch ${dy[0]} (${desc()})`);
  if (x[1]! % p.groups !== 0) throw new ShapeError(`conv2dWeightGrad: ${x[1]} input channels are not divisible by groups (${desc()})`);
  if (!kernelHW.every((d) => Number.isInteger(d) && d >= 1)) throw new ShapeError(`conv2dWeightGrad: invalid kernel size (${desc()})`);
  const w = [dy[1]!, x[1]! / p.groups, kernelHW[0], kernelHW[1]];
  const [ho, wo] = convOutHW('conv2dWeightGrad', x, w, p);
  if (ho !== dy[2] || wo !== dy[3]) {
    throw new ShapeError(`conv2dWeightGrad: dy must be ${ho}x${wo}, the conv2d output size for this input (${desc()})`);
  }
  return w;
}

/**
 * The gradient of conv2d with respect to its weight (as torch.nn.grad.conv2d_weight): given the
 * input x [N, C, H, W] and dy [N, O, Ho, Wo], returns dw [O, C/groups, kh, kw] for a kernel of
 * size `kernelHW`. Differentiable in x and dy. `p` is the conv's geometry.
 */
export function conv2dWeightGrad(x: Tensor, dy: Tensor, p: Conv2dParams, kernelHW: readonly [number, number]): Tensor {
  assertUsable(x, 'conv2dWeightGrad');
  assertUsable(dy, 'conv2dWeightGrad');
  checkFloatPair('conv2dWeightGrad', x, 'input', dy, 'dy');
  return apply(conv2dWeightGradPrim, [x, dy], { conv: p, kernelHW: [kernelHW[0], kernelHW[1]] });
}
