/** The wasm device's host in Node: worker_threads workers, and the machine's core count. */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';

export const host = {
  /** a worker running `source` (CommonJS, with `onMessage` defined), that does not keep the process alive */
  startWorker(source: string): { postMessage(m: unknown): void; terminate(): unknown } {
    const w = new Worker(`const { parentPort } = require('node:worker_threads');\n${source}\nparentPort.on('message', onMessage);`, { eval: true });
    w.unref();
    return w;
  },
  cores(): number {
    return availableParallelism();
  },
  /** the main thread may block in Atomics.wait */
  canBlock: true,
};
