/**
 * Every file in ../shared/fixtures/hostile gives the typed error its README table expects
 * ("The derived hostile files and what a loader must do"), quickly, and before any large
 * allocation; the three `valid_*` safetensors load.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CheckpointError, parseCheckpoint, readCheckpointRaw, type CheckpointErrorCode, type RawCheckpoint } from '../src/index.js';
import { describeFixtures, fixture } from '../../../test/helpers/fixtures.js';
import { PixgradError } from '@pixgrad/core';

/** Loads bytes with a spy on every read and on inflation, and measures time and memory. */
function probe(file: string) {
  const bytes = new Uint8Array(readFileSync(file));
  let largestRead = 0;
  const inflations: number[] = [];
  const src = {
    name: file.split('/').pop(),
    size: bytes.length,
    view: (o: number, n: number) => ((largestRead = Math.max(largestRead, n)), bytes.subarray(o, o + n)),
    copy: (o: number, n: number) => ((largestRead = Math.max(largestRead, n)), bytes.slice(o, o + n)),
  };
  const before = process.memoryUsage().arrayBuffers;
  const t0 = performance.now();
  let result: RawCheckpoint | undefined;
  let error: unknown;
  try {
    result = parseCheckpoint(src, {
      inflateRaw: (d, max) => (inflations.push(max), inflateRawSync(d, { maxOutputLength: Math.max(1, max) })),
    });
  } catch (e) {
    error = e;
  }
  return {
    result,
    error,
    ms: performance.now() - t0,
    grewBytes: process.memoryUsage().arrayBuffers - before,
    largestRead,
    fileSize: bytes.length,
    inflations,
  };
}

const MS = 1000; // generous: each case takes a few ms; the bound is about hangs on a busy 2-core box
const MAX_GROWTH = 16 * 2 ** 20; // no large allocation (the zip bomb would be 256 MiB, numel_2e31 8 GiB)

type Expect = [file: string, code: CheckpointErrorCode, message: RegExp];

// README: hostile/torch/* -- "Every file must produce a typed error, and do it before any large allocation".
const torchCases: Expect[] = [
  ['float32_truncated_700.pt', 'ZipStructure', /not a complete zip: EOCD missing/],
  ['lpips_vgg_v0.1_truncated_4000.pth', 'UnexpectedEof', /unexpected EOF/],
  ['legacy_bad_magic.pt', 'InvalidMagic', /invalid magic number/],
  ['float32_storage_short.pt', 'StorageSizeMismatch', /storage size mismatch: .*holds 8 bytes.* 4 float32 elements \(16 bytes\)/],
  ['float32_view_out_of_bounds.pt', 'ViewOutOfBounds', /view exceeds storage: size \[200\] stride \[1\]/],
  ['float32_numel_2e31.pt', 'StorageSizeMismatch', /2147483647 float32 elements/],
  ['float32_zipbomb_256MiB.pt', 'StorageSizeMismatch', /holds 268435456 bytes but the pickle declares 4 float32 elements/],
  ['float32_missing_data_pkl.pt', 'NotTorchCheckpoint', /not a torch checkpoint/],
  ['float32_path_traversal_names.pt', 'IllegalName', /illegal entry name '\.\.\/float32\/data\/0'/],
];

// README: hostile/safetensors/* with the reference implementation's error names.
const safetensorsCases: Expect[] = [
  ['header_len_exceeds_file', 'InvalidHeaderLength', /header length 1000 runs past the end/],
  ['header_len_2pow40', 'HeaderTooLarge', /1099511627776 exceeds the 100000000-byte limit/],
  ['header_too_small_4_bytes', 'HeaderTooSmall', /header too small/],
  ['overlapping_offsets', 'InvalidOffset', /tensor "b": data_offsets \[0, 16\]/],
  ['offset_out_of_bounds', 'InvalidOffset', /tensor "t": data_offsets \[16, 32\]/],
  ['gap_in_buffer', 'InvalidOffset', /tensor "b": data_offsets \[16, 24\] do not continue at 8/],
  ['size_mismatch', 'TensorInvalidInfo', /4 bytes for 4 int32 elements/],
  ['shape_overflow_u64', 'ValidationOverflow', /18446744073709551614 exceeds 2\^53/],
  ['shape_product_over_2pow53', 'ValidationOverflow', /more than 2\^53 elements/],
  ['negative_dim', 'InvalidHeaderDeserialization', /shape\[0\] = -4 is not a non-negative integer/],
  ['trailing_bytes_polyglot', 'MetadataIncompleteBuffer', /trailing bytes/],
  ['non_utf8_header', 'InvalidHeader', /not valid UTF-8/],
  ['not_json_header', 'InvalidHeaderDeserialization', /not valid JSON/],
  ['header_not_object', 'InvalidHeaderDeserialization', /not a JSON object/],
  ['duplicate_keys', 'DuplicateKey', /the key "t" twice/],
  ['unknown_dtype', 'InvalidDtype', /unknown dtype "Q8"/],
  ['metadata_non_string_value', 'InvalidMetadata', /__metadata__\["format"\] is not a string/],
];

function expectRejected(file: string, code: CheckpointErrorCode, message: RegExp): void {
  const p = probe(file);
  expect(p.result, 'must not load').toBeUndefined();
  expect(p.error).toBeInstanceOf(CheckpointError);
  expect(p.error).toBeInstanceOf(PixgradError);
  const e = p.error as CheckpointError;
  expect(e.code).toBe(code);
  expect(e.message).toMatch(message);
  expect(e.message).toContain(file.split('/').pop()!); // names the file
  expect(p.ms).toBeLessThan(MS);
  expect(p.grewBytes).toBeLessThan(MAX_GROWTH);
  expect(p.largestRead).toBeLessThanOrEqual(p.fileSize);
}

