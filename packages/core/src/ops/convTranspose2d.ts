import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { tidy } from '../memory.js';
import { add } from '../prims/add.js';
import { conv2dInputGrad } from '../prims/conv2dInputGrad.js';
import { type Pair, checkFloatPair, convParams, fmtConv, pair } from '../prims/convGeometry.js';
import { reshape } from '../prims/reshape.js';
import { type Tensor, assertUsable } from '../tensor.js';

export interface ConvTranspose2dOptions {
  /** [Cout], added to every output channel */
  bias?: Tensor | null;
  /** default 1 */
  stride?: Pair;
  /** crops `padding` rows/columns from both sides of the full output (the conv's padding); default 0 */
  padding?: Pair;
  /** extra rows/columns at the bottom/right of the output (smaller than stride or dilation); default 0 */
  outputPadding?: Pair;
  /** default 1 */
  dilation?: Pair;
  /** default 1 */
  groups?: number;
}

/**
 * Transposed 2-D convolution as torch.nn.functional.conv_transpose2d: input x [N, Cin, H, W] (or
 * unbatched [Cin, H, W]), weight w [Cin, Cout/groups, kh, kw] (PyTorch's layout), optional bias [Cout].
 * Output [N, Cout, Ho, Wo] with
 *   Ho = (H - 1) * stride - 2 * padding + dilation * (kh - 1) + outputPadding + 1   (likewise Wo).
 * It is exactly the gradient of conv2d(·, w) with respect to its input (the conv2dInputGrad
 * primitive, whose VJPs are conv2d and conv2dWeightGrad), so it is differentiable to any order.
 * @example convTranspose2d(x, w, { stride: 2, padding: 1, outputPadding: 1 }) // 2x upsampling with a 3x3 kernel
 */
export function convTranspose2d(x: Tensor, w: Tensor, opts: ConvTranspose2dOptions = {}): Tensor {
  const op = 'convTranspose2d';
  for (const t of opts.bias ? [x, w, opts.bias] : [x, w]) assertUsable(t, op);
  const p = convParams(op, opts);
  const outPad = pair(op, 'outputPadding', opts.outputPadding ?? 0, 0);
  if (x.rank === 3) {
    return tidy(() => {
      const y = convTranspose2d(reshape(x, [1, ...x.shape]), w, opts);
      return reshape(y, y.shape.slice(1));
    });
  }
  checkFloatPair(op, x, 'input', w, 'weight');
  const desc = () => `input ${fmtShape(x.shape)}, weight ${fmtShape(w.shape)}, ${fmtConv(p)}, outputPadding ${fmtShape(outPad)}`;
  if (x.rank !== 4) throw new ShapeError(`${op}: expected a 4-D input [N, Cin, H, W] (or unbatched [Cin, H, W]), got ${desc()}`);
  if (w.rank !== 4) throw new ShapeError(`${op}: expected a 4-D weight [Cin, Cout/groups, kh, kw], got ${desc()}`);
  const [, cin, h, wd] = x.shape as [number, number, number, number];
  if (w.shape[0] !== cin) throw new ShapeError(`${op}: the input has ${cin} channels but weight.shape[0] is ${w.shape[0]} (${desc()})`);
  if (cin % p.groups !== 0) throw new ShapeError(`${op}: ${cin} input channels are not divisible by groups = ${p.groups} (${desc()})`);
  for (let d = 0; d < 2; d++) {
    if (outPad[d]! >= Math.max(p.stride[d]!, p.dilation[d]!)) {
      throw new ValueError(`${op}: outputPadding must be smaller than stride or dilation (${desc()})`);
    }
  }
  const out = [h, wd].map((n, d) => (n - 1) * p.stride[d]! - 2 * p.padding[d]! + p.dilation[d]! * (w.shape[2 + d]! - 1) + outPad[d]! + 1) as [number, number];
  if (out[0] < 1 || out[1] < 1) throw new ShapeError(`${op}: the output would be ${out[0]}x${out[1]}, too small (${desc()})`);
  const cout = w.shape[1]! * p.groups;
  const { bias } = opts;
  if (bias) {
    checkFloatPair(op, x, 'input', bias, 'bias');
    if (bias.rank !== 1 || bias.shape[0] !== cout)
      throw new ShapeError(`${op}: bias must have shape [${cout}] (one per output channel), got bias ${fmtShape(bias.shape)} (${desc()})`);
  }
  if (!bias) return conv2dInputGrad(x, w, p, out);
  return tidy(() => add(conv2dInputGrad(x, w, p, out), reshape(bias, [cout, 1, 1])));
}
