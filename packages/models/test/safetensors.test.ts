/**
 * safetensors: every file in ../shared/fixtures/safetensors loads with the values its README and
 * expected-values.json state; what `serializeSafetensors` / `saveSafetensors` write reads back
 * identically and follows the reference layout (8-byte aligned header, aligned data).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  PyDict,
  parseCheckpoint,
  readCheckpointRaw,
  readSafetensorsHeader,
  MemorySource,
  saveSafetensors,
  serializeSafetensors,
  type RawTensor,
} from '../src/index.js';
import { describeFixtures, fixture, fixturesDir } from '../../../test/helpers/fixtures.js';

const values = (t: RawTensor | undefined): number[] => Array.from(t!.data as ArrayLike<number>);

describeFixtures('safetensors fixtures', () => {
  it('mnist.safetensors matches expected-values.json tensor_summaries (20 tensors, num_batches_tracked 7504)', async () => {
    const summary = (
      JSON.parse(readFileSync(fixture('expected-values.json'), 'utf8')) as {
        tensor_summaries: Record<string, { tensors: Record<string, { dtype: string; shape: number[]; sum: number; first: number[] }> }>;
      }
    ).tensor_summaries['safetensors/mnist.safetensors']!;
    const ck = await readCheckpointRaw(fixture('safetensors', 'mnist.safetensors'));
    expect(ck.format).toBe('safetensors');
    expect(ck.tensors.size).toBe(20);
    for (const [name, s] of Object.entries(summary.tensors)) {
      const t = ck.tensors.get(name)!;
      expect(t.sourceDtype, name).toBe(s.dtype);
      expect(t.shape, name).toEqual(s.shape);
      expect(values(t).slice(0, s.first.length), name).toEqual(s.first);
      expect(
        values(t).reduce((a, b) => a + b, 0),
        name,
      ).toBeCloseTo(s.sum, 6);
    }
  });

  it('multi_layer.safetensors: conv + BN + linear, I64 scalar num_batches_tracked', async () => {
    const ck = await readCheckpointRaw(fixture('safetensors', 'multi_layer.safetensors'));
    expect(ck.tensors.get('conv1.weight')!.shape).toEqual([4, 3, 3, 3]);
    expect(ck.tensors.get('fc1.weight')!.shape).toEqual([16, 256]);
    const nbt = ck.tensors.get('norm1.num_batches_tracked')!;
    expect([nbt.dtype, nbt.sourceDtype, nbt.shape]).toEqual(['int32', 'int64', []]);
  });

  it('jfk-codes.safetensors: one I64 [1, 2, 828], header padded with spaces', async () => {
    const ck = await readCheckpointRaw(fixture('safetensors', 'jfk-codes.safetensors'));
    expect([...ck.tensors.keys()]).toEqual(['codes']);
    const t = ck.tensors.get('codes')!;
    expect(t.shape).toEqual([1, 2, 828]);
    expect(t.data).toBeInstanceOf(Int32Array);
  });

  // samples-kolanich: each tensor = range(-3, 3) cast to its dtype (unsigned wrap 253,254,255,0,1,2).
  const kolanich: [string, string, number[]][] = [
    ['B', 'uint8', [253, 254, 255, 0, 1, 2]],
    ['H', 'uint16', [65533, 65534, 65535, 0, 1, 2]],
    ['b', 'int8', [-3, -2, -1, 0, 1, 2]],
    ['d', 'float64', [-3, -2, -1, 0, 1, 2]],
    ['e', 'float16', [-3, -2, -1, 0, 1, 2]],
    ['f', 'float32', [-3, -2, -1, 0, 1, 2]],
    ['h', 'int16', [-3, -2, -1, 0, 1, 2]],
    ['i', 'int32', [-3, -2, -1, 0, 1, 2]],
  ];
  it.each(kolanich)('samples-kolanich/%s.safetensors (%s) = range(-3, 3), metadata {test: a}', async (name, dtype, expected) => {
    const ck = await readCheckpointRaw(fixture('safetensors', 'samples-kolanich', `${name}.safetensors`));
    expect(ck.metadata).toEqual({ test: 'a' });
    const t = ck.tensors.get(name)!;
    expect(t.sourceDtype).toBe(dtype);
    expect(values(t)).toEqual(expected);
  });

  it('samples-kolanich/I.safetensors: U32 4294967293.. needs int64: wrap or float64', async () => {
    const f = fixture('safetensors', 'samples-kolanich', 'I.safetensors');
    await expect(readCheckpointRaw(f)).rejects.toMatchObject({ code: 'IntegerOverflow' });
    expect(values((await readCheckpointRaw(f, { int64: 'wrap' })).tensors.get('I'))).toEqual([-3, -2, -1, 0, 1, 2]);
  });

  it('overall.safetensors: header length 526, so F64 at byte 582 and F32/I32 at 642/678 are misaligned: copied, not viewed', async () => {
    const bytes = new Uint8Array(readFileSync(fixture('safetensors', 'samples-kolanich', 'overall.safetensors')));
    expect(readSafetensorsHeader(new MemorySource(bytes, 'overall')).headerLength).toBe(526);
    const ck = parseCheckpoint(bytes, { int64: 'wrap' });
    for (const [name, , expected] of kolanich) expect(values(ck.tensors.get(name)), name).toEqual(expected);
    expect(values(ck.tensors.get('I'))).toEqual([-3, -2, -1, 0, 1, 2]);
    const d = ck.tensors.get('d')!;
    expect(d.data).toBeInstanceOf(Float64Array);
    expect(d.data.byteOffset % 8).toBe(0);
    expect(d.data.buffer).not.toBe(bytes.buffer);
  });

  it('filter skips tensors: objects keeps a SkippedTensor record', async () => {
    const ck = await readCheckpointRaw(fixture('safetensors', 'mnist.safetensors'), { filter: (n) => n.startsWith('conv1.') });
    expect([...ck.tensors.keys()].sort()).toEqual(['conv1.bias', 'conv1.weight']);
    expect((ck.objects as PyDict).get('fc1.weight')).toEqual({ skipped: true, dtype: 'float32', sourceDtype: 'float32', shape: [32, 11616] });
  });

  it('re-serialising a real file gives the same tensors', async () => {
    const ck = await readCheckpointRaw(fixture('safetensors', 'multi_layer.safetensors'));
    const back = parseCheckpoint(serializeSafetensors(ck.tensors, { source: 'multi_layer' }));
    expect(back.metadata).toEqual({ source: 'multi_layer' });
    for (const [name, t] of ck.tensors) {
      expect(back.tensors.get(name)!.shape).toEqual(t.shape);
      expect(values(back.tensors.get(name))).toEqual(values(t));
    }
  });
});

describe('serializeSafetensors / saveSafetensors', () => {
  const raw = (dtype: RawTensor['dtype'], shape: number[], vals: number[]): RawTensor =>
    ({
      dtype,
      sourceDtype: dtype,
      shape,
      data:
        dtype === 'float32'
          ? Float32Array.from(vals)
          : dtype === 'float64'
            ? Float64Array.from(vals)
            : dtype === 'int32'
              ? Int32Array.from(vals)
              : Uint8Array.from(vals),
    }) as RawTensor;

  it('layout: header padded to a multiple of 8, tensors sorted by element size then name, data aligned', () => {
    const bytes = serializeSafetensors(
      { b: raw('bool', [3], [1, 0, 1]), a: raw('float32', [2], [1, 2]), z: raw('float64', [1], [0.5]), m: raw('int32', [], [7]) },
      { format: 'pt' },
    );
    const h = readSafetensorsHeader(new MemorySource(bytes, 'x'));
    expect(h.headerLength % 8).toBe(0);
    expect(h.entries.map((e) => [e.name, e.start])).toEqual([
      ['z', 0],
      ['a', 8],
      ['m', 16],
      ['b', 20],
    ]);
    const back = parseCheckpoint(bytes);
    expect(values(back.tensors.get('b'))).toEqual([1, 0, 1]);
    expect(back.tensors.get('m')!.shape).toEqual([]);
    expect(back.metadata).toEqual({ format: 'pt' });
  });

  it('refuses inconsistent input with a CheckpointError', () => {
    expect(() => serializeSafetensors({ x: raw('float32', [3], [1, 2]) })).toThrow(/needs 3 values/);
    expect(() => serializeSafetensors({ __metadata__: raw('float32', [1], [1]) })).toThrow(/__metadata__/);
    expect(() => serializeSafetensors({}, { k: 1 as unknown as string })).toThrow(/must be a string/);
  });

  it('round-trips arbitrary tensors (fast-check)', () => {
    const dtype = fc.constantFrom<RawTensor['dtype']>('float32', 'float64', 'int32', 'bool');
    const tensorArb = fc.tuple(dtype, fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 })).chain(([dt, shape]) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const v =
        dt === 'bool'
          ? fc.integer({ min: 0, max: 1 })
          : dt === 'int32'
            ? fc.integer()
            : dt === 'float32'
              ? fc.float({ noNaN: true }).map(Math.fround)
              : fc.double({ noNaN: true });
      return fc.array(v, { minLength: n, maxLength: n }).map((vals) => raw(dt, shape, vals));
    });
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== '__metadata__'),
          tensorArb,
          { maxKeys: 5 },
        ),
        (rec) => {
          const back = parseCheckpoint(serializeSafetensors(rec));
          expect(back.tensors.size).toBe(Object.keys(rec).length);
          for (const [k, t] of Object.entries(rec)) {
            const b = back.tensors.get(k)!;
            expect([b.dtype, b.shape]).toEqual([t.dtype, t.shape]);
            expect(Array.from(b.data as ArrayLike<number>).map((x) => (Object.is(x, -0) ? 0 : x))).toEqual(
              Array.from(t.data as ArrayLike<number>).map((x) => (Object.is(x, -0) ? 0 : x)),
            );
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('saveSafetensors writes a file readCheckpointRaw reads back (RawTensor and tensor-like inputs)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pixgrad-st-'));
    try {
      const path = join(dir, 'w.safetensors');
      const tensorLike = { shape: [2, 2], dtype: 'float64', data: async () => Float64Array.from([1, 2, 3, 4]) };
      await saveSafetensors(
        path,
        new Map<string, RawTensor | typeof tensorLike>([
          ['w', tensorLike],
          ['b', raw('float32', [2], [0.5, -0.5])],
        ]),
        { note: 'x' },
      );
      const ck = await readCheckpointRaw(path);
      expect(ck.metadata).toEqual({ note: 'x' });
      expect(values(ck.tensors.get('w'))).toEqual([1, 2, 3, 4]);
      expect(ck.tensors.get('w')!.dtype).toBe('float64');
      expect(values(ck.tensors.get('b'))).toEqual([0.5, -0.5]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('fixtures helper', () => {
  it('reports the fixtures folder or null', () => {
    expect(fixturesDir === null || typeof fixturesDir === 'string').toBe(true);
  });
});
