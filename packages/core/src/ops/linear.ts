import { DTypeError, ShapeError, fmtShape } from '../errors.js';
import { tidy } from '../memory.js';
import { add } from '../prims/add.js';
import { matmulRaw } from '../prims/matmul.js';
import { reshape } from '../prims/reshape.js';
import { type Tensor, assertUsable } from '../tensor.js';

/**
 * A fully connected layer as torch.nn.functional.linear: y = x · wᵀ + b, with x [..., in],
 * w [out, in] (PyTorch's layout), b [out]; y [..., out]. One matmul primitive reading w transposed
 * (no copy).
 * @example linear(features, w, b) // [N, 512] -> [N, 10] with w [10, 512]
 */
export function linear(x: Tensor, w: Tensor, bias?: Tensor | null): Tensor {
  for (const t of bias ? [x, w, bias] : [x, w]) assertUsable(t, 'linear');
  const desc = () => `input ${fmtShape(x.shape)}, weight ${fmtShape(w.shape)}${bias ? `, bias ${fmtShape(bias.shape)}` : ''}`;
  if (x.rank < 1 || w.rank !== 2) throw new ShapeError(`linear: expected an input [..., in] and a weight [out, in], got ${desc()}`);
  if (x.shape[x.rank - 1] !== w.shape[1])
    throw new ShapeError(`linear: the input has ${x.shape[x.rank - 1]} features but the weight expects ${w.shape[1]} (${desc()})`);
  if (bias && (bias.rank !== 1 || bias.shape[0] !== w.shape[0])) throw new ShapeError(`linear: bias must have shape [${w.shape[0]}], got ${desc()}`);
  if (bias && bias.dtype !== x.dtype) throw new DTypeError(`linear: bias must have the input's dtype ${x.dtype}, got ${bias.dtype} (${desc()})`);
  return tidy(() => {
    const x2 = x.rank === 1 ? reshape(x, [1, x.shape[0]!]) : x;
    let y = matmulRaw(x2, w, false, true);
    if (x.rank === 1) y = reshape(y, [w.shape[0]!]);
    return bias ? add(y, bias) : y;
  });
}
