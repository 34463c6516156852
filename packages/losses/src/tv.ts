import { type Tensor, ValueError, tidy } from '@pixgrad/core';
import { type Reduction, checkImage, checkReduction, padAxis, safeSqrt } from './util.js';

export interface TotalVariationOptions {
  /** 'anisotropic' (default): |Dx| + |Dy|; 'isotropic': sqrt(Dx^2 + Dy^2) */
  mode?: 'anisotropic' | 'isotropic';
  /**
   * 'sum' (default): the total over the batch; 'mean': that total divided by the number of input
   * elements N*C*H*W; 'none': one total per image, shape [N].
   */
  reduction?: Reduction;
}

/**
 * Total variation of [N, C, H, W] images with forward differences and Neumann boundaries
 * (Rudin, Osher and Fatemi 1992; the discretisation of Chambolle 2004):
 * Dy[i, j] = x[i+1, j] - x[i, j] (0 on the last row), Dx[i, j] = x[i, j+1] - x[i, j] (0 on the
 * last column), summed over channels and pixels:
 *   anisotropic: sum |Dx| + |Dy|   (the default, as kornia.losses.total_variation and
 *                                   tf.image.total_variation)
 *   isotropic:   sum sqrt(Dx^2 + Dy^2)
 * The gradient where a difference (or both, isotropic) is 0 is 0 (the zero subgradient).
 * A ramp x[i, j] = a i + b j has anisotropic TV (H-1) W |a| + H (W-1) |b| per channel.
 * @example totalVariation(img) // smoothness prior for denoising or a generator's output
 */
export function totalVariation(x: Tensor, opts: TotalVariationOptions = {}): Tensor {
  checkImage('totalVariation', x);
  const mode = opts.mode ?? 'anisotropic';
  if (mode !== 'anisotropic' && mode !== 'isotropic') {
    throw new ValueError(`totalVariation: mode must be 'anisotropic' or 'isotropic', got ${JSON.stringify(mode)}`);
  }
  const reduction = opts.reduction ?? 'sum';
  checkReduction('totalVariation', reduction, ['mean', 'sum', 'none']);
  return tidy(() => {
    // shifted copies (the last row / column replicated), so the last difference is 0
    const down = padAxis(x, 2, -1, 1, 'replicate');
    const right = padAxis(x, 3, -1, 1, 'replicate');
    const dy = down.sub(x);
    const dx = right.sub(x);
    const tv = mode === 'anisotropic' ? dx.abs().add(dy.abs()) : safeSqrt(dx.square().add(dy.square()));
    if (reduction === 'none') return tv.sum([1, 2, 3]);
    return reduction === 'sum' ? tv.sum() : tv.mean();
  });
}
