/**
 * `loadCheckpoint` -> pixgrad Tensors, and the large-file contract: tensors the filter rejects are
 * never read (VGG16's classifier is 411 MB of its 528 MB). The large files here are sparse, so
 * they cost no disk and reading them by mistake would show up as seconds, not milliseconds.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Tensor } from '@pixgrad/core';
import { loadCheckpoint, readCheckpointRaw } from '../src/index.js';
import { crc32 } from '../src/checkpoints/crc32.js';
import { describeFixtures, fixture } from '../../../test/helpers/fixtures.js';
import { concat, f32, legacyFile, stateDictPickle } from './builders.js';

describeFixtures('loadCheckpoint returns pixgrad Tensors', () => {
  it('float32.pt: Tensor [4] float32 [1, 2.5, -3.7, 0]', async () => {
    const m = await loadCheckpoint(fixture('torch', 'burn-reader', 'float32.pt'));
    const t = m.get('tensor')!;
    expect(t).toBeInstanceOf(Tensor);
    expect(t.shape).toEqual([4]);
    expect(t.dtype).toBe('float32');
    expect(Array.from(await t.data())).toEqual([1, 2.5, Math.fround(-3.7), 0]);
  });
  it('dtypes map to pixgrad dtypes (int64 -> int32, f64 stays, bool stays)', async () => {
    const m = await loadCheckpoint(fixture('torch', 'burn-reader', 'mixed_types.pt'));
    expect([...m].map(([k, t]) => [k, t.dtype, t.shape])).toEqual([
      ['float32', 'float32', [2]],
      ['int64', 'int32', [2]],
      ['bool', 'bool', [2]],
      ['float64', 'float64', [2]],
    ]);
    expect(Array.from(m.get('int64')!.dataSync())).toEqual([100, 200]);
  });
  it('LPIPS v0.1 vgg heads as bytes (Uint8Array and ArrayBuffer) with a filter', async () => {
    const bytes = new Uint8Array(readFileSync(fixture('lpips', 'weights', 'v0.1', 'vgg.pth')));
    const a = await loadCheckpoint(bytes, { filter: (n) => n.startsWith('lin0') });
    expect([...a.keys()]).toEqual(['lin0.model.1.weight']);
    expect(a.get('lin0.model.1.weight')!.shape).toEqual([1, 64, 1, 1]);
    const b = await loadCheckpoint(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    expect(b.size).toBe(5);
    // expected-values.json: lpips/weights/v0.1/vgg.pth lin0 first = 0.05011165887117386
    expect(b.get('lin0.model.1.weight')!.dataSync()[0]).toBe(0.05011165887117386);
  });
});

describe('large checkpoints: filtered tensors are never read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pixgrad-big-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const BIG = 2 ** 30; // 1 GiB "classifier", sparse on disk

  it('legacy stream (torchvision VGG layout): 1 GiB storage skipped by a filter', async () => {
    const small = f32([1, 2, 3, 4]);
    const pkl = stateDictPickle(
      [
        ['features.0.weight', { storageType: 'FloatStorage', key: 's', numel: 4, shape: [4] }],
        ['classifier.0.weight', { storageType: 'FloatStorage', key: 'b', numel: BIG / 4, shape: [BIG / 4] }],
      ],
      'legacy',
    );
    // The big storage's bytes are the file's tail: written as a hole (sparse), never read.
    const full = legacyFile(pkl, [
      ['s', 4, small],
      ['b', BIG / 4, new Uint8Array(0)],
    ]);
    const path = join(dir, 'vgg_like.pth');
    const fd = openSync(path, 'w');
    writeSync(fd, full);
    ftruncateSync(fd, full.length + BIG);
    closeSync(fd);

    const t0 = performance.now();
    const m = await loadCheckpoint(path, { filter: (n) => n.startsWith('features.') });
    expect(performance.now() - t0).toBeLessThan(1000);
    expect([...m.keys()]).toEqual(['features.0.weight']);
    expect(Array.from(m.get('features.0.weight')!.dataSync())).toEqual([1, 2, 3, 4]);
    const raw = await readCheckpointRaw(path, { filter: (n) => n.startsWith('features.') });
    expect(raw.tensors.has('classifier.0.weight')).toBe(false);
  });

  it('torch zip: a 1 GiB record is skipped by a filter (only data.pkl and the needed record are read)', async () => {
    const enc = new TextEncoder();
    const pkl = stateDictPickle(
      [
        ['features.0.bias', { storageType: 'FloatStorage', key: '0', numel: 2, shape: [2] }],
        ['classifier.6.weight', { storageType: 'FloatStorage', key: '1', numel: BIG / 4, shape: [BIG / 4] }],
      ],
      'zip',
    );
    const entries: { name: string; data?: Uint8Array; size: number }[] = [
      { name: 'vgg/data.pkl', data: pkl, size: pkl.length },
      { name: 'vgg/data/0', data: f32([5, 6]), size: 8 },
      { name: 'vgg/data/1', size: BIG },
    ];
    const u16 = (n: number) => [n & 0xff, n >> 8];
    const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
    const path = join(dir, 'vgg.pt');
    const fd = openSync(path, 'w');
    let pos = 0;
    const central: Uint8Array[] = [];
    for (const e of entries) {
      const name = enc.encode(e.name);
      const crc = e.data ? crc32(e.data) : 0;
      const local = concat([u32(0x04034b50), u16(20), u16(0), u16(0), u16(0), u16(0), u32(crc), u32(e.size), u32(e.size), u16(name.length), u16(0), name]);
      writeSync(fd, local, 0, local.length, pos);
      if (e.data) writeSync(fd, e.data, 0, e.data.length, pos + local.length);
      central.push(
        concat([
          u32(0x02014b50),
          u16(20),
          u16(20),
          u16(0),
          u16(0),
          u16(0),
          u16(0),
          u32(crc),
          u32(e.size),
          u32(e.size),
          u16(name.length),
          u16(0),
          u16(0),
          u16(0),
          u16(0),
          u32(0),
          u32(pos),
          name,
        ]),
      );
      pos += local.length + e.size;
    }
    const cd = concat(central);
    const eocd = concat([u32(0x06054b50), u16(0), u16(0), u16(3), u16(3), u32(cd.length), u32(pos), u16(0)]);
    writeSync(fd, concat([cd, eocd]), 0, cd.length + eocd.length, pos);
    closeSync(fd);

    const t0 = performance.now();
    const m = await loadCheckpoint(path, { filter: (n) => n.startsWith('features.') });
    expect(performance.now() - t0).toBeLessThan(1000);
    expect([...m.keys()]).toEqual(['features.0.bias']);
    expect(Array.from(m.get('features.0.bias')!.dataSync())).toEqual([5, 6]);
  });
});
