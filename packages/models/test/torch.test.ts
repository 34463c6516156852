/**
 * Every torch checkpoint in ../shared/fixtures/torch and ../shared/fixtures/lpips/weights loads
 * with the shapes and values its README and expected-values.json state.
 *
 * Reference numbers: ../shared/fixtures/expected-values.json
 *  - `torch_fixture_contents` (values defined by tracel-ai/burn's test_data.py and candle's tests)
 *  - `tensor_summaries` (per-tensor dtype, shape, sum, first four values; computed with torch)
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PyDict, isSkippedTensor, parseCheckpoint, readCheckpointRaw, type RawTensor } from '../src/index.js';
import { describeFixtures, fixture, fixturesDir } from '../../../test/helpers/fixtures.js';

interface Summary {
  format: string;
  tensors: Record<string, { dtype: string; shape: number[]; sum: number; first: number[] }>;
}

const expected = fixturesDir
  ? (JSON.parse(readFileSync(fixture('expected-values.json'), 'utf8')) as { tensor_summaries: Record<string, Summary> })
  : { tensor_summaries: {} };

const values = (t: RawTensor | undefined): number[] => Array.from(t!.data as ArrayLike<number>);
const sum = (t: RawTensor): number => values(t).reduce((a, b) => a + b, 0);

const burn = (f: string) => fixture('torch', 'burn-reader', f);

describeFixtures('torch checkpoints: expected-values.json tensor_summaries', () => {
  for (const [file, summary] of Object.entries(expected.tensor_summaries)) {
    if (summary.format === 'safetensors') continue;
    it(`${file}: every tensor's dtype, shape, sum and first values`, async () => {
      const ck = await readCheckpointRaw(fixture(file));
      expect(ck.format).toBe(summary.format === 'zip' ? 'torch-zip' : 'torch-legacy');
      expect([...ck.tensors.keys()].sort()).toEqual(Object.keys(summary.tensors).sort());
      for (const [name, s] of Object.entries(summary.tensors)) {
        const t = ck.tensors.get(name)!;
        expect(t.sourceDtype, name).toBe(s.dtype);
        expect(t.shape, name).toEqual(s.shape);
        expect(t.dtype, name).toBe(s.dtype === 'int64' ? 'int32' : s.dtype);
        // first values are float32 widened to double in the JSON: exact equality
        expect(values(t).slice(0, s.first.length), name).toEqual(s.first);
        // the JSON sums were accumulated in float64 over the same values
        expect(sum(t), name).toBeCloseTo(s.sum, 6);
      }
    });
  }
});

describeFixtures('torch/burn-reader zip fixtures (values from burn test_data.py, quoted in expected-values.json)', () => {
  const one = async (f: string) => {
    const ck = await readCheckpointRaw(burn(f));
    expect(ck.format).toBe('torch-zip');
    return ck.tensors.get('tensor')!;
  };
  it('float32 [1, 2.5, -3.7, 0]', async () => {
    const t = await one('float32.pt');
    expect(t.dtype).toBe('float32');
    expect(values(t)).toEqual([1, 2.5, Math.fround(-3.7), 0]);
  });
  it('float64 [1.1, 2.2, 3.3] stays float64', async () => {
    const t = await one('float64.pt');
    expect(t.dtype).toBe('float64');
    expect(t.data).toBeInstanceOf(Float64Array);
    expect(values(t)).toEqual([1.1, 2.2, 3.3]);
  });
  it('float16 [1.5, -2.25, 3.125] -> float32', async () => {
    const t = await one('float16.pt');
    expect([t.dtype, t.sourceDtype]).toEqual(['float32', 'float16']);
    expect(values(t)).toEqual([1.5, -2.25, 3.125]);
  });
  it('bfloat16 [1.5, -2.5, 3.5] -> float32', async () => {
    const t = await one('bfloat16.pt');
    expect([t.dtype, t.sourceDtype]).toEqual(['float32', 'bfloat16']);
    expect(values(t)).toEqual([1.5, -2.5, 3.5]);
  });
  it.each([
    ['int64.pt', 'int64', [100, -200, 300, 0]],
    ['int32.pt', 'int32', [10, 20, -30]],
    ['int16.pt', 'int16', [1000, -2000, 3000]],
    ['int8.pt', 'int8', [127, -128, 0, 50]],
    ['uint8.pt', 'uint8', [0, 128, 255, 42]],
  ])('%s -> int32 %j', async (f, src, v) => {
    const t = await one(f);
    expect([t.dtype, t.sourceDtype]).toEqual(['int32', src]);
    expect(t.data).toBeInstanceOf(Int32Array);
    expect(values(t)).toEqual(v);
  });
  it('bool [T, F, T, T, F]', async () => {
    const t = await one('bool.pt');
    expect(t.dtype).toBe('bool');
    expect(t.data).toBeInstanceOf(Uint8Array);
    expect(values(t)).toEqual([1, 0, 1, 1, 0]);
  });
  it('tensor_2d [[1,2],[3,4],[5,6]]', async () => {
    const t = await one('tensor_2d.pt');
    expect(t.shape).toEqual([3, 2]);
    expect(values(t)).toEqual([1, 2, 3, 4, 5, 6]);
  });
  it('tensor_3d / tensor_4d shapes', async () => {
    expect((await one('tensor_3d.pt')).shape).toEqual([2, 3, 4]);
    expect((await one('tensor_4d.pt')).shape).toEqual([2, 3, 2, 2]);
  });
  it('empty: shape [0]; scalar: shape [] = 42', async () => {
    const e = await one('empty.pt');
    expect(e.shape).toEqual([0]);
    expect(e.data.length).toBe(0);
    const s = await one('scalar.pt');
    expect(s.shape).toEqual([]);
    expect(values(s)).toEqual([42]);
  });
  it('large_shape: 100x100 zeros with [0,0]=1, [50,50]=2, [99,99]=3', async () => {
    const t = await one('large_shape.pt');
    expect(t.shape).toEqual([100, 100]);
    expect(t.data[0]).toBe(1);
    expect(t.data[50 * 100 + 50]).toBe(2);
    expect(t.data[99 * 100 + 99]).toBe(3);
    expect(sum(t)).toBe(6);
  });
  it('special_values [nan, inf, -inf, 0, 1] and extreme_values [1e-30, 1e30, -1e-30, -1e30]', async () => {
    expect(values(await one('special_values.pt'))).toEqual([NaN, Infinity, -Infinity, 0, 1]);
    expect(values(await one('extreme_values.pt'))).toEqual([1e-30, 1e30, -1e-30, -1e30].map(Math.fround));
  });
  it('parameter.pt: _rebuild_parameter gives the tensor', async () => {
    const ck = await readCheckpointRaw(burn('parameter.pt'));
    expect(ck.tensors.get('param')!.shape).toEqual([3, 3]);
  });
  it('checkpoint.pt: nested names and non-tensor values', async () => {
    const ck = await readCheckpointRaw(burn('checkpoint.pt'));
    expect([...ck.tensors.keys()]).toEqual([
      'model_state_dict.fc1.weight',
      'model_state_dict.fc1.bias',
      'model_state_dict.fc2.weight',
      'model_state_dict.fc2.bias',
      'optimizer_state_dict.state.0.momentum_buffer',
    ]);
    expect(ck.tensors.get('model_state_dict.fc1.weight')!.shape).toEqual([10, 5]);
    expect(ck.tensors.get('model_state_dict.fc2.bias')!.shape).toEqual([3]);
    const root = ck.objects as PyDict;
    expect(root.get('epoch')).toBe(42);
    expect(root.get('loss')).toBe(0.123);
    // tensors sit in the tree in place of the pickle's references
    const msd = root.get('model_state_dict') as PyDict;
    expect(msd.get('fc1.bias')).toBe(ck.tensors.get('model_state_dict.fc1.bias'));
  });
  it('complex_structure.pt: deep nesting, ints and strings kept', async () => {
    const ck = await readCheckpointRaw(burn('complex_structure.pt'));
    expect([...ck.tensors.keys()]).toEqual([
      'state.encoder.layer_0.weight',
      'state.encoder.layer_0.bias',
      'state.encoder.layer_1.weight',
      'state.encoder.layer_1.bias',
      'state.decoder.weight',
      'state.decoder.bias',
    ]);
    const meta = (ck.objects as PyDict).get('metadata') as PyDict;
    expect(meta.get('version')).toBe(1);
    expect(meta.get('name')).toBe('test_model');
    expect(((ck.objects as PyDict).get('config') as PyDict).get('num_layers')).toBe(2);
  });
  it('buffers / mixed_types / nested_dict / state_dict', async () => {
    const b = await readCheckpointRaw(burn('buffers.pt'));
    expect([...b.tensors].map(([k, t]) => [k, t.dtype, t.sourceDtype])).toEqual([
      ['buffer1', 'int32', 'int32'],
      ['buffer2', 'bool', 'bool'],
    ]);
    const m = await readCheckpointRaw(burn('mixed_types.pt'));
    expect([...m.tensors].map(([k, t]) => [k, t.dtype])).toEqual([
      ['float32', 'float32'],
      ['int64', 'int32'],
      ['bool', 'bool'],
      ['float64', 'float64'],
    ]);
    const n = await readCheckpointRaw(burn('nested_dict.pt'));
    expect([...n.tensors.keys()]).toEqual(['layer1.weight', 'layer1.bias', 'layer2.weight', 'layer2.bias']);
    const s = await readCheckpointRaw(burn('state_dict.pt'));
    expect(values(s.tensors.get('running_var'))).toEqual([1, 1, 1]);
  });
  it('broken.pt (the 3 bytes "abc") is a CheckpointError, not a crash', async () => {
    await expect(readCheckpointRaw(burn('broken.pt'))).rejects.toMatchObject({ name: 'CheckpointError', code: 'HeaderTooSmall' });
  });
});

describeFixtures('torch legacy format (burn-reader legacy_*.pt, simple_legacy.pt)', () => {
  it('legacy_with_offsets: tensor1 starts [1.00, 1.01, 1.02], tensor2 = [2.0..2.4], tensor3 = [3.0..3.4]', async () => {
    const ck = await readCheckpointRaw(burn('legacy_with_offsets.pt'));
    expect(ck.format).toBe('torch-legacy');
    expect(values(ck.tensors.get('tensor1')).slice(0, 3)).toEqual([1.0, 1.01, 1.02].map(Math.fround));
    expect(values(ck.tensors.get('tensor2'))).toEqual([2.0, 2.1, 2.2, 2.3, 2.4].map(Math.fround));
    expect(values(ck.tensors.get('tensor3'))).toEqual([3.0, 3.1, 3.2, 3.3, 3.4].map(Math.fround));
  });
  it('legacy_uncloned_views: arange(10,20) and arange(50,60) from ONE 100-element storage (offsets 10, 50)', async () => {
    const ck = await readCheckpointRaw(burn('legacy_uncloned_views.pt'));
    expect(values(ck.tensors.get('tensor1'))).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(values(ck.tensors.get('tensor2'))).toEqual([50, 51, 52, 53, 54, 55, 56, 57, 58, 59]);
    // the two tensors do not alias each other's memory
    expect(ck.tensors.get('tensor1')!.data.buffer).not.toBe(ck.tensors.get('tensor2')!.data.buffer);
  });
  it('legacy_shared_storage and simple_legacy load', async () => {
    const a = await readCheckpointRaw(burn('legacy_shared_storage.pt'));
    expect([...a.tensors].map(([k, t]) => [k, t.shape])).toEqual([
      ['view1', [10]],
      ['view2', [20]],
      ['view3', [10]],
    ]);
    const b = await readCheckpointRaw(burn('simple_legacy.pt'));
    expect([...b.tensors].map(([k, t]) => [k, t.shape])).toEqual([
      ['weight', [2, 3]],
      ['bias', [2]],
      ['running_mean', [2]],
    ]);
    expect(values(b.tensors.get('bias'))).toEqual([1, 1]);
  });
  it('LPIPS v0.0 heads use the old 4-argument _rebuild_tensor and load like v0.1', async () => {
    for (const net of ['alex', 'squeeze', 'vgg']) {
      const ck = await readCheckpointRaw(fixture('lpips', 'weights', 'v0.0', `${net}.pth`));
      expect(ck.format).toBe('torch-legacy');
      expect(ck.objects).toBeInstanceOf(PyDict);
      expect((ck.objects as PyDict).pyClass).toBe('collections.OrderedDict');
      for (const t of ck.tensors.values()) expect(t.shape.length).toBe(4);
    }
  });
});

describeFixtures('torch tar format (burn-reader tar_*.tar, synthetic)', () => {
  it('tar_float32 / float64 / int64 / 2d / weight_bias / multi_dtype', async () => {
    const get = async (f: string) => (await readCheckpointRaw(burn(f))).tensors;
    expect(values((await get('tar_float32.tar')).get('tensor'))).toEqual([1, 2.5, Math.fround(-3.7), 0]);
    expect(values((await get('tar_float64.tar')).get('tensor'))).toEqual([1.1, 2.2, 3.3]);
    expect(values((await get('tar_int64.tar')).get('tensor'))).toEqual([100, -200, 300, 0]);
    const m2 = (await get('tar_2d_tensor.tar')).get('matrix')!;
    expect(m2.shape).toEqual([3, 4]);
    expect(values(m2).slice(0, 4)).toEqual([1, 2, 3, 4]);
    const wb = await get('tar_weight_bias.tar');
    expect(wb.get('weight')!.shape).toEqual([2, 3]);
    expect(values(wb.get('bias'))).toEqual([0.01, 0.02].map(Math.fround));
    const md = await get('tar_multi_dtype.tar');
    expect([...md].map(([k, t]) => [k, t.dtype, values(t)])).toEqual([
      ['float_tensor', 'float32', [1.5, 2.5, 3.5]],
      ['double_tensor', 'float64', [1.111, 2.222]],
      ['int_tensor', 'int32', [10, 20, 30, 40]],
    ]);
  });
});

describeFixtures('torch/candle zip fixtures', () => {
  it('fortran_tensor_3d: int64 size (2,3,4) stride (1,2,6) comes out row-major 1..24', async () => {
    const ck = await readCheckpointRaw(fixture('torch', 'candle', 'fortran_tensor_3d.pth'));
    const t = ck.tensors.get('tensor_fortran')!;
    expect(t.shape).toEqual([2, 3, 4]);
    expect(values(t)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
  });
  it("test_with_key: {'model_state_dict': OrderedDict{'test': int64 [2,4]}}", async () => {
    const ck = await readCheckpointRaw(fixture('torch', 'candle', 'test_with_key.pt'));
    expect([...ck.tensors.keys()]).toEqual(['model_state_dict.test']);
    expect(ck.tensors.get('model_state_dict.test')!.shape).toEqual([2, 4]);
    const t = await readCheckpointRaw(fixture('torch', 'candle', 'test.pt'));
    expect(t.tensors.get('test')!.shape).toEqual([2, 4]);
  });
});

describeFixtures('filtering skips tensors without reading their bytes', () => {
  it('mnist.pt with filter conv*: fc1 (11616x32, 1.4 MB) is never read', async () => {
    const file = fixture('torch', 'burn-mnist', 'mnist.pt');
    const bytes = new Uint8Array(readFileSync(file));
    let read = 0;
    const src = {
      name: 'mnist.pt',
      size: bytes.length,
      view: (o: number, n: number) => ((read += n), bytes.subarray(o, o + n)),
      copy: (o: number, n: number) => ((read += n), bytes.slice(o, o + n)),
    };
    const ck = parseCheckpoint(src, { filter: (n) => n.startsWith('conv') });
    expect([...ck.tensors.keys()]).toEqual(['conv1.weight', 'conv1.bias', 'conv2.weight', 'conv2.bias', 'conv3.weight', 'conv3.bias']);
    expect(read).toBeLessThan(100_000); // the whole file is 1 513 258 bytes
    const fc1 = (ck.objects as PyDict).get('fc1.weight');
    expect(isSkippedTensor(fc1)).toBe(true);
    expect(fc1).toMatchObject({ skipped: true, shape: [32, 11616], sourceDtype: 'float32' });
  });
  it('legacy file with a filter reads only the storages it needs', async () => {
    const bytes = new Uint8Array(readFileSync(fixture('lpips', 'weights', 'v0.1', 'vgg.pth')));
    // The pickle is read through a windowed cursor (view); storages are read with copy().
    const copies: number[] = [];
    const src = {
      name: 'vgg.pth',
      size: bytes.length,
      view: (o: number, n: number) => bytes.subarray(o, o + n),
      copy: (o: number, n: number) => (copies.push(n), bytes.slice(o, o + n)),
    };
    const ck = parseCheckpoint(src, { filter: (n) => n === 'lin0.model.1.weight' });
    expect([...ck.tensors.keys()]).toEqual(['lin0.model.1.weight']);
    // only lin0's storage (64 float32 = 256 bytes) is copied; lin1..lin4 are skipped
    expect(copies).toEqual([256]);
  });
});

describe('int64 handling', () => {
  it.runIf(fixturesDir !== null)("int64 values outside int32 are an error naming the tensor, unless { int64: 'float64' | 'wrap' }", async () => {
    // samples-kolanich/I.safetensors is U32 253..2 as unsigned (4294967293 ..): same rule
    const f = fixture('safetensors', 'samples-kolanich', 'I.safetensors');
    await expect(readCheckpointRaw(f)).rejects.toMatchObject({ code: 'IntegerOverflow', message: expect.stringContaining("tensor 'I'") });
    expect(values((await readCheckpointRaw(f, { int64: 'wrap' })).tensors.get('I'))).toEqual([-3, -2, -1, 0, 1, 2]);
    const asF64 = (await readCheckpointRaw(f, { int64: 'float64' })).tensors.get('I')!;
    expect(asF64.dtype).toBe('float64');
    expect(values(asF64)).toEqual([4294967293, 4294967294, 4294967295, 0, 1, 2]);
  });
});
