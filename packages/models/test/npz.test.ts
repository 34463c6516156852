/**
 * NumPy .npy/.npz: files numpy 1.24 wrote (packages/losses/scripts/gen-distribution-reference.py:
 * np.savez, np.savez_compressed with float32 and ADM's mu_s/sigma_s, a big-endian Fortran-order
 * .npy), round trips through pixgrad's writer (stored and deflated), and bad input.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointError, parseNpy, parseNpz, readNpz, readNpzMember, serializeNpy, serializeNpz, writeNpz } from '../src/index.js';

const data = (f: string) => new Uint8Array(readFileSync(new URL(`./data/${f}`, import.meta.url)));
const dir = mkdtempSync(join(tmpdir(), 'pixgrad-npz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const mu = Array.from({ length: 5 }, (_, i) => i / 3);
const sigma = Array.from({ length: 25 }, (_, i) => (i % 6 === 0 ? 2.25 : 0.25));

describe('.npz and .npy', () => {
  it("reads numpy's np.savez (stored) and np.savez_compressed (deflated, float32, mu_s/sigma_s)", async () => {
    const a = await readNpz(data('stats-savez.npz'));
    expect([...a.keys()].sort()).toEqual(['mu', 'sigma']);
    expect(a.get('mu')).toMatchObject({ dtype: 'float64', shape: [5] });
    expect(Array.from(a.get('mu')!.data)).toEqual(mu);
    expect(Array.from(a.get('sigma')!.data)).toEqual(sigma);
    const b = await readNpz(data('stats-compressed.npz'));
    expect(b.get('sigma')).toMatchObject({ dtype: 'float32', shape: [5, 5] });
    expect(Array.from(b.get('sigma')!.data)).toEqual(sigma);
    expect(b.get('mu_s')!.shape).toEqual([3]);
    expect(b.get('sigma_s')!.shape).toEqual([3, 3]);
    expect((await readNpz(data('stats-compressed.npz'), { only: ['mu'] })).size).toBe(1);
  });

  it('a big-endian Fortran-order .npy is byte-swapped and transposed to C order', () => {
    const a = parseNpy(data('fortran-bigendian.npy'));
    expect(a).toMatchObject({ dtype: 'float64', shape: [2, 3] });
    expect(Array.from(a.data)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('reads .npy format versions 2.0 (u32 header length) and 3.0 (utf-8 header)', () => {
    const v1 = serializeNpy({ dtype: 'float32', shape: [2], data: Float32Array.of(1.5, -2) });
    const hlen = new DataView(v1.buffer).getUint16(8, true);
    for (const major of [2, 3]) {
      const out = new Uint8Array(v1.length + 2);
      out.set(v1.subarray(0, 8));
      out[6] = major;
      new DataView(out.buffer).setUint32(8, hlen, true);
      out.set(v1.subarray(10), 12);
      const a = parseNpy(out, `v${major}.npy`);
      expect(a).toMatchObject({ dtype: 'float32', shape: [2] });
      expect(Array.from(a.data)).toEqual([1.5, -2]);
    }
    const v4 = v1.slice();
    v4[6] = 4;
    expect(() => parseNpy(v4, 'v4.npy')).toThrow(/\.npy format version 4\.0 \(1\.0, 2\.0 and 3\.0 are read\)/);
  });

  it('round trips every dtype, stored and deflated, with a metadata member; headers are 64-byte aligned', async () => {
    const arrays = {
      f64: { dtype: 'float64' as const, shape: [2, 2], data: Float64Array.from([1.5, -2, 1e-300, 3]) },
      f32: { dtype: 'float32' as const, shape: [3], data: Float32Array.from([0.1, 2, -3]) },
      i32: { dtype: 'int32' as const, shape: [2], data: Int32Array.from([-7, 2 ** 31 - 1]) },
      i64: { dtype: 'int64' as const, shape: [], data: Float64Array.from([2 ** 40]) },
      u8: { dtype: 'uint8' as const, shape: [0], data: new Uint8Array(0) },
    };
    for (const path of [join(dir, 'a.npz'), join(dir, 'b.npz')]) {
      await writeNpz(path, arrays, { compress: path.endsWith('b.npz'), files: { 'meta.json': new TextEncoder().encode('{"x":1}') } });
      const back = await readNpz(path);
      for (const [k, v] of Object.entries(arrays)) {
        expect(back.get(k)).toMatchObject({ dtype: v.dtype, shape: v.shape });
        expect(Array.from(back.get(k)!.data)).toEqual(Array.from(v.data));
      }
      expect(new TextDecoder().decode(await readNpzMember(path, 'meta.json'))).toBe('{"x":1}');
      expect(await readNpzMember(path, 'nope.json')).toBeUndefined();
    }
    const npy = serializeNpy(arrays.f64);
    const headerLen = new DataView(npy.buffer).getUint16(8, true);
    expect((10 + headerLen) % 64).toBe(0);
    expect(new TextDecoder().decode(npy.subarray(10, 10 + headerLen))).toBe(
      `{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }${' '.repeat(headerLen - 60)}\n`,
    );
  });

  it('bad input: the file, the problem and the offset', () => {
    const bad = (f: () => unknown, code: string, msg: RegExp) => {
      try {
        f();
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(CheckpointError);
        expect((e as CheckpointError).code).toBe(code);
        expect((e as Error).message).toMatch(msg);
      }
    };
    bad(() => parseNpy(new TextEncoder().encode('not numpy at all'), 'x.npy'), 'InvalidMagic', /x\.npy: not a \.npy array/);
    const obj = serializeNpy({ dtype: 'float64', shape: [1], data: Float64Array.of(1) });
    obj.set(new TextEncoder().encode("'|O8'"), new TextDecoder('latin1').decode(obj).indexOf("'<f8'"));
    bad(() => parseNpy(obj, 'o.npy'), 'InvalidDtype', /object arrays need pickle and are refused/);
    const short = serializeNpy({ dtype: 'float64', shape: [4], data: new Float64Array(4) }).slice(0, -8);
    bad(() => parseNpy(short, 's.npy'), 'UnexpectedEof', /shape \(4,\) <f8 needs 32 bytes, the file has 24 \(at byte 128\)/);
    const npz = serializeNpz({ mu: { dtype: 'float64', shape: [2], data: Float64Array.of(1, 2) } });
    npz[npz.length - 30] ^= 0xff;
    expect(() => parseNpz(npz)).toThrow(CheckpointError);
    bad(
      () => parseNpz(serializeNpz({ mu: { dtype: 'float64', shape: [2], data: Float64Array.of(1, 2) } }, { deflateRaw: (d) => d.slice(0, 3) })),
      'Unsupported',
      /DEFLATE-compressed/,
    );
  });
});
