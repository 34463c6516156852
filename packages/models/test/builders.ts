/**
 * Test-only writers: pickle opcodes, legacy torch streams and STORED zip archives, so tests can
 * build exactly the checkpoint they need (including hostile ones) without Python.
 * Opcodes as in CPython Lib/pickletools.py.
 */
import { crc32 } from '../src/checkpoints/crc32.js';

const enc = new TextEncoder();

export function concat(parts: (Uint8Array | number[])[]): Uint8Array {
  const arrs = parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p)));
  const out = new Uint8Array(arrs.reduce((n, a) => n + a.length, 0));
  let o = 0;
  for (const a of arrs) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}

const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
const u16 = (n: number) => [n & 0xff, (n >>> 8) & 0xff];
const i64 = (n: number) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, BigInt(n), true);
  return Array.from(b);
};

/** Pickle opcode emitters (protocol 2 unless noted). Each returns bytes; join with `concat`. */
export const P = {
  proto: (v = 2) => [0x80, v],
  stop: () => [0x2e],
  mark: () => [0x28],
  none: () => [0x4e],
  true: () => [0x88],
  false: () => [0x89],
  int: (n: number): number[] => {
    if (n >= 0 && n < 256) return [0x4b, n];
    if (n >= 0 && n < 65536) return [0x4d, ...u16(n)];
    if (n >= -(2 ** 31) && n < 2 ** 31) return [0x4a, ...u32(n)];
    // LONG1, little-endian two's complement
    let v = BigInt(n);
    const bytes: number[] = [];
    while (v !== 0n && v !== -1n) {
      bytes.push(Number(v & 0xffn));
      v >>= 8n;
    }
    if (n >= 0 && (bytes[bytes.length - 1]! & 0x80) !== 0) bytes.push(0);
    return [0x8a, bytes.length, ...bytes];
  },
  long1: (bytes: number[]) => [0x8a, bytes.length, ...bytes],
  float: (x: number) => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, x, false);
    return [0x47, ...b];
  },
  str: (s: string) => {
    const b = enc.encode(s);
    return [0x58, ...u32(b.length), ...b];
  },
  shortStr: (s: string) => {
    const b = enc.encode(s);
    return [0x8c, b.length, ...b]; // SHORT_BINUNICODE (protocol 4)
  },
  binstring: (s: string) => {
    const b = enc.encode(s);
    return [0x55, b.length, ...b]; // SHORT_BINSTRING (py2 str)
  },
  bytes: (b: number[]) => [0x43, b.length, ...b],
  global: (module: string, name: string) => [0x63, ...enc.encode(`${module}\n${name}\n`)],
  stackGlobal: () => [0x93],
  emptyTuple: () => [0x29],
  tuple: () => [0x74],
  tuple1: () => [0x85],
  tuple2: () => [0x86],
  tuple3: () => [0x87],
  emptyList: () => [0x5d],
  append: () => [0x61],
  appends: () => [0x65],
  emptyDict: () => [0x7d],
  setitem: () => [0x73],
  setitems: () => [0x75],
  put: (i: number) => [0x71, i],
  get: (i: number) => [0x68, i],
  memoize: () => [0x94],
  frame: (n: number) => [0x95, ...u32(n), 0, 0, 0, 0],
  reduce: () => [0x52],
  build: () => [0x62],
  binpersid: () => [0x51],
  pop: () => [0x30],
  dup: () => [0x32],
};

/** A tuple of items built with MARK ... TUPLE. */
export function tupleOf(...items: (number[] | Uint8Array)[]): Uint8Array {
  return concat([P.mark(), ...items, P.tuple()]);
}

export interface TensorSpec {
  storageType: string; // e.g. 'FloatStorage'
  key: string;
  numel: number;
  offset?: number;
  shape: number[];
  stride?: number[];
  /** legacy only: a view of the root storage: [viewKey, offset, size] */
  view?: [string, number, number];
}

