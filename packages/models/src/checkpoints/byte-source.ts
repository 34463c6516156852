/**
 * Random-access byte sources and a sequential cursor over them.
 *
 * Why an abstraction instead of one big Buffer: a 528 MB VGG16 checkpoint should be read with
 * positional reads, touching only the records a caller asks for, and never held twice. The same
 * readers must also work on a `Uint8Array` the caller already has (browser, tests, fuzzing). Every
 * read is bounds-checked against the source size first, so a hostile length field produces an
 * `UnexpectedEof` error instead of an allocation.
 */
import { CheckpointError, fail } from '../errors.js';

/** A read-only, bounds-checked view of the bytes of a file or array. */
export interface ByteSource {
  /** Total size in bytes. */
  readonly size: number;
  /** File name used in error messages. */
  readonly name: string | undefined;
  /**
   * Bytes `[offset, offset + length)`. May alias the source's memory: do not mutate it, and do
   * not wrap it in a wider typed array (its `byteOffset` may be unaligned).
   */
  view(offset: number, length: number): Uint8Array;
  /**
   * A fresh copy of `[offset, offset + length)` whose `buffer` is exactly that long and starts
   * at byte 0, so it can be reinterpreted as any typed array without another copy.
   */
  copy(offset: number, length: number): Uint8Array;
}

/** Throws `UnexpectedEof` unless `[offset, offset + length)` lies inside `[0, size)`. */
export function checkRange(src: ByteSource, offset: number, length: number, what = 'data'): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > src.size) {
    fail('UnexpectedEof', `unexpected EOF: ${what} needs ${length} bytes at byte ${offset} but the data end at byte ${src.size}`, { file: src.name, offset });
  }
}

/** A source over bytes already in memory (a caller's array, an inflated zip entry). */
export class MemorySource implements ByteSource {
  readonly size: number;
  constructor(
    private readonly bytes: Uint8Array,
    readonly name: string | undefined,
  ) {
    this.size = bytes.length;
  }
  view(offset: number, length: number): Uint8Array {
    checkRange(this, offset, length);
    return this.bytes.subarray(offset, offset + length);
  }
  copy(offset: number, length: number): Uint8Array {
    checkRange(this, offset, length);
    return this.bytes.slice(offset, offset + length);
  }
}

/** A window `[start, start + size)` of another source (a tar member), with offsets relative to it. */
export class SliceSource implements ByteSource {
  readonly name: string | undefined;
  constructor(
    private readonly parent: ByteSource,
    /** Absolute offset of this window in the parent; added to offsets in error messages. */
    readonly start: number,
    readonly size: number,
  ) {
    checkRange(parent, start, size, 'member');
    this.name = parent.name;
  }
  view(offset: number, length: number): Uint8Array {
    checkRange(this, offset, length);
    return this.parent.view(this.start + offset, length);
  }
  copy(offset: number, length: number): Uint8Array {
    checkRange(this, offset, length);
    return this.parent.copy(this.start + offset, length);
  }
}

const CHUNK = 1 << 16;

/**
 * A sequential reader (for pickle streams and tar members) over a source, starting at `start`
 * and stopping at `end`. Reads go through a 64 KiB window so a file source does few syscalls.
 * `base` is added to positions in error messages so offsets are absolute in the file.
 */
export class Cursor {
  private chunk: Uint8Array = new Uint8Array(0);
  private chunkStart = 0;
  pos: number;

  constructor(
    readonly src: ByteSource,
    start = 0,
    readonly end: number = src.size,
    readonly base = 0,
  ) {
    this.pos = start;
    if (end > src.size) this.end = src.size;
  }

  /** Absolute file offset of the current position, for messages. */
  get fileOffset(): number {
    return this.base + this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private eof(n: number, what: string): never {
    throw new CheckpointError(
      'UnexpectedEof',
      `unexpected EOF: ${what} needs ${n} bytes at byte ${this.base + this.pos} but the data end at byte ${this.base + this.end}`,
      { file: this.src.name, offset: this.base + this.pos },
    );
  }

  /** `n` bytes, advancing. May alias the source or the window: copy before keeping large data. */
  bytes(n: number, what = 'data'): Uint8Array {
    if (!Number.isSafeInteger(n) || n < 0 || n > this.end - this.pos) this.eof(n, what);
    const rel = this.pos - this.chunkStart;
    let out: Uint8Array;
    if (rel >= 0 && rel + n <= this.chunk.length) {
      out = this.chunk.subarray(rel, rel + n);
    } else if (n > CHUNK) {
      out = this.src.view(this.pos, n);
    } else {
      const len = Math.min(CHUNK, this.end - this.pos);
      this.chunk = this.src.view(this.pos, len);
      this.chunkStart = this.pos;
      out = this.chunk.subarray(0, n);
    }
    this.pos += n;
    return out;
  }

  u8(what = 'byte'): number {
    const rel = this.pos - this.chunkStart;
    if (rel >= 0 && rel < this.chunk.length && this.pos < this.end) {
      this.pos++;
      return this.chunk[rel]!;
    }
    return this.bytes(1, what)[0]!;
  }

  u16le(): number {
    const b = this.bytes(2);
    return b[0]! | (b[1]! << 8);
  }

  u32le(): number {
    const b = this.bytes(4);
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  }

  i32le(): number {
    return this.u32le() | 0;
  }

  /** A little-endian unsigned 64-bit integer, which must be a safe JS integer. */
  u64le(what = 'length'): number {
    const at = this.fileOffset;
    const lo = this.u32le();
    const hi = this.u32le();
    return u64ToSafe(lo, hi, what, this.src.name, at);
  }

  /** A little-endian signed 64-bit integer, which must be a safe JS integer. */
  i64le(what = 'integer'): number {
    const at = this.fileOffset;
    const lo = this.u32le();
    const hi = this.u32le() | 0;
    const v = hi * 0x1_0000_0000 + lo;
    if (!Number.isSafeInteger(v)) {
      fail('LimitExceeded', `${what} does not fit in 53 bits`, { file: this.src.name, offset: at });
    }
    return v;
  }

  /** A big-endian IEEE double (pickle BINFLOAT). */
  f64be(): number {
    const b = this.bytes(8);
    return new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, false);
  }

  skip(n: number, what = 'data'): void {
    if (!Number.isSafeInteger(n) || n < 0 || n > this.end - this.pos) this.eof(n, what);
    this.pos += n;
  }
}

/** Combines two 32-bit halves into a safe integer or throws `LimitExceeded`. */
export function u64ToSafe(lo: number, hi: number, what: string, file: string | undefined, offset: number): number {
  if (hi >= 0x20_0000) {
    fail('LimitExceeded', `${what} ${BigInt(hi) * 0x1_0000_0000n + BigInt(lo)} does not fit in 53 bits`, { file, offset });
  }
  return hi * 0x1_0000_0000 + lo;
}

/** Reads a little-endian u16/u32/u64 from a byte array at `at` (zip structures). */
export function le16(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8);
}
export function le32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}