describeFixtures('hostile torch checkpoints', () => {
  it('the folder holds exactly the files the README describes', () => {
    const listed = [...torchCases.map((c) => c[0]), 'float32_deflated_valid.pt', 'float32_byteorder_big.pt'].sort();
    expect(readdirSync(fixture('hostile', 'torch')).sort()).toEqual(listed);
  });
  it.each(torchCases)('%s -> %s', (file, code, message) => expectRejected(fixture('hostile', 'torch', file), code, message));

  it('float32_zipbomb_256MiB.pt is rejected before inflating anything', () => {
    const p = probe(fixture('hostile', 'torch', 'float32_zipbomb_256MiB.pt'));
    expect(p.inflations).toEqual([]);
  });

  it('float32_numel_2e31.pt reports its offset: the record of data/0', () => {
    const p = probe(fixture('hostile', 'torch', 'float32_numel_2e31.pt'));
    expect((p.error as CheckpointError).offset).toBeGreaterThan(0);
  });

  it('float32_deflated_valid.pt loads [1, 2.5, -3.7, 0] with an inflater (capped at the declared size)', () => {
    const p = probe(fixture('hostile', 'torch', 'float32_deflated_valid.pt'));
    expect(p.error).toBeUndefined();
    expect(Array.from(p.result!.tensors.get('tensor')!.data)).toEqual([1, 2.5, Math.fround(-3.7), 0]);
    expect(p.inflations).toContain(16); // data/0 inflated with maxOutputLength = numel x 4
  });

  it('float32_deflated_valid.pt without an inflater: "compressed entries unsupported"', () => {
    const bytes = new Uint8Array(readFileSync(fixture('hostile', 'torch', 'float32_deflated_valid.pt')));
    expect(() => parseCheckpoint(bytes, { name: 'deflated.pt' })).toThrow(/compressed entries unsupported/);
  });

  it('float32_byteorder_big.pt is byte-swapped as PyTorch does (never silently read as little-endian)', async () => {
    const ck = await readCheckpointRaw(fixture('hostile', 'torch', 'float32_byteorder_big.pt'));
    const got = ck.tensors.get('tensor')!.data as Float32Array;
    // the data are really little-endian [1, 2.5, -3.7, 0]; swapping each float gives garbage
    const le = new Float32Array([1, 2.5, -3.7, 0]);
    const swapped = new DataView(le.buffer);
    const expected = Array.from({ length: 4 }, (_, i) => swapped.getFloat32(4 * i, false));
    expect(Array.from(got)).toEqual(expected);
    expect(Array.from(got)).not.toEqual(Array.from(le));
  });
});

describeFixtures('hostile safetensors', () => {
  it('the folder holds exactly the files the README describes', () => {
    const listed = [...safetensorsCases.map((c) => c[0]), 'valid_leading_whitespace_header', 'valid_empty_and_scalar', 'valid_nan_inf_f32'].map(
      (f) => `${f}.safetensors`,
    );
    expect(readdirSync(fixture('hostile', 'safetensors')).sort()).toEqual(listed.sort());
  });
  it.each(safetensorsCases)('%s -> %s', (file, code, message) => expectRejected(fixture('hostile', 'safetensors', `${file}.safetensors`), code, message));

  it('valid_leading_whitespace_header ("\\t\\n{}\\r ") loads with 0 tensors', () => {
    const p = probe(fixture('hostile', 'safetensors', 'valid_leading_whitespace_header.safetensors'));
    expect(p.error).toBeUndefined();
    expect(p.result!.tensors.size).toBe(0);
  });
  it('valid_empty_and_scalar loads: [2, 0] and a scalar 42', () => {
    const p = probe(fixture('hostile', 'safetensors', 'valid_empty_and_scalar.safetensors'));
    const t = p.result!.tensors;
    expect(t.get('empty')!.shape).toEqual([2, 0]);
    expect(t.get('empty')!.data.length).toBe(0);
    expect(t.get('scalar')!.shape).toEqual([]);
    expect(Array.from(t.get('scalar')!.data)).toEqual([42]);
  });
  it('valid_nan_inf_f32 loads [NaN, +Inf, -Inf, -0, 1e-45, FLT_MAX]', () => {
    const p = probe(fixture('hostile', 'safetensors', 'valid_nan_inf_f32.safetensors'));
    const v = Array.from(p.result!.tensors.get('x')!.data);
    expect(v[0]).toBeNaN();
    expect(v.slice(1, 3)).toEqual([Infinity, -Infinity]);
    expect(Object.is(v[3], -0)).toBe(true);
    expect(v[4]).toBe(Math.fround(1e-45));
    expect(v[5]).toBe(3.4028234663852886e38);
    expect(p.result!.metadata).toEqual({ format: 'pt' });
  });
});

describe('errors carry file and offset', () => {
  it('a CheckpointError names the file and the byte offset', () => {
    const bytes = new Uint8Array(16);
    bytes[0] = 200; // header length 200 > file
    try {
      parseCheckpoint(bytes, { name: 'tiny.safetensors' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CheckpointError);
      expect((e as CheckpointError).file).toBe('tiny.safetensors');
      expect((e as CheckpointError).message).toMatch(/^tiny\.safetensors: /);
    }
  });
  it('a missing file is an Io CheckpointError', async () => {
    await expect(readCheckpointRaw('/nonexistent/weights.pth')).rejects.toMatchObject({ code: 'Io', file: '/nonexistent/weights.pth' });
  });
});