function rowMajor(shape: number[]): number[] {
  const s: number[] = [];
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** `torch._utils._rebuild_tensor_v2(persistent storage, offset, size, stride, False, OrderedDict())` */
export function rebuildV2(t: TensorSpec, format: 'zip' | 'legacy'): Uint8Array {
  const pid =
    format === 'zip'
      ? tupleOf(P.str('storage'), P.global('torch', t.storageType), P.str(t.key), P.str('cpu'), P.int(t.numel))
      : tupleOf(
          P.str('storage'),
          P.global('torch', t.storageType),
          P.str(t.key),
          P.str('cpu'),
          P.int(t.numel),
          t.view ? tupleOf(P.str(t.view[0]), P.int(t.view[1]), P.int(t.view[2])) : P.none(),
        );
  return concat([
    P.global('torch._utils', '_rebuild_tensor_v2'),
    P.mark(),
    pid,
    P.binpersid(),
    P.int(t.offset ?? 0),
    tupleOf(...t.shape.map((d) => P.int(d))),
    tupleOf(...(t.stride ?? rowMajor(t.shape)).map((d) => P.int(d))),
    P.false(),
    P.global('collections', 'OrderedDict'),
    P.emptyTuple(),
    P.reduce(),
    P.tuple(),
    P.reduce(),
  ]);
}

/** A pickled `{name: tensor, ...}` dict. */
export function stateDictPickle(tensors: [string, TensorSpec][], format: 'zip' | 'legacy'): Uint8Array {
  return concat([P.proto(2), P.emptyDict(), P.mark(), ...tensors.flatMap(([n, t]) => [P.str(n), rebuildV2(t, format)]), P.setitems(), P.stop()]);
}

export interface ZipEntryIn {
  name: string;
  data: Uint8Array;
}

/** A STORED zip archive with correct CRCs (no zip64, no data descriptors). */
export function makeZip(entries: ZipEntryIn[]): Uint8Array {
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = enc.encode(e.name);
    const crc = crc32(e.data);
    const local = concat([
      u32(0x04034b50),
      u16(20),
      u16(0),
      u16(0),
      u16(0),
      u16(0),
      u32(crc),
      u32(e.data.length),
      u32(e.data.length),
      u16(name.length),
      u16(0),
      name,
      e.data,
    ]);
    centrals.push(
      concat([
        u32(0x02014b50),
        u16(20),
        u16(20),
        u16(0),
        u16(0),
        u16(0),
        u16(0),
        u32(crc),
        u32(e.data.length),
        u32(e.data.length),
        u16(name.length),
        u16(0),
        u16(0),
        u16(0),
        u16(0),
        u32(0),
        u32(offset),
        name,
      ]),
    );
    locals.push(local);
    offset += local.length;
  }
  const cd = concat(centrals);
  const eocd = concat([u32(0x06054b50), u16(0), u16(0), u16(entries.length), u16(entries.length), u32(cd.length), u32(offset), u16(0)]);
  return concat([...locals, cd, eocd]);
}

/** A torch zip checkpoint: `<prefix>/data.pkl`, `<prefix>/byteorder`, `<prefix>/data/<key>`. */
export function torchZip(pkl: Uint8Array, storages: [string, Uint8Array][], opts: { prefix?: string; byteorder?: string } = {}): Uint8Array {
  const prefix = opts.prefix ?? 'archive';
  return makeZip([
    { name: `${prefix}/data.pkl`, data: pkl },
    { name: `${prefix}/byteorder`, data: enc.encode(opts.byteorder ?? 'little') },
    ...storages.map(([k, d]) => ({ name: `${prefix}/data/${k}`, data: d })),
    { name: `${prefix}/version`, data: enc.encode('3\n') },
  ]);
}

/** The legacy stream: magic, protocol 1001, sys_info, object, keys, then count + bytes per storage. */
export function legacyFile(objectPickle: Uint8Array, storages: [string, number, Uint8Array][]): Uint8Array {
  const magic = concat([P.proto(2), P.long1([0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]), P.stop()]);
  const proto = concat([P.proto(2), P.int(1001), P.stop()]);
  const sys = concat([P.proto(2), P.emptyDict(), P.str('little_endian'), P.true(), P.setitem(), P.stop()]);
  const keys = concat([P.proto(2), P.emptyList(), P.mark(), ...storages.map(([k]) => P.str(k)), P.appends(), P.stop()]);
  return concat([magic, proto, sys, objectPickle, keys, ...storages.flatMap(([, n, b]) => [i64(n), b])]);
}

/** Float32 little-endian bytes. */
export function f32(values: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}
