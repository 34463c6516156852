/**
 * A minimal, defensive zip reader for `torch.save` archives (PKWARE APPNOTE.TXT 6.3.x).
 *
 * torch (>= 1.6, `PyTorchStreamWriter`) writes STORED entries, 64-byte aligned through an `FB`
 * extra field, local headers that say size 0 followed by a data descriptor, and always a zip64
 * end-of-central-directory record. So sizes are taken from the central directory (never from a
 * local header), the zip64 EOCD is honoured when its locator is present, and every offset and
 * size is checked against the file before anything is read. DEFLATEd entries are inflated only
 * through an injected `inflateRaw` with an output cap (zip bombs), STORED data are checked
 * against their CRC-32. Entry names are only ever looked up as strings; names that would escape
 * a folder ('..', absolute, backslashes, NUL) are rejected outright.
 */
import { checkRange, le16, le32, u64ToSafe, type ByteSource } from './byte-source.js';
import { crc32 } from './crc32.js';
import { fail } from '../errors.js';

export interface ZipEntry {
  name: string;
  /** 0 = STORED, 8 = DEFLATE. */
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  uncompressedSize: number;
  /** Offset of the local file header. */
  headerOffset: number;
  /** Offset of this entry's central directory record (for messages). */
  cdOffset: number;
}

export interface ZipDirectory {
  entries: Map<string, ZipEntry>;
  /** Where the central directory starts: entry data must end before it. */
  cdStart: number;
}

/** Inflates raw DEFLATE data, producing at most `maxOutput` bytes (or throwing). */
export type InflateRaw = (data: Uint8Array, maxOutput: number) => Uint8Array;

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_LOC64 = 0x07064b50;

/** True if the bytes start like a zip archive (a local header, or an empty archive's EOCD). */
export function looksLikeZip(head: Uint8Array): boolean {
  return head.length >= 4 && (le32(head, 0) === SIG_LOCAL || le32(head, 0) === SIG_EOCD);
}

function u64(b: Uint8Array, at: number, what: string, file: string | undefined, fileOffset: number): number {
  return u64ToSafe(le32(b, at), le32(b, at + 4), what, file, fileOffset);
}

/** A name that could not escape a folder if it were ever extracted. */
function legalName(name: string): boolean {
  if (name.length === 0 || name.startsWith('/') || name.includes('\\') || name.includes('\0')) return false;
  if (/^[A-Za-z]:/.test(name)) return false;
  return !name.split('/').some((seg) => seg === '..');
}

