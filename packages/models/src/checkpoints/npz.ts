/**
 * NumPy's `.npz`: a zip of `.npy` members (`np.savez` stores them, `np.savez_compressed` deflates
 * them). pytorch-fid's statistics files hold `mu` and `sigma`; OpenAI's ADM reference batches add
 * `mu_s` and `sigma_s` (sFID). Read through the defensive zip reader (sizes checked before reads,
 * an inflate cap against zip bombs, CRC-32 checked); written as `np.savez` / `np.savez_compressed`
 * would, so numpy, pytorch-fid and clean-fid load what pixgrad writes.
 */
import { MemorySource, type ByteSource } from './byte-source.js';
import { crc32 } from './crc32.js';
import { fail } from '../errors.js';
import { type NpyArray, parseNpy, serializeNpy } from './npy.js';
import { type InflateRaw, readZipDirectory, readZipEntry } from './zip.js';
import { host } from '#host';

export interface NpzReadOptions {
  /** name for messages (default the path, or 'npz') */
  name?: string;
  /** raw-DEFLATE inflater for `savez_compressed` members (Node's zlib is used by `readNpz`) */
  inflateRaw?: InflateRaw;
  /** largest size one member may inflate to (default 1 GiB: a 2048x2048 float64 sigma is 32 MiB) */
  maxMemberBytes?: number;
  /** read only these arrays (names without `.npy`); others are skipped unread */
  only?: readonly string[];
}

/**
 * The arrays of an `.npz` held in memory (or any `ByteSource`), by name without `.npy`.
 * Members that are not `.npy` files are skipped. Errors are `CheckpointError`s with file and offset.
 * @example const stats = parseNpz(bytes, { inflateRaw }); stats.get('mu')!.shape // [2048]
 */
export function parseNpz(input: Uint8Array | ByteSource, opts: NpzReadOptions = {}): Map<string, NpyArray> {
  const src = input instanceof Uint8Array ? new MemorySource(input, opts.name ?? 'npz') : input;
  const dir = readZipDirectory(src);
  const out = new Map<string, NpyArray>();
  for (const e of dir.entries.values()) {
    if (!e.name.endsWith('.npy')) continue;
    const key = e.name.slice(0, -4);
    if (opts.only && !opts.only.includes(key)) continue;
    const bytes = readZipEntry(src, dir, e, {
      what: `member '${e.name}'`,
      inflateRaw: opts.inflateRaw,
      maxInflateBytes: opts.maxMemberBytes ?? 2 ** 30,
    });
    out.set(key, parseNpy(bytes, `${src.name}:${e.name}`));
  }
  return out;
}

/**
 * Reads an `.npz` file (or bytes): stored and deflated members, `.npy` 1.0-3.0, both byte orders.
 * @example const s = await readNpz('fid_stats_cifar10_train.npz'); s.get('sigma')!.shape // [2048, 2048]
 */
export async function readNpz(pathOrBytes: string | Uint8Array, opts: Omit<NpzReadOptions, 'inflateRaw'> = {}): Promise<Map<string, NpyArray>> {
  const o = { ...opts, inflateRaw: host.inflateRaw };
  if (typeof pathOrBytes !== 'string') return parseNpz(pathOrBytes, o);
  const src = host.openFile(pathOrBytes);
  try {
    return parseNpz(src, o);
  } finally {
    src.close();
  }
}

/**
 * The bytes of a member of an `.npz` (or any zip) that is not an array, such as a JSON metadata
 * file written beside the arrays; undefined when there is no such member.
 */
export async function readNpzMember(pathOrBytes: string | Uint8Array, member: string): Promise<Uint8Array | undefined> {
  const inflateRaw = host.inflateRaw;
  const read = (src: ByteSource) => {
    const dir = readZipDirectory(src);
    const e = dir.entries.get(member);
    return e ? readZipEntry(src, dir, e, { what: `member '${member}'`, inflateRaw, maxInflateBytes: 2 ** 26 }) : undefined;
  };
  if (typeof pathOrBytes !== 'string') return read(new MemorySource(pathOrBytes, 'npz'));
  const src = host.openFile(pathOrBytes);
  try {
    return read(src);
  } finally {
    src.close();
  }
}

