/**
 * Lists the regular files of a POSIX (ustar) tar archive, without extracting anything.
 *
 * Used for torch's pre-0.1.10 checkpoints. Each 512-byte header is checksum-verified, sizes are
 * octal (base-256 sizes are refused: no torch tar is that large) and checked against the archive
 * size, pax extended headers ('x', 'g') are skipped, and the walk stops at the first zero block.
 */
import type { ByteSource } from './byte-source.js';
import { fail } from '../errors.js';

export interface TarMember {
  name: string;
  /** Offset of the member's data. */
  start: number;
  size: number;
}

/** True if the bytes have a ustar magic at offset 257. */
export function looksLikeTar(head: Uint8Array): boolean {
  if (head.length < 263) return false;
  return String.fromCharCode(...head.subarray(257, 262)) === 'ustar';
}

function cstr(b: Uint8Array): string {
  const z = b.indexOf(0);
  return new TextDecoder().decode(z < 0 ? b : b.subarray(0, z));
}

function octal(b: Uint8Array, what: string, file: string | undefined, at: number): number {
  const s = cstr(b).trim();
  if (!/^[0-7]*$/.test(s)) fail('ZipStructure', `tar header ${what} '${s}' is not octal`, { file, offset: at });
  const v = s === '' ? 0 : parseInt(s, 8);
  if (!Number.isSafeInteger(v)) fail('ZipStructure', `tar header ${what} is too large`, { file, offset: at });
  return v;
}

/** The regular-file members, by name (a leading './' is dropped). */
export function readTarMembers(src: ByteSource): Map<string, TarMember> {
  const file = src.name;
  const out = new Map<string, TarMember>();
  let pos = 0;
  while (pos + 512 <= src.size) {
    const h = src.view(pos, 512);
    if (h.every((x) => x === 0)) break;
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
    if (octal(h.subarray(148, 156), 'checksum', file, pos + 148) !== sum) fail('ZipStructure', 'tar header checksum mismatch', { file, offset: pos });
    if (h[124]! & 0x80) fail('Unsupported', 'tar member size in base-256 (over 8 GiB) is not supported', { file, offset: pos + 124 });
    const size = octal(h.subarray(124, 136), 'size', file, pos + 124);
    const type = String.fromCharCode(h[156]!);
    const prefix = cstr(h.subarray(345, 500));
    let name = cstr(h.subarray(0, 100));
    if (prefix) name = `${prefix}/${name}`;
    if (name.startsWith('./')) name = name.slice(2);
    const start = pos + 512;
    if (start + size > src.size) {
      fail('UnexpectedEof', `unexpected EOF: tar member '${name}' needs ${size} bytes at byte ${start} but the file ends at ${src.size}`, {
        file,
        offset: start,
      });
    }
    if (type === '0' || type === '\0') {
      if (out.has(name)) fail('ZipStructure', `duplicate tar member '${name}'`, { file, offset: pos });
      out.set(name, { name, start, size });
    }
    pos = start + Math.ceil(size / 512) * 512;
  }
  return out;
}
