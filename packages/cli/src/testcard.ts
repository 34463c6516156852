/**
 * A synthetic test card and distortions of it, made procedurally (nothing downloaded), so that
 * `pixgrad demo` shows every metric on a fresh clone.
 *
 * Images here are interleaved HWC RGB `Float32Array`s in [0, 1] (`RgbImage`), the layout of
 * @pixgrad/models' `DecodedImage`, so they can be written with `encodePng`.
 */
import jpeg from 'jpeg-js';
import { Generator } from '@pixgrad/core';

export interface RgbImage {
  width: number;
  height: number;
  channels: 3;
  data: Float32Array;
}

/** Uniforms in [0, 1) from core's seeded `Generator` (xoshiro128**; one generator for the whole project). */
export function seededRandom(seed: number): () => number {
  const g = new Generator(seed);
  return () => g.uniform();
}

/** Standard normal samples from core's seeded `Generator`. */
export function seededNormal(seed: number): () => number {
  const g = new Generator(seed);
  return () => g.normal();
}

function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const f = (n: number) => {
    const k = (n + h / 60) % 6;
    return v - v * s * Math.max(0, Math.min(k, 4 - k, 1));
  };
  return [f(5), f(3), f(1)];
}

/** ColorChecker-like patches (approximate sRGB of the first twelve, 8-bit). */
const PATCHES: readonly (readonly [number, number, number])[] = [
  [115, 82, 68],
  [194, 150, 130],
  [98, 122, 157],
  [87, 108, 67],
  [133, 128, 177],
  [103, 189, 170],
  [214, 126, 44],
  [80, 91, 166],
  [193, 90, 99],
  [94, 60, 108],
  [157, 188, 64],
  [224, 163, 46],
];

/**
 * The test card, `size` x `size` RGB (size >= 64, a multiple of 8), in eighths `u = size / 8`:
 * - rows [0, u): eight 75% colour bars (white, yellow, cyan, green, magenta, red, blue, black);
 * - rows [u, 1.5u): a grey ramp 0 -> 1; rows [1.5u, 2u): a hue sweep (full saturation, value 1);
 * - rows [2u, 6u), left half: a zone plate 0.5 + 0.5 cos(pi r^2 / Z) (Z its side; the frequency
 *   reaches Nyquist at the edge);
 * - rows [2u, 6u), right half, four quadrants of fine lines: 1-px vertical lines with periods 2
 *   and 4, horizontal with period 2 and 3, the last in red/cyan (chroma detail);
 * - rows [6u, 8u): "text": seeded random 5x7 glyphs in words, black on white at 1x (left) and
 *   white on dark blue at 2x (middle); ColorChecker-like colour patches (right).
 * Deterministic for a given (size, seed).
 */
export function makeTestCard(size = 256, seed = 1): RgbImage {
  if (!Number.isInteger(size) || size < 64 || size % 8 !== 0) throw new Error(`test card size must be a multiple of 8, >= 64; got ${size}`);
  const S = size;
  const u = S / 8;
  const data = new Float32Array(S * S * 3);
  const set = (x: number, y: number, r: number, g: number, b: number) => {
    const i = (y * S + x) * 3;
    data[i] = r;
    data[i + 1] = g;
    data[i + 2] = b;
  };
  // colour bars
  const bars: [number, number, number][] = [
    [1, 1, 1],
    [1, 1, 0],
    [0, 1, 1],
    [0, 1, 0],
    [1, 0, 1],
    [1, 0, 0],
    [0, 0, 1],
    [0, 0, 0],
  ];
  for (let y = 0; y < u; y++)
    for (let x = 0; x < S; x++) {
      const [r, g, b] = bars[Math.min(7, Math.floor((x * 8) / S))]!;
      set(x, y, 0.75 * r, 0.75 * g, 0.75 * b);
    }
  // grey ramp and hue sweep
  for (let y = u; y < 2 * u; y++)
    for (let x = 0; x < S; x++) {
      const t = x / (S - 1);
      if (y < 1.5 * u) set(x, y, t, t, t);
      else set(x, y, ...hsvToRgb(360 * t * 0.999, 1, 1));
    }
  // zone plate (left half of the middle)
  const Z = S / 2;
  for (let y = 2 * u; y < 6 * u; y++)
    for (let x = 0; x < Z; x++) {
      const dx = x - Z / 2 + 0.5;
      const dy = y - 2 * u - Z / 2 + 0.5;
      const v = 0.5 + 0.5 * Math.cos((Math.PI * (dx * dx + dy * dy)) / Z);
      set(x, y, v, v, v);
    }
  // fine lines (right half of the middle, four quadrants)
  const q = S / 4;
  for (let y = 2 * u; y < 6 * u; y++)
    for (let x = Z; x < S; x++) {
      const lx = x - Z;
      const ly = y - 2 * u;
      const right = lx >= q;
      const bottom = ly >= q;
      if (!bottom && !right) {
        const on = lx % 2 === 0;
        set(x, y, on ? 0 : 1, on ? 0 : 1, on ? 0 : 1);
      } else if (!bottom && right) {
        const on = lx % 4 === 0;
        set(x, y, on ? 0.1 : 0.9, on ? 0.1 : 0.9, on ? 0.1 : 0.9);
      } else if (bottom && !right) {
        const on = ly % 2 === 0;
        set(x, y, on ? 0.05 : 0.95, on ? 0.05 : 0.95, on ? 0.05 : 0.95);
      } else {
        const on = ly % 3 === 0;
        if (on) set(x, y, 0.9, 0.1, 0.1);
        else set(x, y, 0.2, 0.8, 0.8);
      }
    }
  // text-like blocks and colour patches (bottom quarter)
  const rnd = seededRandom(seed);
  const glyphs = Array.from({ length: 40 }, () => Array.from({ length: 35 }, () => rnd() < 0.45));
  const drawText = (x0: number, y0: number, x1: number, y1: number, scale: number, ink: [number, number, number], paper: [number, number, number]) => {
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) set(x, y, ...paper);
    const cw = 6 * scale;
    const ch = 9 * scale;
    for (let ty = y0 + scale; ty + 7 * scale <= y1; ty += ch) {
      let tx = x0 + scale;
      while (tx + 5 * scale <= x1) {
        if (rnd() < 0.18) {
          tx += cw; // a space between "words"
          continue;
        }
        const g = glyphs[Math.floor(rnd() * glyphs.length)]!;
        for (let gy = 0; gy < 7; gy++)
          for (let gx = 0; gx < 5; gx++) {
            if (!g[gy * 5 + gx]) continue;
            for (let sy = 0; sy < scale; sy++) for (let sx = 0; sx < scale; sx++) set(tx + gx * scale + sx, ty + gy * scale + sy, ...ink);
          }
        tx += cw;
      }
    }
  };
  drawText(0, 6 * u, 3 * u, S, 1, [0, 0, 0], [1, 1, 1]);
  drawText(3 * u, 6 * u, 5.5 * u, S, 2, [0.95, 0.95, 0.95], [0.1, 0.15, 0.45]);
  const px0 = 5.5 * u;
  const pw = (S - px0) / 4;
  const ph = (2 * u) / 3;
  for (let y = 6 * u; y < S; y++)
    for (let x = px0; x < S; x++) {
      const i = Math.min(2, Math.floor((y - 6 * u) / ph)) * 4 + Math.min(3, Math.floor((x - px0) / pw));
      const [r, g, b] = PATCHES[i]!;
      set(x, y, r / 255, g / 255, b / 255);
    }
  return { width: S, height: S, channels: 3, data };
}