/** Parses the end of central directory (zip64 aware) and the central directory. */
export function readZipDirectory(src: ByteSource): ZipDirectory {
  const file = src.name;
  const size = src.size;
  if (size < 22) fail('ZipStructure', 'not a complete zip: EOCD missing (file too short)', { file });
  const tailLen = Math.min(size, 22 + 0xffff);
  const tailStart = size - tailLen;
  const tail = src.view(tailStart, tailLen);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (le32(tail, i) === SIG_EOCD && i + 22 + le16(tail, i + 20) <= tail.length) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail('ZipStructure', 'not a complete zip: EOCD missing (truncated or not a zip)', { file });
  const eocdAbs = tailStart + eocd;
  const diskNo = le16(tail, eocd + 4);
  const cdDisk = le16(tail, eocd + 6);
  let count = le16(tail, eocd + 10);
  let cdSize = le32(tail, eocd + 12);
  let cdStart = le32(tail, eocd + 16);
  let cdLimit = eocdAbs;
  if (diskNo !== 0 || cdDisk !== 0) fail('Unsupported', 'multi-disk zip archives are not supported', { file, offset: eocdAbs });

  // zip64: the locator sits right before the EOCD and points at the zip64 EOCD record.
  if (eocdAbs >= 20 && le32(src.view(eocdAbs - 20, 4), 0) === SIG_LOC64) {
    const loc = src.view(eocdAbs - 20, 20);
    const recAt = u64(loc, 8, 'zip64 EOCD offset', file, eocdAbs - 12);
    if (le32(loc, 16) > 1) fail('Unsupported', 'multi-disk zip64 archives are not supported', { file, offset: eocdAbs - 20 });
    if (recAt + 56 > eocdAbs - 20) fail('ZipStructure', 'zip64 EOCD record out of bounds', { file, offset: eocdAbs - 20 });
    const rec = src.view(recAt, 56);
    if (le32(rec, 0) !== SIG_EOCD64) fail('ZipStructure', 'zip64 EOCD record signature missing', { file, offset: recAt });
    count = u64(rec, 32, 'zip64 entry count', file, recAt + 32);
    cdSize = u64(rec, 40, 'zip64 central directory size', file, recAt + 40);
    cdStart = u64(rec, 48, 'zip64 central directory offset', file, recAt + 48);
    cdLimit = recAt;
  }
  if (cdStart + cdSize > cdLimit) {
    fail('ZipStructure', `central directory [${cdStart}, ${cdStart + cdSize}) overruns the end records at ${cdLimit}`, { file, offset: eocdAbs });
  }
  if (count * 46 > cdSize) {
    fail('ZipStructure', `${count} entries cannot fit in a ${cdSize}-byte central directory`, { file, offset: eocdAbs });
  }

  const cd = src.view(cdStart, cdSize);
  const entries = new Map<string, ZipEntry>();
  const dec = new TextDecoder('utf-8', { fatal: false });
  let p = 0;
  for (let i = 0; i < count; i++) {
    const at = cdStart + p;
    if (p + 46 > cd.length || le32(cd, p) !== SIG_CENTRAL) fail('ZipStructure', `central directory entry ${i} is malformed`, { file, offset: at });
    const flags = le16(cd, p + 8);
    const method = le16(cd, p + 10);
    const crc = le32(cd, p + 16);
    let compressedSize = le32(cd, p + 20);
    let uncompressedSize = le32(cd, p + 24);
    const nameLen = le16(cd, p + 28);
    const extraLen = le16(cd, p + 30);
    const commentLen = le16(cd, p + 32);
    const diskStart = le16(cd, p + 34);
    let headerOffset = le32(cd, p + 42);
    const end = p + 46 + nameLen + extraLen + commentLen;
    if (end > cd.length) fail('ZipStructure', `central directory entry ${i} overruns the directory`, { file, offset: at });
    const name = dec.decode(cd.subarray(p + 46, p + 46 + nameLen));
    // zip64 extended information: present fields replace the 0xFFFFFFFF placeholders, in order.
    const extra = cd.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen);
    for (let q = 0; q + 4 <= extra.length;) {
      const id = le16(extra, q);
      const len = le16(extra, q + 2);
      if (q + 4 + len > extra.length) fail('ZipStructure', `extra field of '${name}' overruns its entry`, { file, offset: at });
      if (id === 0x0001) {
        let r = q + 4;
        const take = (what: string): number => {
          if (r + 8 > q + 4 + len) fail('ZipStructure', `zip64 extra field of '${name}' is too short`, { file, offset: at });
          const v = u64(extra, r, what, file, at);
          r += 8;
          return v;
        };
        if (uncompressedSize === 0xffffffff) uncompressedSize = take('zip64 uncompressed size');
        if (compressedSize === 0xffffffff) compressedSize = take('zip64 compressed size');
        if (headerOffset === 0xffffffff) headerOffset = take('zip64 header offset');
      }
      q += 4 + len;
    }
    if (diskStart !== 0 && diskStart !== 0xffff) fail('Unsupported', 'multi-disk zip archives are not supported', { file, offset: at });
    if (!legalName(name)) fail('IllegalName', `illegal entry name '${name}' (absolute or escaping its folder)`, { file, offset: at });
    if (entries.has(name)) fail('ZipStructure', `duplicate entry name '${name}'`, { file, offset: at });
    if (headerOffset + 30 > cdStart) fail('ZipStructure', `local header of '${name}' lies outside the data area`, { file, offset: at });
    entries.set(name, { name, method, flags, crc, compressedSize, uncompressedSize, headerOffset, cdOffset: at });
    p = end;
  }
  return { entries, cdStart };
}

