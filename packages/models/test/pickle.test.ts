/**
 * The restricted pickle machine and the torch allowlist, on hand-built pickles: what a state dict
 * needs works; anything else is a CheckpointError naming the global or opcode and its offset;
 * hostile structure (cycles, exponential sharing, deep nesting) cannot hang or crash the reader.
 */
import { describe, expect, it } from 'vitest';
import { CheckpointError, PyDict, isTuple, parseCheckpoint, readCheckpointRaw, type PyValue } from '../src/index.js';
import { Cursor, MemorySource } from '../src/checkpoints/byte-source.js';
import { unpickle } from '../src/checkpoints/pickle.js';
import { torchHooks } from '../src/checkpoints/torch-globals.js';
import { P, concat, f32, legacyFile, rebuildV2, stateDictPickle, torchZip, tupleOf } from './builders.js';

/** Runs the torch-hooked unpickler on bytes (no persistent ids). */
function run(bytes: Uint8Array): PyValue {
  const hooks = torchHooks({
    file: 'test.pkl',
    persistentLoad: (_p, at) => {
      throw new CheckpointError('MalformedPickle', 'no persistent ids here', { offset: at });
    },
  });
  return unpickle(new Cursor(new MemorySource(bytes, 'test.pkl')), hooks).value;
}
const pk = (...parts: (number[] | Uint8Array)[]) => concat([P.proto(2), ...parts, P.stop()]);

