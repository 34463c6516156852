/**
 * Fuzzing the checkpoint readers: mutate valid checkpoints (bit flips, truncations, length
 * fields, pickle opcodes, zip directory fields, safetensors header text) and feed them to the
 * readers. The only allowed outcomes are a structurally correct load or a `CheckpointError`,
 * each within a time bound. Anything else (a TypeError, a RangeError from a huge allocation, a
 * stack overflow, a hang) fails the property with a shrunk counterexample.
 *
 * Runs per property: FUZZ_RUNS (default 300 in the normal suite, which keeps this file well
 * under 30 s on 2 cores); `npm run fuzz` runs thousands. FUZZ_MS is the per-case bound (ms).
 * FUZZ_SEED replays a campaign.
 */
import { readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CheckpointError,
  MemorySource,
  parseCheckpoint,
  parseNpy,
  parseNpz,
  serializeNpy,
  serializeNpz,
  serializeSafetensors,
  type RawCheckpoint,
} from '../src/index.js';
import { deflateRawSync } from 'node:zlib';
import { Cursor } from '../src/checkpoints/byte-source.js';
import { unpickle } from '../src/checkpoints/pickle.js';
import { torchHooks } from '../src/checkpoints/torch-globals.js';
import { readZipDirectory, readZipEntry } from '../src/checkpoints/zip.js';
import { P, concat, f32, legacyFile, makeZip, stateDictPickle, torchZip } from './builders.js';
import { fixture, fixturesDir } from '../../../test/helpers/fixtures.js';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 300);
const BOUND_MS = Number(process.env['FUZZ_MS'] ?? 2000);
const SEED = process.env['FUZZ_SEED'] !== undefined ? Number(process.env['FUZZ_SEED']) : undefined;
const params = { numRuns: RUNS, ...(SEED !== undefined ? { seed: SEED } : {}) };

const inflateRaw = (d: Uint8Array, max: number) => inflateRawSync(d, { maxOutputLength: Math.max(1, max) });

/** Reader options varied by the properties: CRC checks off let corrupted data reach the tensor code. */
type Opts = { verifyCrc?: boolean; int64?: 'error' | 'wrap' | 'float64' };
const optsArb: fc.Arbitrary<Opts> = fc.record({ verifyCrc: fc.boolean(), int64: fc.constantFrom<'error' | 'wrap' | 'float64'>('error', 'wrap', 'float64') });

/** The property: a CheckpointError, or a load whose every tensor is self-consistent; in time. */
function feed(bytes: Uint8Array, opts: Opts = {}): void {
  const t0 = performance.now();
  let ck: RawCheckpoint | undefined;
  try {
    ck = parseCheckpoint(bytes, { name: 'fuzz', inflateRaw, int64: 'wrap', ...opts });
  } catch (e) {
    if (!(e instanceof CheckpointError)) throw e;
    expect(e.message.length).toBeGreaterThan(0);
  }
  const ms = performance.now() - t0;
  if (ms > BOUND_MS) throw new Error(`took ${ms.toFixed(0)} ms (> ${BOUND_MS})`);
  if (!ck) return;
  for (const [name, t] of ck.tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new Error(`${name}: bad shape ${t.shape}`);
    if (t.data.length !== n) throw new Error(`${name}: ${t.data.length} values for shape [${t.shape}]`);
    const cls = { float32: Float32Array, float64: Float64Array, int32: Int32Array, bool: Uint8Array }[t.dtype];
    if (!(t.data instanceof cls)) throw new Error(`${name}: ${t.dtype} held in ${t.data.constructor.name}`);
  }
}

// ---------- seeds: built in (always) + fixtures (when present) ----------

const builtSeeds: [string, Uint8Array][] = (() => {
  const zipPkl = stateDictPickle(
    [
      ['w', { storageType: 'FloatStorage', key: '0', numel: 6, shape: [2, 3] }],
      ['t', { storageType: 'FloatStorage', key: '0', numel: 6, shape: [3, 2], stride: [1, 3] }],
      ['n', { storageType: 'LongStorage', key: '1', numel: 1, shape: [] }],
    ],
    'zip',
  );
  const long = new Uint8Array(8);
  long[0] = 42;
  const legacyPkl = stateDictPickle(
    [
      ['a', { storageType: 'FloatStorage', key: 'r', numel: 8, shape: [2], view: ['v', 2, 4] }],
      ['b', { storageType: 'HalfStorage', key: 'h', numel: 2, shape: [2] }],
    ],
    'legacy',
  );
  return [
    [
      'built zip',
      torchZip(zipPkl, [
        ['0', f32([1, 2, 3, 4, 5, 6])],
        ['1', long],
      ]),
    ],
    [
      'built legacy',
      legacyFile(legacyPkl, [
        ['r', 8, f32([0, 1, 2, 3, 4, 5, 6, 7])],
        ['h', 2, Uint8Array.from([0x00, 0x3c, 0x00, 0xc0])],
      ]),
    ],
    [
      'built safetensors',
      serializeSafetensors(
        {
          a: { dtype: 'float32', sourceDtype: 'float32', shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) },
          b: { dtype: 'int32', sourceDtype: 'int32', shape: [], data: Int32Array.from([7]) },
          c: { dtype: 'bool', sourceDtype: 'bool', shape: [3], data: Uint8Array.from([1, 0, 1]) },
        },
        { k: 'v' },
      ),
    ],
  ];
})();