export interface ReadEntryOptions {
  /** If given, the entry's uncompressed size must equal it; checked before reading or inflating. */
  expectSize?: number | undefined;
  /** What the entry is, for messages (e.g. "storage '0'"). */
  what?: string | undefined;
  inflateRaw?: InflateRaw | undefined;
  /** Largest size an entry may inflate to (default 256 MiB). */
  maxInflateBytes?: number | undefined;
  /** Check CRC-32 of the entry (default true). */
  verifyCrc?: boolean | undefined;
  /** CRC-32 implementation (default: this package's; Node's `zlib.crc32` is ~7x faster). */
  crc32?: ((data: Uint8Array) => number) | undefined;
}

/**
 * The uncompressed bytes of one entry, as a fresh buffer that starts at offset 0.
 * Size checks against `expectSize` happen before any read, let alone inflation.
 */
export function readZipEntry(src: ByteSource, dir: ZipDirectory, e: ZipEntry, opts: ReadEntryOptions = {}): Uint8Array {
  const file = src.name;
  const what = opts.what ?? `entry '${e.name}'`;
  if (e.flags & 1) fail('Unsupported', `${what} is encrypted`, { file, offset: e.cdOffset });
  if (opts.expectSize !== undefined && e.uncompressedSize !== opts.expectSize) {
    fail('StorageSizeMismatch', `storage size mismatch: ${what} holds ${e.uncompressedSize} bytes but the pickle declares ${opts.expectSize}`, {
      file,
      offset: e.cdOffset,
    });
  }
  const local = src.view(e.headerOffset, 30);
  if (le32(local, 0) !== SIG_LOCAL) fail('ZipStructure', `local header of '${e.name}' is missing`, { file, offset: e.headerOffset });
  const nameLen = le16(local, 26);
  const extraLen = le16(local, 28);
  checkRange(src, e.headerOffset + 30, nameLen, 'local header name');
  const localName = new TextDecoder().decode(src.view(e.headerOffset + 30, nameLen));
  if (localName !== e.name) {
    fail('ZipStructure', `local header names '${localName}' but the central directory names '${e.name}'`, { file, offset: e.headerOffset });
  }
  const dataStart = e.headerOffset + 30 + nameLen + extraLen;
  if (dataStart + e.compressedSize > dir.cdStart) {
    fail('ZipStructure', `${what}: data [${dataStart}, ${dataStart + e.compressedSize}) overrun the central directory at ${dir.cdStart}`, {
      file,
      offset: e.headerOffset,
    });
  }
  let out: Uint8Array;
  if (e.method === 0) {
    if (e.compressedSize !== e.uncompressedSize) {
      fail('ZipStructure', `${what} is STORED but its sizes differ (${e.compressedSize} vs ${e.uncompressedSize})`, { file, offset: e.cdOffset });
    }
    out = src.copy(dataStart, e.compressedSize);
  } else if (e.method === 8) {
    if (!opts.inflateRaw) {
      fail('Unsupported', `${what} is DEFLATE-compressed; compressed entries unsupported here (torch writes STORED)`, { file, offset: e.cdOffset });
    }
    const max = opts.maxInflateBytes ?? 256 * 2 ** 20;
    if (e.uncompressedSize > max) {
      fail('LimitExceeded', `${what} would inflate to ${e.uncompressedSize} bytes, over the ${max}-byte limit`, { file, offset: e.cdOffset });
    }
    let inflated: Uint8Array;
    try {
      inflated = opts.inflateRaw!(src.view(dataStart, e.compressedSize), e.uncompressedSize);
    } catch (err) {
      return fail('ZipStructure', `${what}: inflate failed or exceeded its declared ${e.uncompressedSize} bytes (${(err as Error).message})`, {
        file,
        offset: dataStart,
      });
    }
    if (inflated.length !== e.uncompressedSize) {
      fail('ZipStructure', `${what} inflated to ${inflated.length} bytes, not the declared ${e.uncompressedSize}`, { file, offset: dataStart });
    }
    out = inflated.byteOffset === 0 && inflated.buffer.byteLength === inflated.length ? inflated : inflated.slice();
  } else {
    return fail('Unsupported', `${what} uses zip compression method ${e.method}; only STORED and DEFLATE are supported`, {
      file,
      offset: e.cdOffset,
    });
  }
  if ((opts.verifyCrc ?? true) && (opts.crc32 ?? crc32)(out) !== e.crc) {
    fail('ChecksumMismatch', `${what}: CRC-32 mismatch (data corrupted)`, { file, offset: dataStart });
  }
  return out;
}
