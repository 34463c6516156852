/**
 * What the package needs from its platform: files by path, DEFLATE, and the folders where
 * installed weights live. Two implementations, picked by the package's `imports` map (`#host`):
 * `node.ts` under the `node` condition (Node, Deno, Bun, vitest) and `browser.ts` everywhere else
 * (bundlers targeting browsers). So one API works in both: a path is read in Node and gets a clear
 * error in a browser, and browser bundles never see a Node built-in.
 */
import type { ByteSource } from '../checkpoints/byte-source.js';
import type { InflateRaw } from '../checkpoints/zip.js';

/** A positional reader over a file; `close()` when done. */
export interface FileByteSource extends ByteSource {
  close(): void;
}

/** The file system, as weight discovery sees it (see weights.ts). */
export interface FolderView {
  env: Record<string, string | undefined>;
  home: string;
  join(...parts: string[]): string;
  /** the PATH-list separator (':' or ';') */
  delimiter: string;
  /** the path separator ('/' or '\\') */
  sep: string;
  isFile(path: string): boolean;
  listDir(path: string): string[];
}

export interface Host {
  /** 'node' where files can be read by path, 'browser' where only bytes can be passed */
  readonly kind: 'node' | 'browser';
  openFile(path: string): FileByteSource;
  readFile(path: string): Promise<Uint8Array>;
  /** Writes through a temporary file renamed into place, so a failed write leaves nothing half-done. */
  writeFileAtomic(path: string, bytes: Uint8Array): Promise<void>;
  /** Raw DEFLATE with an output cap (zip bombs) */
  inflateRaw: InflateRaw;
  deflateRaw(data: Uint8Array): Uint8Array;
  /** a faster CRC-32 than the package's own table, where the platform has one */
  crc32?: ((data: Uint8Array) => number) | undefined;
  folders(env?: Record<string, string | undefined>, home?: string): FolderView;
}