function rejects(bytes: Uint8Array, code: string, message: RegExp, offset?: number): void {
  try {
    run(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(CheckpointError);
    expect((e as CheckpointError).code).toBe(code);
    expect((e as CheckpointError).message).toMatch(message);
    if (offset !== undefined) expect((e as CheckpointError).offset).toBe(offset);
    return;
  }
  expect.unreachable('should have thrown');
}

describe('plain values', () => {
  it('ints, floats, strings, None, bools, lists, tuples, dicts, bytes', () => {
    const v = run(
      pk(
        P.emptyDict(),
        P.mark(),
        P.str('i'),
        P.int(-5),
        P.str('big'),
        P.int(2 ** 40),
        P.str('huge'),
        P.long1([0, 0, 0, 0, 0, 0, 0, 0, 1]), // 2^64
        P.str('f'),
        P.float(0.123),
        P.str('s'),
        P.binstring('py2'),
        P.str('n'),
        P.none(),
        P.str('b'),
        P.true(),
        P.str('l'),
        P.emptyList(),
        P.mark(),
        P.int(1),
        P.int(2),
        P.appends(),
        P.str('t'),
        P.int(1),
        P.int(2),
        P.tuple2(),
        P.str('y'),
        P.bytes([1, 2, 3]),
        P.setitems(),
      ),
    ) as PyDict;
    expect(v.get('i')).toBe(-5);
    expect(v.get('big')).toBe(2 ** 40);
    expect(v.get('huge')).toBe(2n ** 64n);
    expect(v.get('f')).toBe(0.123);
    expect(v.get('s')).toBe('py2');
    expect(v.get('n')).toBeNull();
    expect(v.get('b')).toBe(true);
    expect(v.get('l')).toEqual([1, 2]);
    expect(isTuple(v.get('l'))).toBe(false);
    expect(isTuple(v.get('t'))).toBe(true);
    expect(v.get('y')).toEqual(Uint8Array.from([1, 2, 3]));
  });

  it('protocol 4: FRAME, SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL (OrderedDict)', () => {
    const v = run(
      concat([
        P.proto(4),
        P.frame(40),
        P.shortStr('collections'),
        P.memoize(),
        P.shortStr('OrderedDict'),
        P.memoize(),
        P.stackGlobal(),
        P.memoize(),
        P.emptyTuple(),
        P.reduce(),
        P.memoize(),
        P.shortStr('k'),
        P.int(7),
        P.setitem(),
        P.stop(),
      ]),
    ) as PyDict;
    expect(v.pyClass).toBe('collections.OrderedDict');
    expect(v.get('k')).toBe(7);
  });

  it('torch.Size, torch.device, _codecs.encode, torch dtypes', () => {
    const v = run(
      pk(
        P.emptyList(),
        P.mark(),
        P.global('torch', 'Size'),
        tupleOf(P.int(2), P.int(3)),
        P.tuple1(),
        P.reduce(),
        P.global('torch', 'device'),
        P.str('cuda'),
        P.int(1),
        P.tuple2(),
        P.reduce(),
        P.global('_codecs', 'encode'),
        P.str('\u00ff\u0001'),
        P.str('latin1'),
        P.tuple2(),
        P.reduce(),
        P.global('torch', 'float16'),
        P.appends(),
      ),
    ) as PyValue[];
    expect(v[0]).toEqual([2, 3]);
    expect(v[1]).toBe('cuda:1');
    expect(v[2]).toEqual(Uint8Array.from([255, 1]));
    expect((v[3] as { dtype: string }).dtype).toBe('float16');
  });
});

describe('allowlist: globals and opcodes outside it are refused, naming them and the offset', () => {
  it.each([
    ['os', 'system'],
    ['posix', 'system'],
    ['builtins', 'eval'],
    ['builtins', 'getattr'],
    ['subprocess', 'Popen'],
    ['torch', 'load'],
    ['torch._utils', '_rebuild_qtensor'],
    ['torch.storage', '_load_from_bytes'],
    ['numpy.core.multiarray', '_reconstruct'],
    ['__main__', 'Evil'],
  ])('GLOBAL %s.%s', (m, n) => {
    rejects(pk(P.global(m, n), P.str('echo pwned'), P.tuple1(), P.reduce()), 'ForbiddenGlobal', new RegExp(`'${m}\\.${n}'`), 2);
  });

  it('STACK_GLOBAL os.system', () => {
    rejects(concat([P.proto(4), P.shortStr('os'), P.shortStr('system'), P.stackGlobal(), P.stop()]), 'ForbiddenGlobal', /'os\.system'/, 14);
  });

  it('opcode OBJ (after its MARK)', () => rejects(pk([0x28, 0x6f]), 'ForbiddenOpcode', /opcode OBJ/, 3));
  it.each([
    ['INST', [0x69, ...new TextEncoder().encode('os\nsystem\n')]],
    ['NEWOBJ', [0x81]],
    ['NEWOBJ_EX', [0x92]],
    ['EXT1', [0x82, 1]],
    ['PERSID', [0x50, 0x30, 0x0a]],
    ['INT', [0x49, 0x31, 0x0a]],
    ['GET', [0x67, 0x30, 0x0a]],
    ['EMPTY_SET', [0x8f]],
    ['NEXT_BUFFER', [0x97]],
    ['unknown', [0xff]],
  ])('opcode %s', (name, bytes) => {
    rejects(pk(bytes as number[]), 'ForbiddenOpcode', new RegExp(`opcode ${name}`), 2);
  });

  it('REDUCE on an allowlisted marker (a storage class) is refused', () => {
    rejects(pk(P.global('torch', 'FloatStorage'), P.emptyTuple(), P.reduce()), 'ForbiddenGlobal', /calling torch\.FloatStorage is not allowed/);
  });
  it('BUILD on anything but an OrderedDict is refused', () => {
    rejects(pk(P.emptyList(), P.emptyDict(), P.build()), 'ForbiddenOpcode', /BUILD on a 0-list/);
  });
  it('_rebuild_from_type_v2 with a tensor subclass other than Parameter is refused', () => {
    rejects(
      pk(
        P.global('torch._tensor', '_rebuild_from_type_v2'),
        P.mark(),
        P.global('torch._utils', '_rebuild_tensor_v2'),
        P.global('evil', 'Sub'),
        P.emptyTuple(),
        P.none(),
        P.tuple(),
        P.reduce(),
      ),
      'ForbiddenGlobal',
      /'evil\.Sub'/,
    );
  });
  it('complex storages are named as unsupported', () => {
    rejects(pk(P.global('torch', 'ComplexFloatStorage')), 'Unsupported', /torch\.ComplexFloatStorage/);
  });
});

describe('malformed pickles', () => {
  it.each([
    ['stack underflow', pk(P.tuple2()), /stack underflow/],
    ['memo miss', pk(P.get(3)), /memo key 3/],
    ['APPEND to a tuple', pk(P.emptyTuple(), P.int(1), P.append()), /expected a list/],
    ['SETITEM on a list', pk(P.emptyList(), P.int(1), P.int(2), P.setitem()), /expected a dict/],
    ['REDUCE on a string', pk(P.str('x'), P.emptyTuple(), P.reduce()), /cannot call/],
    ['REDUCE with list args', pk(P.global('collections', 'OrderedDict'), P.emptyList(), P.reduce()), /must be a tuple/],
    ['STOP inside MARK', pk(P.mark(), P.int(1)), /inside an open MARK/],
    ['invalid UTF-8', pk([0x58, 1, 0, 0, 0, 0xff]), /not valid UTF-8/],
    ['protocol 9', concat([P.proto(9), P.none(), P.stop()]), /protocol 9/],
    [
      'rebuild with a str storage',
      pk(P.global('torch._utils', '_rebuild_tensor'), tupleOf(P.str('s'), P.int(0), P.emptyTuple(), P.emptyTuple()), P.reduce()),
      /expected a storage/,
    ],
  ])('%s', (_name, bytes, re) => rejects(bytes, 'MalformedPickle', re));

  it('truncated pickle: UnexpectedEof with the offset', () => {
    rejects(concat([P.proto(2), [0x58, 100, 0, 0, 0, 0x41]]), 'UnexpectedEof', /unexpected EOF/, 7);
  });
  it('a LONG4 of 1 MB is refused before parsing it', () => {
    rejects(pk([0x8b, 0, 0, 0x10, 0]), 'ForbiddenOpcode', /integer of 1048576 bytes/);
  });
  it('a BINUNICODE claiming 4 GB is an EOF, not an allocation', () => {
    rejects(pk([0x58, 0xff, 0xff, 0xff, 0xff]), 'UnexpectedEof', /needs 4294967295 bytes/);
  });
});

describe('structure attacks on the tensor walk', () => {
  const t = { storageType: 'FloatStorage', key: '0', numel: 2, shape: [2] };
  const zipWith = (objectPickle: Uint8Array) => torchZip(objectPickle, [['0', f32([1, 2])]]);

  it('a list containing itself loads (no hang)', () => {
    const pkl = pk(P.emptyList(), P.put(0), P.get(0), P.append(), P.get(0), rebuildV2(t, 'zip'), P.append());
    const ck = parseCheckpoint(zipWith(pkl));
    expect([...ck.tensors.keys()]).toEqual(['1']);
  });

  it('2^60 paths through shared lists are walked once (no exponential blow-up)', () => {
    const parts: (number[] | Uint8Array)[] = [P.emptyList(), rebuildV2(t, 'zip'), P.append(), P.put(0)];
    for (let i = 1; i <= 60; i++) parts.push(P.emptyList(), P.get(i - 1), P.append(), P.get(i - 1), P.append(), P.put(i), [0x30], P.get(i));
    // stack: [L0, L60]; build dict {'root': L60}
    const pkl = pk(...parts.slice(0), P.pop(), P.pop(), P.emptyDict(), P.str('root'), P.get(60), P.setitem());
    const t0 = performance.now();
    const ck = parseCheckpoint(zipWith(pkl));
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(ck.tensors.size).toBe(1);
    expect([...ck.tensors.keys()][0]).toMatch(/^root(\.0){61}$/);
  });

  it('nesting deeper than 256 levels is refused; 200 levels load', () => {
    const nested = (depth: number) => {
      const parts: (number[] | Uint8Array)[] = [];
      for (let i = 0; i < depth; i++) parts.push(P.emptyDict(), P.str('a'));
      parts.push(rebuildV2(t, 'zip'));
      for (let i = 0; i < depth; i++) parts.push(P.setitem());
      return pk(...parts);
    };
    expect(parseCheckpoint(zipWith(nested(200))).tensors.size).toBe(1);
    expect(() => parseCheckpoint(zipWith(nested(300)))).toThrow(/nested deeper than 256/);
  });

  it('a tensor referenced twice gets both names and is read once', () => {
    const pkl = pk(P.emptyDict(), P.str('a'), rebuildV2(t, 'zip'), P.put(9), P.setitem(), P.str('b'), P.get(9), P.setitem());
    const ck = parseCheckpoint(zipWith(pkl));
    expect(ck.tensors.get('a')).toBe(ck.tensors.get('b'));
  });

  it('two tensors flattening to one name are refused', () => {
    const pkl = pk(
      P.emptyDict(),
      P.str('a.b'),
      rebuildV2(t, 'zip'),
      P.setitem(),
      P.str('a'),
      P.emptyDict(),
      P.str('b'),
      rebuildV2(t, 'zip'),
      P.setitem(),
      P.setitem(),
    );
    expect(() => parseCheckpoint(zipWith(pkl))).toThrow(/same name 'a\.b'/);
  });

  it('an expanded view (stride 0) is materialised densely; an absurd one is refused before allocating', () => {
    const ok = stateDictPickle([['x', { ...t, shape: [3, 2], stride: [0, 1] }]], 'zip');
    expect(Array.from(parseCheckpoint(zipWith(ok)).tensors.get('x')!.data)).toEqual([1, 2, 1, 2, 1, 2]);
    const bomb = stateDictPickle([['x', { ...t, shape: [2 ** 20, 2 ** 5], stride: [0, 0] }]], 'zip');
    expect(() => parseCheckpoint(zipWith(bomb))).toThrow(/overlapping strides expand/);
    const huge = stateDictPickle([['x', { ...t, shape: [2 ** 31], stride: [0] }]], 'zip');
    expect(() => parseCheckpoint(zipWith(huge))).toThrow(/exceeds maxTensorBytes/);
  });
});

describe('torch zip specifics', () => {
  it('any prefix folder, byteorder big is byte-swapped, unknown byteorder refused', () => {
    const pkl = stateDictPickle([['w', { storageType: 'FloatStorage', key: '0', numel: 2, shape: [2] }]], 'zip');
    const le = f32([1, -2]);
    expect(Array.from(parseCheckpoint(torchZip(pkl, [['0', le]], { prefix: 'my_model' })).tensors.get('w')!.data)).toEqual([1, -2]);
    const be = Uint8Array.from([...le.subarray(0, 4)].reverse().concat([...le.subarray(4)].reverse()));
    expect(Array.from(parseCheckpoint(torchZip(pkl, [['0', be]], { byteorder: 'big' })).tensors.get('w')!.data)).toEqual([1, -2]);
    expect(() => parseCheckpoint(torchZip(pkl, [['0', le]], { byteorder: 'middle' }))).toThrow(/unknown byteorder 'middle'/);
  });

  it('a missing storage record is named', () => {
    const pkl = stateDictPickle([['w', { storageType: 'FloatStorage', key: '7', numel: 2, shape: [2] }]], 'zip');
    expect(() => parseCheckpoint(torchZip(pkl, []))).toThrow(/storage '7': record archive\/data\/7 is missing/);
  });

  it('a corrupted STORED record fails its CRC-32 (unless verifyCrc: false)', async () => {
    const pkl = stateDictPickle([['w', { storageType: 'FloatStorage', key: '0', numel: 2, shape: [2] }]], 'zip');
    const zip = torchZip(pkl, [['0', f32([1, 2])]]);
    const at = zip.indexOf(0x40, 100); // a byte of 2.0f (00 00 00 40) in data/0
    const bad = zip.slice();
    bad[at] ^= 1;
    expect(() => parseCheckpoint(bad)).toThrow(/CRC-32 mismatch/);
    await expect(readCheckpointRaw(bad)).rejects.toThrow(/CRC-32 mismatch/); // with Node's zlib.crc32
    expect(parseCheckpoint(bad, { verifyCrc: false }).tensors.get('w')!.data[1]).not.toBe(2);
  });

  it('_rebuild_tensor_v3 on an UntypedStorage, and _rebuild_from_type_v2(Parameter)', () => {
    const storagePid = tupleOf(P.str('storage'), P.global('torch.storage', 'UntypedStorage'), P.str('0'), P.str('cpu'), P.int(8));
    const v3 = concat([
      P.global('torch._utils', '_rebuild_tensor_v3'),
      P.mark(),
      storagePid,
      P.binpersid(),
      P.int(0),
      tupleOf(P.int(2)),
      tupleOf(P.int(1)),
      P.false(),
      P.global('collections', 'OrderedDict'),
      P.emptyTuple(),
      P.reduce(),
      P.global('torch', 'float32'),
      P.tuple(),
      P.reduce(),
    ]);
    const param = concat([
      P.global('torch._tensor', '_rebuild_from_type_v2'),
      P.mark(),
      P.global('torch._utils', '_rebuild_parameter'),
      P.global('torch.nn.parameter', 'Parameter'),
      P.mark(),
      v3,
      P.true(),
      P.global('collections', 'OrderedDict'),
      P.emptyTuple(),
      P.reduce(),
      P.tuple(),
      P.emptyDict(),
      P.tuple(),
      P.reduce(),
    ]);
    const ck = parseCheckpoint(torchZip(pk(P.emptyDict(), P.str('p'), param, P.setitem()), [['0', f32([3, 4])]]));
    const p = ck.tensors.get('p')!;
    expect([p.dtype, p.sourceDtype, Array.from(p.data)]).toEqual(['float32', 'float32', [3, 4]]);
  });
});

describe('legacy specifics', () => {
  it('views into one root storage (offset + size) and shared storages', () => {
    const root = f32(Array.from({ length: 10 }, (_, i) => i));
    const pkl = stateDictPickle(
      [
        ['a', { storageType: 'FloatStorage', key: 'r', numel: 10, shape: [3], view: ['v1', 2, 4] }],
        ['b', { storageType: 'FloatStorage', key: 'r', numel: 10, shape: [2], offset: 1, view: ['v2', 6, 4] }],
      ],
      'legacy',
    );
    const ck = parseCheckpoint(legacyFile(pkl, [['r', 10, root]]));
    expect(ck.format).toBe('torch-legacy');
    expect(Array.from(ck.tensors.get('a')!.data)).toEqual([2, 3, 4]);
    expect(Array.from(ck.tensors.get('b')!.data)).toEqual([7, 8]);
  });

  it('a view outside its window, a count that disagrees, and a missing key are refused', () => {
    const spec = { storageType: 'FloatStorage', key: 'r', numel: 4, shape: [4] };
    const pk1 = stateDictPickle([['a', { ...spec, view: ['v', 2, 4] as [string, number, number] }]], 'legacy');
    expect(() => parseCheckpoint(legacyFile(pk1, [['r', 4, f32([1, 2, 3, 4])]]))).toThrow(/exceeds its 4-element storage/);
    const pk2 = stateDictPickle([['a', spec]], 'legacy');
    expect(() => parseCheckpoint(legacyFile(pk2, [['r', 3, f32([1, 2, 3])]]))).toThrow(/has 3 elements in the file but 4 in the pickle/);
    expect(() => parseCheckpoint(legacyFile(pk2, []))).toThrow(/not in the file's storage list/);
    expect(() => parseCheckpoint(legacyFile(pk2, [['zz', 4, f32([1, 2, 3, 4])]]))).toThrow(/storage 'zz' has data but no tensor declares it/);
  });

  it("a whole pickled nn.Module ('module' persistent id) is refused with advice", () => {
    const pkl = pk(tupleOf(P.str('module'), P.str('Net'), P.none(), P.none()), P.binpersid());
    expect(() => parseCheckpoint(legacyFile(pkl, []))).toThrow(/save model\.state_dict\(\)/);
  });
});
