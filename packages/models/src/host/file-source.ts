/**
 * A `ByteSource` over a file on disk, read with positional reads (`fs.readSync` at an offset).
 *
 * Why not `readFileSync`: checkpoints are large (VGG16 is 528 MB, 411 MB of it the classifier
 * that perceptual losses never use). Positional reads let a reader fetch the pickle and only the
 * storages it needs, each into one fresh buffer, so no byte is held twice. Node only: it is part
 * of the Node host (host/node.ts), which browser builds never load.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { checkRange, type ByteSource } from '../checkpoints/byte-source.js';
import { CheckpointError } from '../errors.js';

/** An open file. Call `close()` when done (the readers do it in a `finally`). */
export class FileSource implements ByteSource {
  readonly size: number;
  private fd: number;

  constructor(readonly name: string) {
    try {
      this.fd = openSync(name, 'r');
    } catch (e) {
      throw new CheckpointError('Io', `cannot open: ${(e as Error).message}`, { file: name });
    }
    try {
      const st = fstatSync(this.fd);
      if (!st.isFile()) throw new CheckpointError('Io', 'not a regular file', { file: name });
      this.size = st.size;
    } catch (e) {
      closeSync(this.fd);
      throw e instanceof CheckpointError ? e : new CheckpointError('Io', `cannot stat: ${(e as Error).message}`, { file: name });
    }
  }

  view(offset: number, length: number): Uint8Array {
    return this.copy(offset, length);
  }

  copy(offset: number, length: number): Uint8Array {
    checkRange(this, offset, length);
    // new Uint8Array (not Buffer.allocUnsafe): small Buffers come from a shared pool at an
    // arbitrary byteOffset, which would break the "own buffer at offset 0" contract of copy().
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      let n: number;
      try {
        n = readSync(this.fd, out, done, length - done, offset + done);
      } catch (e) {
        throw new CheckpointError('Io', `read failed: ${(e as Error).message}`, { file: this.name, offset: offset + done });
      }
      if (n === 0) {
        // The file shrank after fstat: report it as the truncation it is.
        throw new CheckpointError('UnexpectedEof', `unexpected EOF while reading ${length} bytes`, {
          file: this.name,
          offset: offset + done,
        });
      }
      done += n;
    }
    return out;
  }

  close(): void {
    if (this.fd >= 0) {
      closeSync(this.fd);
      this.fd = -1;
    }
  }
}