const fixtureFiles = [
  'torch/burn-reader/float32.pt',
  'torch/burn-reader/checkpoint.pt',
  'torch/burn-reader/bfloat16.pt',
  'torch/candle/fortran_tensor_3d.pth',
  'torch/burn-reader/legacy_uncloned_views.pt',
  'torch/burn-reader/simple_legacy.pt',
  'lpips/weights/v0.0/alex.pth',
  'lpips/weights/v0.1/alex.pth',
  'torch/burn-reader/tar_multi_dtype.tar',
  'safetensors/samples-kolanich/overall.safetensors',
  'safetensors/multi_layer.safetensors',
  'hostile/torch/float32_deflated_valid.pt',
  'hostile/safetensors/valid_empty_and_scalar.safetensors',
];
const seeds: [string, Uint8Array][] = [
  ...builtSeeds,
  ...(fixturesDir ? fixtureFiles.map((f): [string, Uint8Array] => [f, new Uint8Array(readFileSync(fixture(...f.split('/'))))]) : []),
];
const seedArb = fc.constantFrom(...seeds);

// ---------- mutators ----------

const INTERESTING = [
  0,
  1,
  2,
  7,
  8,
  0x7f,
  0x80,
  0xff,
  0x100,
  0x7fff,
  0x8000,
  0xffff,
  0x10000,
  0x7fffffff,
  0x80000000,
  0xffffffff,
  2 ** 32,
  2 ** 53 - 1,
  2 ** 53,
  2 ** 62,
];

function writeLE(b: Uint8Array, at: number, width: number, value: number): void {
  let v = BigInt(Math.trunc(value)) & ((1n << BigInt(8 * width)) - 1n);
  for (let i = 0; i < width && at + i < b.length; i++) {
    b[at + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}
const valueArb = fc.oneof(fc.constantFrom(...INTERESTING), fc.nat(), fc.integer({ min: -1000, max: 1000 }));

type Mutation = (b: Uint8Array) => Uint8Array;

const bitFlips: fc.Arbitrary<Mutation> = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 8 }).map((flips) => (b) => {
  const out = b.slice();
  for (const [p, bit] of flips) out[p % out.length]! ^= 1 << bit;
  return out;
});
const truncation: fc.Arbitrary<Mutation> = fc.nat().map((n) => (b) => b.slice(0, n % b.length));
const lengthField: fc.Arbitrary<Mutation> = fc.tuple(fc.nat(), fc.constantFrom(1, 2, 4, 8), valueArb).map(([p, w, v]) => (b) => {
  const out = b.slice();
  writeLE(out, p % out.length, w, v);
  return out;
});
const insertDelete: fc.Arbitrary<Mutation> = fc.tuple(fc.nat(), fc.nat({ max: 16 }), fc.uint8Array({ maxLength: 16 })).map(([p, del, ins]) => (b) => {
  const at = p % b.length;
  return concat([b.subarray(0, at), ins, b.subarray(Math.min(b.length, at + del))]);
});

