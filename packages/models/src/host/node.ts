/** The Node host (see host.ts): node:fs, node:zlib, node:os, node:path. */
import { readdirSync, statSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, join, sep } from 'node:path';
import * as zlib from 'node:zlib';
import { FileSource } from './file-source.js';
import type { Host } from './host.js';

const nodeCrc32 = (zlib as { crc32?: (d: Uint8Array) => number }).crc32; // Node >= 20.15

export const host: Host = {
  kind: 'node',
  openFile: (path) => new FileSource(path),
  readFile: async (path) => new Uint8Array(await readFile(path)),
  async writeFileAtomic(path, bytes) {
    const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
    try {
      await writeFile(tmp, bytes);
      await rename(tmp, path);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  },
  inflateRaw: (data, max) => zlib.inflateRawSync(data, { maxOutputLength: Math.max(1, max) }),
  deflateRaw: (data) => zlib.deflateRawSync(data),
  crc32: typeof nodeCrc32 === 'function' ? (d) => nodeCrc32(d) >>> 0 : undefined,
  folders(env = process.env, home = homedir()) {
    return {
      env,
      home,
      join,
      delimiter,
      sep,
      isFile(p) {
        try {
          return statSync(p).isFile();
        } catch {
          return false;
        }
      },
      listDir(p) {
        try {
          return readdirSync(p);
        } catch {
          return [];
        }
      },
    };
  },
};
