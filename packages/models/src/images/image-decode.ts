/**
 * Image decoding to float pixels in [0, 1], on maintained pure-JS codecs: `fast-png` (PNG: 1/2/4/
 * 8/16-bit, grey, grey+alpha, RGB, RGBA, palette, tRNS, Adam7), `jpeg-js` (baseline and
 * progressive JPEG) and `omggif` (first GIF frame). Format is detected from the magic bytes.
 *
 * Why a PNG header check of our own: the codecs trust the header, so a 60-byte PNG that claims
 * 100000 x 100000 pixels would allocate gigabytes. The IHDR is validated (PNG spec 11.2.2:
 * colour type / bit depth combinations, non-zero size, compression/filter/interlace methods)
 * and the pixel count capped before any decoder runs; CRCs are checked (`checkCrc`), so every
 * corrupt PngSuite `x*` file is rejected with a message.
 *
 * Scaling: samples are divided by 2^depth - 1 (65535 for 16-bit, 255 for 8-bit, 1/3/15 for
 * 1/2/4-bit grey); palette colours are 8-bit. Channels follow the file: grey 1, grey+alpha 2,
 * RGB 3, RGBA 4; palette -> RGB (RGBA when tRNS gives alpha); a tRNS colour key on grey/RGB adds
 * an alpha channel (0 where the pixel equals the key); JPEG -> RGB; GIF -> RGB, or RGBA if any
 * pixel is transparent.
 */
import { decode as decodePngLib } from 'fast-png';
import jpeg from 'jpeg-js';
import { GifReader } from 'omggif';
import { ImageError } from '../errors.js';

/** Decoded pixels, row-major HWC (interleaved channels), each in [0, 1]. */
export interface DecodedImage {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  data: Float32Array;
  /** The file's format and per-sample bit depth (palette images: the index depth). */
  format: 'png' | 'jpeg' | 'gif';
  bitDepth: number;
}

export interface DecodeOptions {
  /** Name for error messages. */
  name?: string | undefined;
  /** Largest width x height accepted (default 2^27, about 134 megapixels). */
  maxPixels?: number | undefined;
}

export const DEFAULT_MAX_PIXELS = 2 ** 27;

const PNG_SIG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Which image format the bytes are, from their magic, or null. */
export function detectImageFormat(b: Uint8Array): 'png' | 'jpeg' | 'gif' | null {
  if (b.length >= 8 && PNG_SIG.every((v, i) => b[i] === v)) return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 6 && String.fromCharCode(...b.subarray(0, 6)).match(/^GIF8[79]a$/)) return 'gif';
  return null;
}

const ALLOWED_DEPTHS: { [colourType: number]: number[] } = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

/** Validates the IHDR (the first chunk) and returns the size, before any decoding. */
function checkPngHeader(b: Uint8Array, name: string | undefined, maxPixels: number): void {
  const bad = (what: string): never => {
    throw new ImageError(`invalid PNG: ${what}`, name);
  };
  if (b.length < 33) bad('file too short for a PNG header');
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  if (dv.getUint32(8) !== 13 || String.fromCharCode(...b.subarray(12, 16)) !== 'IHDR') bad('the first chunk is not a 13-byte IHDR');
  const width = dv.getUint32(16);
  const height = dv.getUint32(20);
  const depth = b[24]!;
  const colourType = b[25]!;
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) bad(`image size ${width}x${height}`);
  if (!(colourType in ALLOWED_DEPTHS)) bad(`colour type ${colourType} (allowed: 0, 2, 3, 4, 6)`);
  if (!ALLOWED_DEPTHS[colourType]!.includes(depth)) bad(`bit depth ${depth} is not allowed with colour type ${colourType}`);
  if (b[26] !== 0 || b[27] !== 0) bad('unknown compression or filter method');
  if (b[28]! > 1) bad(`unknown interlace method ${b[28]}`);
  if (width * height > maxPixels) throw new ImageError(`image is ${width}x${height}, over the ${maxPixels}-pixel limit (maxPixels)`, name);
}

