/**
 * Reads the 8-bit greyscale, non-interlaced PNG fixtures of the SSIM tests into [1, 1, H, W]
 * float64 tensors of grey levels 0..255 (no rescaling: Wang's published numbers use L = 255).
 *
 * A stop-gap for this test suite only, written against the PNG spec (RFC 2083: chunks, zlib
 * IDAT, the five scanline filters) because `readImage` from @pixgrad/models is not there yet; it
 * accepts nothing but colour type 0, bit depth 8, no interlace, and throws on anything else.
 */
import { readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { type Tensor, tensor } from '@pixgrad/core';

export function readGreyPng(path: string): Tensor {
  const buf = readFileSync(path);
  const sig = [137, 80, 78, 71, 13, 10, 26, 10];
  if (!sig.every((b, i) => buf[i] === b)) throw new Error(`${path}: not a PNG`);
  let pos = 8;
  let W = 0;
  let H = 0;
  const idat: Buffer[] = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      W = data.readUInt32BE(0);
      H = data.readUInt32BE(4);
      const [depth, colour, , , interlace] = [data[8], data[9], data[10], data[11], data[12]];
      if (depth !== 8 || colour !== 0 || interlace !== 0) throw new Error(`${path}: only 8-bit grey non-interlaced PNGs are supported here`);
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const out = new Float64Array(W * H);
  const prev = new Uint8Array(W);
  const cur = new Uint8Array(W);
  for (let y = 0; y < H; y++) {
    const f = raw[y * (W + 1)]!;
    const line = raw.subarray(y * (W + 1) + 1, (y + 1) * (W + 1));
    for (let x = 0; x < W; x++) {
      const a = x > 0 ? cur[x - 1]! : 0;
      const b = prev[x]!;
      const c = x > 0 ? prev[x - 1]! : 0;
      let p = 0;
      if (f === 1) p = a;
      else if (f === 2) p = b;
      else if (f === 3) p = (a + b) >> 1;
      else if (f === 4) {
        const pa = Math.abs(b - c);
        const pb = Math.abs(a - c);
        const pc = Math.abs(a + b - 2 * c);
        p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else if (f !== 0) throw new Error(`${path}: bad filter ${f}`);
      cur[x] = (line[x]! + p) & 255;
      out[y * W + x] = cur[x]!;
    }
    prev.set(cur);
  }
  return tensor(out, { shape: [1, 1, H, W], dtype: 'float64' });
}