/** Offsets of zip length/offset fields: EOCD, zip64 EOCD + locator, central and local headers. */
function zipFieldOffsets(b: Uint8Array): [number, number][] {
  const out: [number, number][] = [];
  const sig = (i: number, s: number) => b[i] === (s & 0xff) && b[i + 1] === ((s >> 8) & 0xff) && b[i + 2] === ((s >> 16) & 0xff) && b[i + 3] === s >>> 24;
  for (let i = 0; i + 4 <= b.length; i++) {
    if (sig(i, 0x02014b50)) out.push([i + 10, 2], [i + 20, 4], [i + 24, 4], [i + 28, 2], [i + 30, 2], [i + 32, 2], [i + 42, 4]);
    else if (sig(i, 0x04034b50)) out.push([i + 8, 2], [i + 26, 2], [i + 28, 2]);
    else if (sig(i, 0x06054b50)) out.push([i + 8, 2], [i + 10, 2], [i + 12, 4], [i + 16, 4], [i + 20, 2]);
    else if (sig(i, 0x06064b50)) out.push([i + 24, 8], [i + 32, 8], [i + 40, 8], [i + 48, 8]);
    else if (sig(i, 0x07064b50)) out.push([i + 8, 8], [i + 16, 4]);
  }
  return out;
}
const zipField: fc.Arbitrary<Mutation> = fc.tuple(fc.nat(), valueArb).map(([k, v]) => (b) => {
  const fields = zipFieldOffsets(b);
  if (fields.length === 0) return b;
  const [at, w] = fields[k % fields.length]!;
  const out = b.slice();
  writeLE(out, at, w, v);
  return out;
});

// Pickle opcodes, so that mutations produce plausible streams rather than noise.
const OPCODES = [
  0x28, 0x2e, 0x30, 0x31, 0x32, 0x4e, 0x88, 0x89, 0x4a, 0x4b, 0x4d, 0x8a, 0x8b, 0x47, 0x58, 0x8c, 0x8d, 0x55, 0x54, 0x42, 0x43, 0x8e, 0x29, 0x74, 0x85, 0x86,
  0x87, 0x5d, 0x61, 0x65, 0x6c, 0x7d, 0x73, 0x75, 0x64, 0x71, 0x72, 0x94, 0x68, 0x6a, 0x63, 0x93, 0x52, 0x62, 0x51, 0x80, 0x95, 0x69, 0x6f, 0x81, 0x50,
];
const pickleMutation: fc.Arbitrary<Mutation> = fc
  .array(
    fc.oneof(
      fc.tuple(fc.constant('set' as const), fc.nat(), fc.constantFrom(...OPCODES)),
      fc.tuple(fc.constant('ins' as const), fc.nat(), fc.constantFrom(...OPCODES)),
      fc.tuple(fc.constant('del' as const), fc.nat(), fc.constant(0)),
      fc.tuple(fc.constant('byte' as const), fc.nat(), fc.integer({ min: 0, max: 255 })),
    ),
    { minLength: 1, maxLength: 4 },
  )
  .map((ops) => (b) => {
    let out: Uint8Array = b.slice();
    for (const [op, p, v] of ops) {
      if (out.length === 0) break;
      const at = p % out.length;
      if (op === 'set' || op === 'byte') out[at] = v;
      else if (op === 'ins') out = concat([out.subarray(0, at), [v], out.subarray(at)]);
      else out = concat([out.subarray(0, at), out.subarray(at + 1)]);
    }
    return out;
  });

/** For zip seeds: mutate data.pkl and rebuild the archive with correct CRCs, so the mutation reaches the unpickler. */
function mutateZipPickle(b: Uint8Array, m: Mutation): Uint8Array {
  const src = new MemorySource(b, 'seed');
  const dir = readZipDirectory(src);
  const entries = [...dir.entries.values()].map((e) => {
    const data = readZipEntry(src, dir, e, { inflateRaw });
    return { name: e.name, data: e.name.endsWith('/data.pkl') ? m(data) : data };
  });
  return makeZip(entries);
}

/** For legacy seeds the pickles are the file itself; mutate only the first 70% (mostly pickle). */
function mutateLegacyPickle(b: Uint8Array, m: Mutation): Uint8Array {
  const cut = Math.floor(b.length * 0.7);
  return concat([m(b.subarray(0, cut)), b.subarray(cut)]);
}

/** For safetensors seeds: edit the JSON header text, then fix up its length field. */
const HEADER_CHARS = '{}[],:"0123456789-+eE. \t\\u_abcdefghijklmnopqrstuvwxyzFIUB';
const headerEdit: fc.Arbitrary<(h: string) => string> = fc
  .array(fc.tuple(fc.nat(), fc.nat({ max: 3 }), fc.string({ unit: fc.constantFrom(...HEADER_CHARS), maxLength: 24 })), { minLength: 1, maxLength: 3 })
  .map((edits) => (h) => {
    let s = h;
    for (const [p, del, ins] of edits) {
      const at = p % (s.length + 1);
      s = s.slice(0, at) + ins + s.slice(at + del);
    }
    return s;
  });
function mutateSafetensorsHeader(b: Uint8Array, edit: (h: string) => string, fixLength: boolean): Uint8Array {
  const n = Number(new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true));
  const header = new TextDecoder().decode(b.subarray(8, 8 + n));
  const nh = new TextEncoder().encode(edit(header));
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, BigInt(fixLength ? nh.length : n), true);
  return concat([len, nh, b.subarray(8 + n)]);
}