function decodePng(b: Uint8Array, name: string | undefined, maxPixels: number): DecodedImage {
  checkPngHeader(b, name, maxPixels);
  let png;
  try {
    png = decodePngLib(b, { checkCrc: true });
  } catch (e) {
    throw new ImageError(`corrupt PNG: ${(e as Error).message}`, name);
  }
  const { width, height, depth } = png;
  const n = width * height;
  const src = png.data;
  if (png.palette && png.palette.length > 0) {
    // Indexed: unpack 1/2/4/8-bit indices, look colours up (8-bit), alpha from tRNS if any.
    const pal = png.palette;
    const hasAlpha = pal.some((c) => c.length > 3 && c[3] !== 255);
    const ch = hasAlpha ? 4 : 3;
    const out = new Float32Array(n * ch);
    const idx = unpackSamples(src as Uint8Array, width, height, depth);
    for (let i = 0; i < n; i++) {
      const c = pal[idx[i]!];
      if (!c) throw new ImageError(`corrupt PNG: palette index ${idx[i]} outside the ${pal.length}-colour palette`, name);
      for (let k = 0; k < 3; k++) out[i * ch + k] = c[k]! / 255;
      if (hasAlpha) out[i * ch + 3] = (c[3] ?? 255) / 255;
    }
    return { width, height, channels: ch as 3 | 4, data: out, format: 'png', bitDepth: depth };
  }
  const channels = png.channels;
  if (channels < 1 || channels > 4) throw new ImageError(`corrupt PNG: ${channels} channels`, name);
  const samples = depth < 8 ? unpackSamples(src as Uint8Array, width, height, depth) : src;
  if (samples.length !== n * channels) throw new ImageError(`corrupt PNG: ${samples.length} samples for ${width}x${height}x${channels}`, name);
  const max = 2 ** depth - 1;
  // tRNS on grey/RGB: one colour key; pixels equal to it are transparent.
  const key = png.transparency && png.transparency.length === channels && (channels === 1 || channels === 3) ? png.transparency : null;
  const ch = key ? channels + 1 : channels;
  const out = new Float32Array(n * ch);
  for (let i = 0; i < n; i++) {
    let isKey = key !== null;
    for (let k = 0; k < channels; k++) {
      const v = samples[i * channels + k]!;
      out[i * ch + k] = v / max;
      if (key && v !== key[k]) isKey = false;
    }
    if (key) out[i * ch + channels] = isKey ? 0 : 1;
  }
  return { width, height, channels: ch as 1 | 2 | 3 | 4, data: out, format: 'png', bitDepth: depth };
}

/** Unpacks rows of 1/2/4-bit samples (each row padded to a byte), or returns 8-bit data as is. */
function unpackSamples(src: Uint8Array, width: number, height: number, depth: number): Uint8Array {
  if (depth === 8) return src;
  const out = new Uint8Array(width * height);
  const rowBytes = Math.ceil((width * depth) / 8);
  const perByte = 8 / depth;
  const mask = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const byte = src[y * rowBytes + Math.floor(x / perByte)] ?? 0;
      const shift = 8 - depth * ((x % perByte) + 1);
      out[y * width + x] = (byte >> shift) & mask;
    }
  }
  return out;
}

function decodeJpeg(b: Uint8Array, name: string | undefined, maxPixels: number): DecodedImage {
  let img;
  try {
    img = jpeg.decode(b, {
      useTArray: true,
      formatAsRGBA: false,
      maxResolutionInMP: maxPixels / 1e6,
      maxMemoryUsageInMB: Math.max(512, (maxPixels * 16) / 2 ** 20),
    });
  } catch (e) {
    throw new ImageError(`corrupt JPEG: ${(e as Error).message}`, name);
  }
  const { width, height, data } = img;
  if (data.length !== width * height * 3) throw new ImageError(`corrupt JPEG: ${data.length} bytes for ${width}x${height} RGB`, name);
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! / 255;
  return { width, height, channels: 3, data: out, format: 'jpeg', bitDepth: 8 };
}

function decodeGif(b: Uint8Array, name: string | undefined, maxPixels: number): DecodedImage {
  let reader: GifReader;
  try {
    reader = new GifReader(b);
  } catch (e) {
    throw new ImageError(`corrupt GIF: ${(e as Error).message}`, name);
  }
  const { width, height } = reader;
  if (width === 0 || height === 0) throw new ImageError(`corrupt GIF: size ${width}x${height}`, name);
  if (width * height > maxPixels) throw new ImageError(`image is ${width}x${height}, over the ${maxPixels}-pixel limit (maxPixels)`, name);
  const rgba = new Uint8Array(width * height * 4);
  try {
    reader.decodeAndBlitFrameRGBA(0, rgba);
  } catch (e) {
    throw new ImageError(`corrupt GIF: ${(e as Error).message}`, name);
  }
  let transparent = false;
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 255) transparent = true;
  const ch = transparent ? 4 : 3;
  const out = new Float32Array(width * height * ch);
  for (let i = 0; i < width * height; i++) for (let k = 0; k < ch; k++) out[i * ch + k] = rgba[i * 4 + k]! / 255;
  return { width, height, channels: ch, data: out, format: 'gif', bitDepth: 8 };
}

/**
 * Decodes PNG, JPEG or GIF bytes to float pixels in [0, 1] (HWC). See the module comment for
 * channels and scaling.
 *
 * @example
 * const img = decodeImage(bytes, { name: 'camera.png' }); // { width: 512, height: 512, channels: 1, ... }
 */
export function decodeImage(bytes: Uint8Array, opts: DecodeOptions = {}): DecodedImage {
  const max = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  switch (detectImageFormat(bytes)) {
    case 'png':
      return decodePng(bytes, opts.name, max);
    case 'jpeg':
      return decodeJpeg(bytes, opts.name, max);
    case 'gif':
      return decodeGif(bytes, opts.name, max);
    default:
      throw new ImageError('not a PNG, JPEG or GIF image (wrong signature)', opts.name);
  }
}
