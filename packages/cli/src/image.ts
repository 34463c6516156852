/**
 * Reading the images to compare: PNG, JPEG or GIF (detected from the bytes, never the extension)
 * through @pixgrad/models' decoders, as `[1, C, H, W]` float32 tensors in [0, 1].
 *
 * Alpha: metrics compare colour only. A grey+alpha image becomes grey (C = 1) and an RGBA image
 * becomes RGB (C = 3) by dropping the alpha channel, without compositing on any background (so
 * the stored colour of a fully transparent pixel still counts). Each result says whether alpha
 * was dropped, and the command prints a note. Browser-safe: reading from disk is in files.ts.
 */
import { type Tensor, avgPool2d, resize, tidy } from '@pixgrad/core';
import { PixgradError } from '@pixgrad/core';
import { convertChannels, decodeImage, imageToTensor } from '@pixgrad/models';

/** A problem with one input file (missing, unreadable, not an image, ...): the message names the file. */
export class InputError extends PixgradError {
  override name = 'InputError';
  readonly file: string;
  constructor(file: string, what: string) {
    super(`${file}: ${what}`);
    this.file = file;
  }
}

export interface LoadedImage {
  path: string;
  tensor: Tensor;
  width: number;
  height: number;
  /** colour channels after dropping alpha: 1 (grey) or 3 (RGB) */
  channels: 1 | 3;
  /** the channel count stored in the file (2 and 4 have alpha) */
  fileChannels: 1 | 2 | 3 | 4;
  alphaDropped: boolean;
  format: string;
}

/**
 * Decodes an image file's bytes; throws `InputError` naming `path` when they are not an image.
 * (`loadImage` in files.ts reads them from disk in Node; the web page passes a File's bytes.)
 */
export function imageFromBytes(bytes: Uint8Array, path: string, opts: { maxPixels?: number } = {}): LoadedImage {
  let img;
  try {
    img = decodeImage(bytes, { name: path, ...(opts.maxPixels !== undefined ? { maxPixels: opts.maxPixels } : {}) });
  } catch (e) {
    // ImageError messages already start with the file name
    const msg = (e as Error).message;
    throw new InputError(path, `cannot decode image: ${msg.startsWith(`${path}: `) ? msg.slice(path.length + 2) : msg}`);
  }
  const fileChannels = img.channels;
  const alphaDropped = fileChannels === 2 || fileChannels === 4;
  const channels: 1 | 3 = fileChannels <= 2 ? 1 : 3;
  if (alphaDropped) img = convertChannels(img, channels);
  return {
    path,
    tensor: imageToTensor(img),
    width: img.width,
    height: img.height,
    channels,
    fileChannels,
    alphaDropped,
    format: img.format,
  };
}

/** 'grey' / 'RGB' (with '+alpha dropped' where it applies), for messages. */
export function describeChannels(img: Pick<LoadedImage, 'channels' | 'alphaDropped'>): string {
  return `${img.channels === 1 ? 'grey' : 'RGB'}${img.alphaDropped ? ' (alpha dropped)' : ''}`;
}

/** Throws `InputError` (naming the test file and both sizes) when two images cannot be compared. */
export function checkComparable(ref: LoadedImage, test: LoadedImage): void {
  if (ref.width !== test.width || ref.height !== test.height) {
    throw new InputError(
      test.path,
      `size ${test.width}x${test.height} differs from the reference ${ref.path} (${ref.width}x${ref.height}); the images must have the same size`,
    );
  }
  if (ref.channels !== test.channels) {
    throw new InputError(
      test.path,
      `has ${test.channels} colour channel${test.channels === 1 ? '' : 's'} (${describeChannels(test)}) but the reference ${ref.path} has ${ref.channels} (${describeChannels(ref)}); convert one of them so both are grey or both RGB`,
    );
  }
}

/** Scales [1, C, H, W] so its longer side is `size` (box prefilter by the integer factor when shrinking 2x or more, then bilinear); grey becomes RGB. */
export function fitImage(x: Tensor, size: number): Tensor {
  return tidy(() => {
    const c = x.shape[1]!;
    let [h, w] = [x.shape[2]!, x.shape[3]!];
    let y = c === 1 ? x.expand([1, 3, h, w]) : x;
    const scale = size / Math.max(h, w);
    const H = Math.max(1, Math.round(h * scale));
    const W = Math.max(1, Math.round(w * scale));
    const k = Math.floor(1 / scale);
    if (k >= 2 && Math.floor(h / k) >= H && Math.floor(w / k) >= W) {
      y = avgPool2d(y, { kernelSize: k, stride: k });
      [h, w] = [y.shape[2]!, y.shape[3]!];
    }
    if (h !== H || w !== W) y = resize(y, [H, W], { mode: 'bilinear', alignCorners: false });
    return y === x ? x.clone() : y;
  });
}