function mapImage(img: RgbImage, f: (v: number, channel: number) => number): RgbImage {
  const data = new Float32Array(img.data.length);
  for (let i = 0; i < data.length; i++) data[i] = Math.min(1, Math.max(0, f(img.data[i]!, i % 3)));
  return { ...img, data };
}

/** Separable Gaussian blur (radius ceil(3 sigma), edge-repeating borders), per channel. */
export function gaussianBlur(img: RgbImage, sigma: number): RgbImage {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const ks = k.reduce((a, b) => a + b, 0);
  const w = k.map((v) => v / ks);
  const { width: W, height: H } = img;
  const pass = (src: Float32Array, horizontal: boolean) => {
    const dst = new Float32Array(src.length);
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++)
        for (let c = 0; c < 3; c++) {
          let s = 0;
          for (let t = -r; t <= r; t++) {
            const xx = horizontal ? Math.min(W - 1, Math.max(0, x + t)) : x;
            const yy = horizontal ? y : Math.min(H - 1, Math.max(0, y + t));
            s += w[t + r]! * src[(yy * W + xx) * 3 + c]!;
          }
          dst[(y * W + x) * 3 + c] = s;
        }
    return dst;
  };
  return { ...img, data: pass(pass(img.data, true), false) };
}

/** Additive Gaussian noise with standard deviation `sigma` (seeded), clamped to [0, 1]. */
export function addNoise(img: RgbImage, sigma: number, seed = 7): RgbImage {
  const n = seededNormal(seed);
  return mapImage(img, (v) => v + sigma * n());
}

/** A mild warm white-balance shift: R x 1.04, G unchanged, B x 0.94 (clamped). */
export function colourShift(img: RgbImage): RgbImage {
  return mapImage(img, (v, c) => (c === 0 ? v * 1.04 : c === 2 ? v * 0.94 : v));
}

/** Encodes as a baseline JPEG at `quality` (1-100) with jpeg-js; returns the file bytes. */
export function encodeJpeg(img: RgbImage, quality: number): Uint8Array {
  const n = img.width * img.height;
  const rgba = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) rgba[4 * i + c] = Math.round(Math.min(1, Math.max(0, img.data[3 * i + c]!)) * 255);
    rgba[4 * i + 3] = 255;
  }
  const g = globalThis as { Buffer?: unknown };
  // jpeg-js's encoder returns `Buffer.from(bytes)` whenever it sees a CommonJS `module`, which a
  // bundler's wrapper always provides, so in a browser it would throw on the missing Buffer. A
  // stand-in that makes a Uint8Array, present only during the call, keeps it working there.
  const shim = g.Buffer === undefined;
  if (shim) g.Buffer = { from: (a: ArrayLike<number>) => Uint8Array.from(a) };
  try {
    return new Uint8Array(jpeg.encode({ width: img.width, height: img.height, data: rgba }, quality).data);
  } finally {
    if (shim) delete g.Buffer;
  }
}

/** The distortions `pixgrad demo` applies: file name, what it is, and the encoded file. */
export interface Distortion {
  file: string;
  describe: string;
  image?: RgbImage;
  /** already-encoded bytes (the JPEG) */
  bytes?: Uint8Array;
}

export function makeDistortions(card: RgbImage): Distortion[] {
  return [
    { file: 'blur-sigma1.png', describe: 'Gaussian blur, sigma 1 px', image: gaussianBlur(card, 1) },
    { file: 'noise-sigma0.05.png', describe: 'additive Gaussian noise, sigma 0.05 (seed 7)', image: addNoise(card, 0.05) },
    { file: 'jpeg-q20.jpg', describe: 'JPEG at quality 20 (jpeg-js)', bytes: encodeJpeg(card, 20) },
    { file: 'colour-shift.png', describe: 'warm white-balance shift: R x 1.04, B x 0.94', image: colourShift(card) },
  ];
}
