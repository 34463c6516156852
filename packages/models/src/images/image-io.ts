/**
 * Images <-> pixgrad tensors: `readImage` gives the `[1, C, H, W]` float32 tensor in [0, 1] that
 * every loss in pixgrad takes; `writeImage` saves one as PNG.
 */
import { tensor, type Tensor, type TensorOptions } from '@pixgrad/core';
import { host } from '#host';
import { ImageError } from '../errors.js';
import { decodeImage, type DecodedImage, type DecodeOptions } from './image-decode.js';
import { encodePng, type EncodePngOptions } from './image-encode.js';

export interface ReadImageOptions extends DecodeOptions {
  /**
   * Convert to this many channels (default: keep the file's). 1: luminance
   * 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601, as PIL's `convert('L')`); 3: grey replicated;
   * 4: alpha 1 added. Alpha is dropped (not composited) when converting to 1 or 3.
   */
  channels?: 1 | 3 | 4 | undefined;
  device?: TensorOptions['device'];
}

/**
 * Converts interleaved pixels to `channels` (see `ReadImageOptions.channels`).
 *
 * @example
 * const grey = convertChannels(decodeImage(bytes), 1);
 */
export function convertChannels(img: DecodedImage, channels: 1 | 3 | 4): DecodedImage {
  const from = img.channels;
  if (from === channels) return img;
  const n = img.width * img.height;
  const out = new Float32Array(n * channels);
  const d = img.data;
  const hasColour = from >= 3;
  const hasAlpha = from === 2 || from === 4;
  for (let i = 0; i < n; i++) {
    const s = i * from;
    const r = d[s]!;
    const g = hasColour ? d[s + 1]! : r;
    const b = hasColour ? d[s + 2]! : r;
    const a = hasAlpha ? d[s + from - 1]! : 1;
    const o = i * channels;
    if (channels === 1) out[o] = hasColour ? 0.299 * r + 0.587 * g + 0.114 * b : r;
    else {
      out[o] = r;
      out[o + 1] = g;
      out[o + 2] = b;
      if (channels === 4) out[o + 3] = a;
    }
  }
  return { ...img, channels, data: out };
}

/**
 * Interleaved HWC pixels -> a `[1, C, H, W]` float32 tensor.
 *
 * @example
 * const t = imageToTensor(decodeImage(bytes)); // [1, 3, 64, 64]
 */
export function imageToTensor(img: DecodedImage, opts: Pick<TensorOptions, 'device'> = {}): Tensor {
  const { width: w, height: h, channels: c, data } = img;
  const chw = new Float32Array(c * h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) chw[(k * h + y) * w + x] = data[(y * w + x) * c + k]!;
  return tensor(chw, { shape: [1, c, h, w], dtype: 'float32', ...(opts.device !== undefined ? { device: opts.device } : {}) });
}

/**
 * Reads a PNG, JPEG or GIF (detected from its bytes) as a `[1, C, H, W]` float32 tensor in
 * [0, 1]. 16-bit PNG samples are divided by 65535, 8-bit by 255. C is the file's channel count
 * (grey 1, grey+alpha 2, RGB 3, RGBA 4; palette -> RGB/RGBA) unless `channels` converts it.
 * Corrupt files throw an `ImageError` naming the file.
 *
 * @example
 * const ref = await readImage('ex_ref.png'); // shape [1, 3, 64, 64]
 * const grey = await readImage('photo.jpg', { channels: 1 });
 */
export async function readImage(pathOrBytes: string | Uint8Array, opts: ReadImageOptions = {}): Promise<Tensor> {
  let bytes: Uint8Array;
  let name = opts.name;
  if (typeof pathOrBytes === 'string') {
    name ??= pathOrBytes;
    try {
      bytes = await host.readFile(pathOrBytes);
    } catch (e) {
      throw new ImageError(`cannot read: ${(e as Error).message}`, name);
    }
  } else {
    bytes = pathOrBytes;
  }
  let img = decodeImage(bytes, { ...opts, name });
  if (opts.channels !== undefined) img = convertChannels(img, opts.channels);
  return imageToTensor(img, opts);
}

/**
 * A `[1, C, H, W]`, `[C, H, W]` or `[H, W]` tensor's values as interleaved HWC pixels.
 *
 * @example
 * const png = encodePng(await tensorToImage(t), { bitDepth: 16 });
 */
export async function tensorToImage(t: Tensor): Promise<{ width: number; height: number; channels: number; data: Float32Array }> {
  const s = t.shape;
  let c: number, h: number, w: number;
  if (s.length === 4 && s[0] === 1) [, c, h, w] = s as [number, number, number, number];
  else if (s.length === 3) [c, h, w] = s as [number, number, number];
  else if (s.length === 2) [c, h, w] = [1, s[0]!, s[1]!];
  else throw new ImageError(`an image tensor is [1, C, H, W], [C, H, W] or [H, W], got [${s.join(', ')}]`);
  const chw = await t.data();
  const data = new Float32Array(c * h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) data[(y * w + x) * c + k] = chw[(k * h + y) * w + x]!;
  return { width: w, height: h, channels: c, data };
}

/**
 * Writes a `[1, C, H, W]` (or `[C, H, W]`, `[H, W]`) tensor with values in [0, 1] as a PNG
 * (C = 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA). Values are clamped to [0, 1] and rounded to
 * `bitDepth` (8 or 16) bits. The path must end in `.png`.
 *
 * @example
 * await writeImage('out.png', img, { bitDepth: 16 });
 */
export async function writeImage(path: string, t: Tensor, opts: EncodePngOptions = {}): Promise<void> {
  if (!/\.png$/i.test(path)) throw new ImageError('writeImage writes PNG files; use a .png path', path);
  const img = await tensorToImage(t);
  let png: Uint8Array;
  try {
    png = encodePng(img, opts);
  } catch (e) {
    throw e instanceof ImageError ? new ImageError(e.message, path) : e;
  }
  await host.writeFileAtomic(path, png);
}