const isZip = (b: Uint8Array) => b[0] === 0x50 && b[1] === 0x4b;
const isLegacy = (b: Uint8Array) => b[0] === 0x80 && b[2] === 0x8a;
const isSafetensors = (b: Uint8Array) => !isZip(b) && !isLegacy(b) && b[8] !== undefined && '{ \t\n\r'.includes(String.fromCharCode(b[8]));

// ---------- properties ----------

describe(`checkpoint fuzzing (${RUNS} runs per property, ${seeds.length} seeds${fixturesDir ? '' : ', fixtures absent: built-in seeds only'})`, () => {
  it('unmutated seeds load', () => {
    for (const [name, b] of seeds) expect(() => feed(b), name).not.toThrow();
    for (const [name, b] of seeds) expect(parseCheckpoint(b, { inflateRaw, int64: 'wrap' }).tensors.size, name).toBeGreaterThan(0);
  });

  it('bit flips', () =>
    fc.assert(
      fc.property(seedArb, bitFlips, optsArb, ([, b], m, o) => feed(m(b), o)),
      params,
    ));
  it('truncations', () =>
    fc.assert(
      fc.property(seedArb, truncation, optsArb, ([, b], m, o) => feed(m(b), o)),
      params,
    ));
  it('length fields (1/2/4/8-byte interesting values anywhere)', () =>
    fc.assert(
      fc.property(seedArb, lengthField, optsArb, ([, b], m, o) => feed(m(b), o)),
      params,
    ));
  it('insertions and deletions', () =>
    fc.assert(
      fc.property(seedArb, insertDelete, optsArb, ([, b], m, o) => feed(m(b), o)),
      params,
    ));

  const zipSeeds = seeds.filter(([, b]) => isZip(b));
  it('zip directory fields (EOCD, zip64, central and local headers)', () =>
    fc.assert(
      fc.property(fc.constantFrom(...zipSeeds), zipField, optsArb, ([, b], m, o) => feed(m(b), o)),
      params,
    ));
  it('pickle opcodes inside zip data.pkl (CRC fixed up so the unpickler sees them)', () =>
    fc.assert(
      fc.property(fc.constantFrom(...zipSeeds), pickleMutation, ([, b], m) => feed(mutateZipPickle(b, m))),
      params,
    ));

  const legacySeeds = seeds.filter(([, b]) => isLegacy(b));
  it('pickle opcodes in legacy streams', () =>
    fc.assert(
      fc.property(fc.constantFrom(...legacySeeds), pickleMutation, ([, b], m) => feed(mutateLegacyPickle(b, m))),
      params,
    ));

  const stSeeds = seeds.filter(([, b]) => isSafetensors(b));
  it('safetensors header text (with and without fixing the length)', () =>
    fc.assert(
      fc.property(fc.constantFrom(...stSeeds), headerEdit, fc.boolean(), ([, b], e, fix) => feed(mutateSafetensorsHeader(b, e, fix))),
      params,
    ));

  it('opcode soup straight into the restricted unpickler', () => {
    const hooks = torchHooks({
      file: 'soup',
      persistentLoad: (_p, at) => {
        throw new CheckpointError('MalformedPickle', 'no pid', { offset: at });
      },
    });
    const soup = fc.array(fc.oneof(fc.constantFrom(...OPCODES), fc.integer({ min: 0, max: 255 })), { maxLength: 200 });
    fc.assert(
      fc.property(soup, (ops) => {
        const t0 = performance.now();
        try {
          unpickle(new Cursor(new MemorySource(concat([P.proto(2), ops]), 'soup')), hooks);
        } catch (e) {
          if (!(e instanceof CheckpointError)) throw e;
        }
        expect(performance.now() - t0).toBeLessThan(BOUND_MS);
      }),
      { ...params, numRuns: RUNS * 5 },
    );
  });
});

// ---------- NumPy .npz / .npy (FID statistics from outside) ----------

