/**
 * Image I/O on real files: PngSuite (../shared/fixtures/png/pngsuite, from image-rs/image-png;
 * names encode the format: basn = basic non-interlaced, basi = Adam7 interlaced, then colour type
 * 0 grey / 2 RGB / 3 palette / 4 grey+alpha / 6 RGBA and bit depth; x* = deliberately corrupt),
 * the SSIM test images (8-bit grey) and the LPIPS example images (64x64 RGB).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { tensor } from '@pixgrad/core';
import { ImageError, decodeImage, encodePng, readImage, writeImage } from '../src/index.js';
import { describeFixtures, fixture } from '../../../test/helpers/fixtures.js';

const suite = (f: string) => fixture('png', 'pngsuite', f);
const vals = async (t: { data(): Promise<ArrayLike<number>> }) => Array.from(await t.data());

describeFixtures('PngSuite valid files', () => {
  // [file, channels]: palette -> RGB; tRNS colour key on RGB (tbrn2c08) -> RGBA
  const cases: [string, number][] = [
    ['basn0g08.png', 1],
    ['basn0g16.png', 1],
    ['basn2c08.png', 3],
    ['basn2c16.png', 3],
    ['basn3p08.png', 3],
    ['basn4a08.png', 2],
    ['basn4a16.png', 2],
    ['basn6a08.png', 4],
    ['basn6a16.png', 4],
    ['basi0g08.png', 1],
    ['basi6a08.png', 4],
    ['g10n0g16.png', 1],
    ['tbrn2c08.png', 4],
  ];
  it('every valid file is listed here', () => {
    const valid = readdirSync(fixture('png', 'pngsuite')).filter((f) => f.endsWith('.png') && !f.startsWith('x'));
    expect(valid.sort()).toEqual(cases.map((c) => c[0]).sort());
  });
  it.each(cases)('%s -> [1, %i, 32, 32] float32 in [0, 1]', async (f, c) => {
    const t = await readImage(suite(f));
    expect(t.shape).toEqual([1, c, 32, 32]);
    expect(t.dtype).toBe('float32');
    const v = await vals(t);
    expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...v)).toBeLessThanOrEqual(1);
  });

  it('16-bit samples are divided by 65535 (basn0g16, basn2c16, basn4a16, basn6a16)', async () => {
    for (const f of ['basn0g16.png', 'basn2c16.png', 'basn4a16.png', 'basn6a16.png']) {
      const v = await vals(await readImage(suite(f)));
      const raw = v.map((x) => x * 65535);
      for (const r of raw) expect(Math.abs(r - Math.round(r))).toBeLessThan(1e-2);
      // genuinely 16-bit: some samples are not an 8-bit value x 257
      expect(
        raw.some((r) => Math.round(r) % 257 !== 0),
        f,
      ).toBe(true);
    }
  });

  it('Adam7 interlaced files decode to the same pixels as their non-interlaced twins', async () => {
    expect(await vals(await readImage(suite('basi0g08.png')))).toEqual(await vals(await readImage(suite('basn0g08.png'))));
    expect(await vals(await readImage(suite('basi6a08.png')))).toEqual(await vals(await readImage(suite('basn6a08.png'))));
  });

  it('alpha is kept (basn4a08 has transparent and opaque pixels); tRNS key gives alpha 0 and 1 (tbrn2c08)', async () => {
    const ga = decodeImage(new Uint8Array(readFileSync(suite('basn4a08.png'))));
    const alpha = Array.from({ length: 32 * 32 }, (_, i) => ga.data[i * 2 + 1]!);
    expect(Math.min(...alpha)).toBe(0);
    expect(Math.max(...alpha)).toBe(1);
    const tr = decodeImage(new Uint8Array(readFileSync(suite('tbrn2c08.png'))));
    const ta = new Set(Array.from({ length: 32 * 32 }, (_, i) => tr.data[i * 4 + 3]));
    expect([...ta].sort()).toEqual([0, 1]);
  });

  it('channels option: grey -> RGB replicates, RGBA -> grey uses BT.601 luminance', async () => {
    const g = await readImage(suite('basn0g08.png'));
    const rgb = await readImage(suite('basn0g08.png'), { channels: 3 });
    const gv = await vals(g);
    const rv = await vals(rgb);
    expect(rv.slice(0, 1024)).toEqual(gv);
    expect(rv.slice(1024, 2048)).toEqual(gv);
    const l = await readImage(suite('basn2c08.png'), { channels: 1 });
    const c = decodeImage(new Uint8Array(readFileSync(suite('basn2c08.png'))));
    expect((await vals(l))[0]).toBeCloseTo(0.299 * c.data[0]! + 0.587 * c.data[1]! + 0.114 * c.data[2]!, 6);
  });
});

describeFixtures('PngSuite corrupt files (x*) are rejected with a message naming the file', () => {
  const corrupt: [string, RegExp][] = [
    ['xc1n0g08.png', /colour type 1/],
    ['xcsn0g01.png', /CRC|crc|checksum/i],
    ['xdtn0g01.png', /corrupt PNG/],
    ['xhdn0g08.png', /CRC|crc|checksum/i],
    ['xlfn0g04.png', /wrong signature/],
    ['xs1n0g01.png', /wrong signature/],
  ];
  it('every x* file is listed here', () => {
    const xs = readdirSync(fixture('png', 'pngsuite')).filter((f) => f.startsWith('x'));
    expect(xs.sort()).toEqual(corrupt.map((c) => c[0]).sort());
  });
  it.each(corrupt)('%s', async (f, re) => {
    const t0 = performance.now();
    const err = await readImage(suite(f)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ImageError);
    expect((err as Error).message).toMatch(re);
    expect((err as Error).message).toContain(f);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describeFixtures('SSIM and LPIPS images', () => {
  const einstein = ['einstein', 'meanshift', 'contrast', 'impulse', 'blur', 'jpg'];
  it.each(einstein)('wang-einstein/png/%s.png: 256x256 grey, same grey levels as the GIF original', async (n) => {
    const png = await readImage(fixture('ssim', 'wang-einstein', 'png', `${n}.png`));
    expect(png.shape).toEqual([1, 1, 256, 256]);
    const gif = decodeImage(new Uint8Array(readFileSync(fixture('ssim', 'wang-einstein', 'gif', `${n}.gif`))));
    expect([gif.width, gif.height, gif.channels]).toEqual([256, 256, 3]);
    const pv = await vals(png);
    for (let i = 0; i < pv.length; i += 97) expect(gif.data[i * 3]).toBe(pv[i]); // identity palette
  });
  it('skimage camera.png and the noisy copy: 512x512 grey, 8-bit steps; MSE 373.37486267089844 (expected-values.json)', async () => {
    const a = await vals(await readImage(fixture('ssim', 'skimage-camera', 'camera.png')));
    const b = await vals(await readImage(fixture('ssim', 'skimage-camera', 'camera_noisy_seed5_sigma20.png')));
    expect(a.length).toBe(512 * 512);
    let mse = 0;
    for (let i = 0; i < a.length; i++) mse += (Math.round(a[i]! * 255) - Math.round(b[i]! * 255)) ** 2;
    expect(a.every((x) => Math.abs(x * 255 - Math.round(x * 255)) < 1e-4)).toBe(true);
    expect(mse / a.length).toBeCloseTo(373.37486267089844, 9);
  });
  it.each(['ex_ref', 'ex_p0', 'ex_p1'])('lpips/imgs/%s.png: [1, 3, 64, 64]', async (n) => {
    expect((await readImage(fixture('lpips', 'imgs', `${n}.png`))).shape).toEqual([1, 3, 64, 64]);
  });
});

describe('writeImage / encodePng', () => {
  it('8-bit and 16-bit PNG round-trip exactly (k/255, k/65535)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pixgrad-img-'));
    try {
      for (const depth of [8, 16] as const) {
        const max = 2 ** depth - 1;
        const v = Array.from({ length: 2 * 3 * 5 }, (_, i) => ((i * 7919) % (max + 1)) / max);
        const t = tensor(v, { shape: [1, 2, 3, 5] });
        const path = join(dir, `x${depth}.png`);
        await writeImage(path, t, { bitDepth: depth });
        const back = await readImage(path);
        expect(back.shape).toEqual([1, 2, 3, 5]);
        expect(await vals(back)).toEqual(Array.from(v, (x) => Math.fround(Math.round(x * max) / max)));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('values are clamped to [0, 1]; bad shapes, channel counts and paths are ImageErrors', async () => {
    const png = encodePng({ width: 3, height: 1, channels: 1, data: [-1, 0.5, 7] });
    expect(Array.from(decodeImage(png).data)).toEqual([0, 128 / 255, 1].map(Math.fround));
    await expect(writeImage('/tmp/x.png', tensor([1, 2, 3]))).rejects.toBeInstanceOf(ImageError);
    await expect(writeImage('/tmp/x.png', tensor(new Float32Array(5 * 4), { shape: [1, 5, 2, 2] }))).rejects.toThrow(/1, 2, 3 or 4 channels/);
    await expect(writeImage('/tmp/x.jpg', tensor(new Float32Array(4), { shape: [1, 1, 2, 2] }))).rejects.toThrow(/\.png/);
    expect(() => encodePng({ width: 1, height: 1, channels: 1, data: [0] }, { bitDepth: 12 as 8 })).toThrow(/8 or 16/);
  });
});

describe('JPEG and limits', () => {
  it('a JPEG decodes to RGB close to what was encoded', async () => {
    const w = 16,
      h = 8;
    const rgba = new Uint8Array(w * h * 4).map((_, i) => (i % 4 === 3 ? 255 : 128));
    const jpg = jpeg.encode({ width: w, height: h, data: rgba }, 95).data;
    const t = await readImage(new Uint8Array(jpg));
    expect(t.shape).toEqual([1, 3, h, w]);
    for (const v of await vals(t)) expect(Math.abs(v - 128 / 255)).toBeLessThan(3 / 255);
  });
  it('a PNG header claiming 100000x100000 pixels is refused before decoding', () => {
    const png = encodePng({ width: 1, height: 1, channels: 1, data: [0] });
    const dv = new DataView(png.buffer, png.byteOffset);
    dv.setUint32(16, 100000);
    dv.setUint32(20, 100000);
    expect(() => decodeImage(png, { name: 'bomb.png' })).toThrow(/bomb\.png: image is 100000x100000, over the/);
  });
  it('not an image: ImageError', () => {
    expect(() => decodeImage(new Uint8Array([1, 2, 3]), { name: 'x.bin' })).toThrow(/x\.bin: not a PNG, JPEG or GIF/);
  });
});

describeFixtures('image fuzzing: mutated PNG/GIF files give an image or an ImageError', () => {
  it('bit flips and truncations', () => {
    const seeds = ['basn0g08.png', 'basi6a08.png', 'basn3p08.png', 'basn4a16.png', 'tbrn2c08.png', 'xcsn0g01.png'].map(
      (f) => new Uint8Array(readFileSync(suite(f))),
    );
    seeds.push(new Uint8Array(readFileSync(fixture('lpips', 'imgs', 'ex_ref.png'))));
    const runs = Number(process.env['FUZZ_RUNS'] ?? 60);
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { maxLength: 6 }),
        fc.option(fc.nat()),
        (seed, flips, cut) => {
          let b = seed.slice();
          for (const [p, bit] of flips) b[p % b.length]! ^= 1 << bit;
          if (cut !== null) b = b.slice(0, cut % b.length);
          const t0 = performance.now();
          try {
            const img = decodeImage(b);
            expect(img.data.length).toBe(img.width * img.height * img.channels);
          } catch (e) {
            if (!(e instanceof ImageError)) throw e;
          }
          expect(performance.now() - t0).toBeLessThan(2000);
        },
      ),
      { numRuns: runs },
    );
  });
});
