import { getBackend } from '../engine.js';
import { AxisError, DTypeError, IndexError, ShapeError, fmtShape } from '../errors.js';
import { tidy } from '../memory.js';
import { normalizeAxis } from '../shape.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { expand } from '../prims/expand.js';
import { gather } from '../prims/gather.js';
import { reshape } from '../prims/reshape.js';

/** @internal IndexError for values outside [0, size), checked on backends that read synchronously. */
export function checkIndexValues(op: string, index: Tensor, size: number, what: string): void {
  const backend = getBackend(index.device);
  if (!backend.readSync) return; // WebGPU: the kernels flag them, and the next read throws the IndexError
  const v = backend.readSync(index._view());
  for (let i = 0; i < v.length; i++) {
    if (!(v[i]! >= 0 && v[i]! < size))
      throw new IndexError(`${op}: index ${v[i]} (at flat position ${i} of the index ${fmtShape(index.shape)}) is out of range for ${what} of size ${size}`);
  }
}

/**
 * The slices of x at the positions a 1-D int32 `index` lists along `axis` (as torch.index_select):
 * out.shape[axis] = index.length; positions may repeat (their gradients add up). Built on gather
 * with the index broadcast over the other dimensions, so its gradient is a scatter-add.
 * @example indexSelect(tensor([[1, 2], [3, 4], [5, 6]]), 0, tensor([2, 0], { dtype: 'int32' })) // [[5, 6], [1, 2]]
 */
export function indexSelect(x: Tensor, axis: number, index: Tensor): Tensor {
  assertUsable(x, 'indexSelect');
  assertUsable(index, 'indexSelect');
  if (x.rank === 0) throw new AxisError(`indexSelect: needs a tensor of rank >= 1, got shape ${fmtShape(x.shape)}`);
  const a = normalizeAxis('indexSelect', axis, x.rank);
  if (index.dtype !== 'int32') throw new DTypeError(`indexSelect: the index must be int32, got ${index.dtype}`);
  if (index.rank > 1) throw new ShapeError(`indexSelect: the index must be 1-D, got shape ${fmtShape(index.shape)} (x is ${fmtShape(x.shape)})`);
  checkIndexValues('indexSelect', index, x.shape[a]!, `axis ${a} of x ${fmtShape(x.shape)}`);
  const k = index.size;
  return tidy(() => {
    const outShape = x.shape.map((n, d) => (d === a ? k : n));
    const idx = expand(
      reshape(
        index,
        x.shape.map((_, d) => (d === a ? k : 1)),
      ),
      outShape,
    );
    return gather(x, a, idx);
  });
}
