/**
 * PNG encoding of float pixels (with `fast-png`): values are clamped to [0, 1], scaled by
 * 2^bitDepth - 1 and rounded to nearest, so 8-bit and 16-bit files round-trip exactly through
 * `decodeImage` (x / 255 or x / 65535). NaN is written as 0.
 */
import { encode as encodePngLib } from 'fast-png';
import { ImageError } from '../errors.js';

export interface EncodePngOptions {
  /** Bits per sample: 8 (default) or 16. */
  bitDepth?: 8 | 16;
}

/**
 * Encodes HWC float pixels in [0, 1] as a PNG (1 = grey, 2 = grey+alpha, 3 = RGB, 4 = RGBA).
 *
 * @example
 * const png = encodePng({ width: 2, height: 1, channels: 1, data: new Float32Array([0, 1]) }, { bitDepth: 16 });
 */
export function encodePng(img: { width: number; height: number; channels: number; data: ArrayLike<number> }, opts: EncodePngOptions = {}): Uint8Array {
  const depth = opts.bitDepth ?? 8;
  if (depth !== 8 && depth !== 16) throw new ImageError(`bitDepth must be 8 or 16, got ${String(depth)}`);
  const { width, height, channels } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new ImageError(`image size ${width}x${height}`);
  if (![1, 2, 3, 4].includes(channels)) throw new ImageError(`a PNG has 1, 2, 3 or 4 channels, not ${channels}`);
  const n = width * height * channels;
  if (img.data.length !== n) throw new ImageError(`${img.data.length} values for ${width}x${height}x${channels}`);
  const max = 2 ** depth - 1;
  const out = depth === 8 ? new Uint8Array(n) : new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const v = img.data[i]!;
    out[i] = v > 0 ? (v >= 1 ? max : Math.round(v * max)) : 0; // NaN and negatives -> 0
  }
  return encodePngLib({ width, height, channels, depth, data: out });
}
