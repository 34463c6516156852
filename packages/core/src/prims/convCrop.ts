import type { Tensor } from '../tensor.js';
import { constantPad } from './pad.js';
import { reshape } from './reshape.js';
import { slice } from './slice.js';

/**
 * Helpers of the conv VJPs for transposed convolutions whose output is larger than the conv of
 * the cotangent needs (outputPadding >= stride): crop or zero-extend the spatial dims of an
 * [N, C, H, W] tensor. Each returns a new handle the caller owns (x itself aliased when nothing changes).
 */

/** x[:, :, :h, :w] */
export function cropHW(x: Tensor, [h, w]: readonly [number, number]): Tensor {
  if (x.shape[2] === h && x.shape[3] === w) return reshape(x, x.shape);
  return slice(x, [null, null, [0, h], [0, w]]);
}

/** x zero-padded at the bottom and right to [h, w] spatially */
export function zeroPadHW(x: Tensor, [h, w]: readonly [number, number]): Tensor {
  return constantPad(
    x,
    [
      [0, 0],
      [0, 0],
      [0, h - x.shape[2]!],
      [0, w - x.shape[3]!],
    ],
    0,
  );
}
