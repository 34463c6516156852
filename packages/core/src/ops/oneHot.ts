import { full } from '../creation.js';
import { type DType, isDType } from '../dtype.js';
import { getBackend } from '../engine.js';
import { DTypeError, ValueError, fmtShape } from '../errors.js';
import { tidy } from '../memory.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { reshape } from '../prims/reshape.js';
import { scatterAddInto } from '../prims/scatterAdd.js';
import { checkIndexValues } from './indexSelect.js';

export interface OneHotOptions {
  /** dtype of the result (default int32; PyTorch returns int64, which pixgrad does not have) */
  dtype?: DType;
}

/**
 * One-hot encoding (as torch.nn.functional.one_hot): for an int32 index of shape S, a tensor of
 * shape [...S, numClasses] with 1 at position index[s] of row s and 0 elsewhere. numClasses -1
 * means max(index) + 1 (only on backends that read synchronously). Indices outside
 * [0, numClasses) are an IndexError. The result is int32 by default (torch: int64); a float
 * dtype gives a float tensor (not differentiable: it depends on the index only).
 * @example oneHot(tensor([0, 2], { dtype: 'int32' }), 3) // [[1, 0, 0], [0, 0, 1]]
 */
export function oneHot(index: Tensor, numClasses = -1, opts: OneHotOptions = {}): Tensor {
  assertUsable(index, 'oneHot');
  const dtype = opts.dtype ?? 'int32';
  if (!isDType(dtype)) throw new DTypeError(`oneHot: unknown dtype ${JSON.stringify(dtype)}`);
  if (index.dtype !== 'int32') throw new DTypeError(`oneHot: the index must be int32, got ${index.dtype} ${fmtShape(index.shape)}`);
  if (numClasses === -1) {
    const backend = getBackend(index.device);
    if (!backend.readSync) throw new ValueError(`oneHot: numClasses must be given on the ${index.device} backend (inferring it needs a synchronous read)`);
    if (index.size === 0) throw new ValueError(`oneHot: cannot infer numClasses from an empty index ${fmtShape(index.shape)}; pass it`);
    const v = backend.readSync(index._view());
    let top = -Infinity;
    for (let i = 0; i < v.length; i++) top = Math.max(top, v[i]!);
    numClasses = Math.max(top + 1, 0);
  }
  if (!Number.isInteger(numClasses) || numClasses < 0) throw new ValueError(`oneHot: numClasses must be a non-negative integer or -1, got ${numClasses}`);
  checkIndexValues('oneHot', index, numClasses, 'numClasses');
  return tidy(() => {
    const col = reshape(index, [...index.shape, 1]);
    return scatterAddInto([...index.shape, numClasses], index.rank, col, full(col.shape, 1, { dtype, device: index.device }));
  });
}
