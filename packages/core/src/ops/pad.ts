import { tensor } from '../creation.js';
import { ValueError, fmtShape } from '../errors.js';
import { tidy } from '../memory.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { constantPad } from '../prims/pad.js';
import { reshape } from '../prims/reshape.js';
import { slice } from '../prims/slice.js';
import { indexSelect } from './indexSelect.js';

/** Options of `pad`. */
export interface PadOptions {
  /**
   * 'constant' (default): fill with `value`; 'reflect': mirror without repeating the edge
   * ([1, 2, 3] padded by 2 on the left gives [3, 2, 1, 2, 3]); 'replicate': repeat the edge
   * ([1, 1, 1, 2, 3]). As torch.nn.functional.pad. 'symmetric': mirror repeating the edge
   * ([2, 1, 1, 2, 3]; numpy's and MATLAB's 'symmetric', scipy.ndimage's 'reflect').
   */
  mode?: 'constant' | 'reflect' | 'replicate' | 'symmetric';
  /** the fill value of constant padding (default 0) */
  value?: number;
}

const MODES = ['constant', 'reflect', 'replicate', 'symmetric'];

/** The source position of padded position i (< 0 or >= n) of a dimension of size n, per mode. */
const SOURCE: Record<'reflect' | 'replicate' | 'symmetric', (i: number, n: number) => number> = {
  reflect: (i, n) => (i < 0 ? -i : 2 * (n - 1) - i),
  replicate: (i, n) => (i < 0 ? 0 : n - 1),
  symmetric: (i, n) => (i < 0 ? -i - 1 : 2 * n - 1 - i),
};

/**
 * Pads x as torch.nn.functional.pad: `pads` lists [before, after] counts for the last dimension
 * first, then the one before it, ...: `[left, right]` pads the last dimension,
 * `[left, right, top, bottom]` the last two, up to every dimension.
 *
 * - constant: the primitive pad (its VJP slices the gradient out); negative counts crop, as PyTorch.
 * - reflect / replicate / symmetric: each padded dimension is an index selection (indexSelect) of
 *   mirrored or clamped positions, so the gradient scatter-adds back onto the edge cells it came from, and
 *   gradients of gradients work. Unlike PyTorch (which limits them to the last 1-3 dimensions),
 *   any dimension may be padded. Reflect needs every count < the dimension's size (as PyTorch),
 *   symmetric every count <= it; replicate needs a non-empty dimension; counts must be >= 0.
 * @example pad(tensor([[1, 2, 3]]), [2, 1], { mode: 'reflect' }) // [[3, 2, 1, 2, 3, 2]]
 */
export function pad(x: Tensor, pads: readonly number[], opts: PadOptions = {}): Tensor {
  assertUsable(x, 'pad');
  const mode = opts.mode ?? 'constant';
  const value = opts.value ?? 0;
  if (!MODES.includes(mode)) throw new ValueError(`pad: unknown mode ${JSON.stringify(mode)} (use 'constant', 'reflect', 'replicate' or 'symmetric')`);
  if (!Array.isArray(pads) || pads.length % 2 !== 0 || pads.length > 2 * x.rank || !pads.every(Number.isInteger)) {
    throw new ValueError(
      `pad: pads must be an even-length list of integers, at most 2 per dimension (last dimension first), got [${pads}] for shape ${fmtShape(x.shape)}`,
    );
  }
  if (mode !== 'constant' && value !== 0) throw new ValueError(`pad: value is only used by mode 'constant', got value ${value} with mode '${mode}'`);
  // [before, after] per dimension, first dimension first
  const pairs = x.shape.map((_, d) => {
    const k = x.rank - 1 - d;
    return [pads[2 * k] ?? 0, pads[2 * k + 1] ?? 0] as const;
  });
  if (mode === 'constant') {
    if (pairs.every(([b, a]) => b >= 0 && a >= 0)) return constantPad(x, pairs, value);
    return tidy(() => {
      const crop = slice(
        x,
        pairs.map(([b, a], d) => [Math.max(0, -b), x.shape[d]! - Math.max(0, -a)] as const),
      );
      if (crop.shape.some((n, d) => n !== x.shape[d]! - Math.max(0, -pairs[d]![0]) - Math.max(0, -pairs[d]![1]))) {
        throw new ValueError(`pad: negative pads [${pads}] crop more than shape ${fmtShape(x.shape)} holds`);
      }
      return constantPad(
        crop,
        pairs.map(([b, a]) => [Math.max(0, b), Math.max(0, a)] as const),
        value,
      );
    });
  }
  pairs.forEach(([b, a], d) => {
    const n = x.shape[d]!;
    if (b < 0 || a < 0) throw new ValueError(`pad: mode '${mode}' needs non-negative pads, got [${pads}] for shape ${fmtShape(x.shape)}`);
    if (mode === 'reflect' && (b >= n || a >= n) && (b > 0 || a > 0)) {
      throw new ValueError(
        `pad: reflect padding (${b}, ${a}) of dimension ${d} must be smaller than its size ${n} (shape ${fmtShape(x.shape)}, pads [${pads}])`,
      );
    }
    if (mode === 'symmetric' && (b > n || a > n)) {
      throw new ValueError(`pad: symmetric padding (${b}, ${a}) of dimension ${d} must be at most its size ${n} (shape ${fmtShape(x.shape)}, pads [${pads}])`);
    }
    if (mode === 'replicate' && n === 0 && (b > 0 || a > 0)) {
      throw new ValueError(`pad: cannot replicate-pad dimension ${d} of size 0 (shape ${fmtShape(x.shape)}, pads [${pads}])`);
    }
  });
  return tidy(() => {
    let t = reshape(x, x.shape);
    pairs.forEach(([b, a], d) => {
      if (b === 0 && a === 0) return;
      const n = x.shape[d]!;
      const idx = new Int32Array(b + n + a);
      for (let i = -b; i < n + a; i++) {
        idx[i + b] = i >= 0 && i < n ? i : SOURCE[mode](i, n);
      }
      t = indexSelect(t, d, tensor(idx, { dtype: 'int32', device: x.device }));
    });
    return t;
  });
}
