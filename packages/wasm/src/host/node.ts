/** The wasm device's host in Node: worker_threads workers, and the machine's core count. */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';

export const host = {
  /**
   * A worker running `source` (CommonJS, defining `onMessage`; it answers through `reply`) that
   * does not keep the process alive; `listen` gets its replies, `failed` an error that stops it.
   */
  startWorker(source: string, listen: (m: unknown) => void, failed: (e: unknown) => void): { postMessage(m: unknown): void; terminate(): unknown } {
    const prelude = "const { parentPort } = require('node:worker_threads');\nconst reply = (m) => parentPort.postMessage(m);";
    const w = new Worker(`${prelude}\n${source}\nparentPort.on('message', onMessage);`, { eval: true });
    // referenced until it is ready (the caller awaits that), then it must not keep the process alive
    w.on('message', (m) => {
      if (m === 'ready') w.unref();
      listen(m);
    });
    w.on('error', failed);
    return w;
  },
  cores(): number {
    return availableParallelism();
  },
  /** the main thread may block in Atomics.wait */
  canBlock: true,
};