/** Raw DEFLATE for `savez_compressed`-style members. */
export type DeflateRaw = (data: Uint8Array) => Uint8Array;

/**
 * An `.npz` archive of `arrays` (members `NAME.npy`): STORED as `np.savez` writes, or deflated
 * (`savez_compressed`) when `deflateRaw` is given. Extra non-array members (`files`) are stored
 * as given; numpy ignores them when loading arrays.
 */
export function serializeNpz(
  arrays: Readonly<Record<string, NpyArray>>,
  opts: { deflateRaw?: DeflateRaw; files?: Readonly<Record<string, Uint8Array>> } = {},
): Uint8Array {
  const members: { name: Uint8Array; data: Uint8Array; method: number; crc: number; size: number }[] = [];
  const enc = new TextEncoder();
  const add = (name: string, raw: Uint8Array, compress: boolean): void => {
    const data = compress && opts.deflateRaw ? opts.deflateRaw(raw) : raw;
    members.push({ name: enc.encode(name), data, method: data === raw ? 0 : 8, crc: crc32(raw), size: raw.length });
  };
  for (const [k, a] of Object.entries(arrays)) add(`${k}.npy`, serializeNpy(a), true);
  for (const [k, b] of Object.entries(opts.files ?? {})) add(k, b, false);
  let size = 22;
  for (const m of members) size += 30 + 46 + 2 * m.name.length + m.data.length;
  if (size >= 2 ** 32 || members.length >= 0xffff)
    fail('InvalidArgument', `serializeNpz: ${size} bytes in ${members.length} members is over the plain zip limits (4 GiB, 65535 members)`);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  let p = 0;
  const offsets: number[] = [];
  const header = (sig: number, central: boolean, m: (typeof members)[number], offset: number): void => {
    dv.setUint32(p, sig, true);
    p += 4;
    if (central) {
      dv.setUint16(p, 20, true); // made by: version 2.0
      p += 2;
    }
    dv.setUint16(p, 20, true); // needed to extract: 2.0
    dv.setUint16(p + 2, 0, true); // flags
    dv.setUint16(p + 4, m.method, true);
    dv.setUint16(p + 6, 0, true); // time
    dv.setUint16(p + 8, 0x21, true); // date 1980-01-01
    dv.setUint32(p + 10, m.crc, true);
    dv.setUint32(p + 14, m.data.length, true);
    dv.setUint32(p + 18, m.size, true);
    dv.setUint16(p + 22, m.name.length, true);
    dv.setUint16(p + 24, 0, true); // extra
    p += 26;
    if (central) {
      p += 10; // comment length, disk number, internal and external attributes: 0
      dv.setUint32(p, offset, true);
      p += 4;
    }
    out.set(m.name, p);
    p += m.name.length;
  };
  for (const m of members) {
    offsets.push(p);
    header(0x04034b50, false, m, 0);
    out.set(m.data, p);
    p += m.data.length;
  }
  const cdStart = p;
  members.forEach((m, i) => header(0x02014b50, true, m, offsets[i]!));
  dv.setUint32(p, 0x06054b50, true);
  dv.setUint16(p + 8, members.length, true);
  dv.setUint16(p + 10, members.length, true);
  dv.setUint32(p + 12, p - cdStart, true);
  dv.setUint32(p + 16, cdStart, true);
  return out;
}

/**
 * Writes `arrays` to an `.npz` file (deflated like `np.savez_compressed` unless `compress` is
 * false), through a temporary file renamed into place so a failed write leaves nothing half-done.
 * @example await writeNpz('stats.npz', { mu: { dtype: 'float64', shape: [d], data: mu }, sigma: ... });
 */
export async function writeNpz(
  path: string,
  arrays: Readonly<Record<string, NpyArray>>,
  opts: { compress?: boolean; files?: Readonly<Record<string, Uint8Array>> } = {},
): Promise<void> {
  const bytes = serializeNpz(arrays, {
    ...(opts.compress === false ? {} : { deflateRaw: host.deflateRaw }),
    ...(opts.files ? { files: opts.files } : {}),
  });
  await host.writeFileAtomic(path, bytes);
}
