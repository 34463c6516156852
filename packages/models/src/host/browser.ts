/**
 * The browser host (see host.ts): no file system, so paths get an error that says what to pass
 * instead; DEFLATE comes from fflate (already here through fast-png's PNG codec).
 */
import { Inflate, deflateSync } from 'fflate';
import { CheckpointError } from '../errors.js';
import type { Host } from './host.js';

const PASS_BYTES =
  "files cannot be read by path outside Node: in a browser pass the file's bytes instead " +
  '(a Uint8Array or ArrayBuffer, e.g. `new Uint8Array(await file.arrayBuffer())` for a File from an <input type="file">)';

export const host: Host = {
  kind: 'browser',
  openFile(path) {
    throw new CheckpointError('Io', PASS_BYTES, { file: path });
  },
  readFile: async () => {
    throw new Error(PASS_BYTES);
  },
  writeFileAtomic: async (path) => {
    throw new Error(
      `cannot write '${path}' outside Node: in a browser, serialize to bytes (serializeSafetensors, serializeNpz, encodePng) and offer them as a download`,
    );
  },
  inflateRaw(data, max) {
    const chunks: Uint8Array[] = [];
    let total = 0;
    const inflater = new Inflate((chunk) => {
      total += chunk.length;
      if (total > max) throw new Error(`inflated data exceed the ${max} bytes the archive declares`);
      chunks.push(chunk);
    });
    inflater.push(data, true);
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  },
  deflateRaw: (data) => deflateSync(data),
  crc32: undefined,
  folders: (env = {}, home = '') => ({ env, home, join: (...p) => p.join('/'), delimiter: ':', sep: '/', isFile: () => false, listDir: () => [] }),
};