/** The property for .npz: arrays whose data fit their shape and dtype, or a CheckpointError; in time. */
function feedNpz(bytes: Uint8Array): void {
  const t0 = performance.now();
  try {
    for (const [name, a] of parseNpz(bytes, { name: 'fuzz.npz', inflateRaw, maxMemberBytes: 2 ** 24 })) {
      const n = a.shape.reduce((x, y) => x * y, 1);
      if (!a.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new Error(`${name}: bad shape ${a.shape}`);
      if (a.data.length !== n) throw new Error(`${name}: ${a.data.length} values for shape [${a.shape}]`);
    }
  } catch (e) {
    if (!(e instanceof CheckpointError)) throw e;
  }
  const ms = performance.now() - t0;
  if (ms > BOUND_MS) throw new Error(`took ${ms.toFixed(0)} ms (> ${BOUND_MS})`);
}

const npzSeeds: [string, Uint8Array][] = (() => {
  const arrays = {
    mu: { dtype: 'float64' as const, shape: [3], data: Float64Array.from([0.5, 1, 2]) },
    sigma: { dtype: 'float32' as const, shape: [3, 3], data: Float32Array.from([1, 0, 0, 0, 2, 0, 0, 0, 3]) },
    n: { dtype: 'int64' as const, shape: [], data: Float64Array.from([7]) },
  };
  const data = (f: string) => new Uint8Array(readFileSync(new URL(`./data/${f}`, import.meta.url)));
  return [
    ['built npz (stored)', serializeNpz(arrays, { files: { 'meta.json': new TextEncoder().encode('{"a":1}') } })],
    ['built npz (deflated)', serializeNpz(arrays, { deflateRaw: (d) => deflateRawSync(d) })],
    ['numpy savez', data('stats-savez.npz')],
    ['numpy savez_compressed', data('stats-compressed.npz')],
  ];
})();
const npzSeedArb = fc.constantFrom(...npzSeeds);

describe(`.npz fuzzing (${RUNS} runs per property, ${npzSeeds.length} seeds)`, () => {
  it('unmutated seeds load', () => {
    for (const [name, b] of npzSeeds) expect(parseNpz(b, { inflateRaw }).size, name).toBeGreaterThan(0);
  });
  it('bit flips', () =>
    fc.assert(
      fc.property(npzSeedArb, bitFlips, ([, b], m) => feedNpz(m(b))),
      params,
    ));
  it('truncations', () =>
    fc.assert(
      fc.property(npzSeedArb, truncation, ([, b], m) => feedNpz(m(b))),
      params,
    ));
  it('length fields', () =>
    fc.assert(
      fc.property(npzSeedArb, lengthField, ([, b], m) => feedNpz(m(b))),
      params,
    ));
  it('insertions and deletions', () =>
    fc.assert(
      fc.property(npzSeedArb, insertDelete, ([, b], m) => feedNpz(m(b))),
      params,
    ));
  it('zip directory fields', () =>
    fc.assert(
      fc.property(npzSeedArb, zipField, ([, b], m) => feedNpz(m(b))),
      params,
    ));
});

describe(`.npy fuzzing (${RUNS} runs per property; the CRC of a .npz member would stop most mutations before the .npy parser)`, () => {
  const npySeeds: Uint8Array[] = [
    serializeNpy({ dtype: 'float64', shape: [2, 3], data: Float64Array.from([1, 2, 3, 4, 5, 6]) }),
    serializeNpy({ dtype: 'int32', shape: [4], data: Int32Array.from([1, -2, 3, 4]) }),
    new Uint8Array(readFileSync(new URL('./data/fortran-bigendian.npy', import.meta.url))),
  ];
  const feedNpy = (b: Uint8Array) => {
    const t0 = performance.now();
    try {
      const a = parseNpy(b, 'fuzz.npy');
      expect(a.data.length).toBe(a.shape.reduce((x, y) => x * y, 1));
    } catch (e) {
      if (!(e instanceof CheckpointError)) throw e;
    }
    expect(performance.now() - t0).toBeLessThan(BOUND_MS);
  };
  // header text edits: digits, quotes, keys and dtype codes where the dict is
  const headerEdit = fc
    .tuple(fc.integer({ min: 10, max: 80 }), fc.constantFrom(..."0123456789(),':<>|fiub8O TrueFalse".split('')), fc.boolean())
    .map(([at, ch, insert]) => (b: Uint8Array) => {
      const out = Array.from(b);
      if (insert) out.splice(at, 0, ch.charCodeAt(0));
      else out[at] = ch.charCodeAt(0);
      return Uint8Array.from(out);
    });
  const seed = fc.constantFrom(...npySeeds);
  it('header text edits', () =>
    fc.assert(
      fc.property(seed, fc.array(headerEdit, { minLength: 1, maxLength: 4 }), (b, ms) => feedNpy(ms.reduce((x, m) => m(x), b))),
      params,
    ));
  it('bit flips, truncations, length fields', () =>
    fc.assert(
      fc.property(seed, fc.oneof(bitFlips, truncation, lengthField, insertDelete), (b, m) => feedNpy(m(b))),
      params,
    ));
});
