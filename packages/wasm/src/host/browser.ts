/** The wasm device's host in a browser: Web Workers from a Blob URL, and navigator's core count. */
export const host = {
  /** a Web Worker running `source` (with `onMessage` defined) */
  startWorker(source: string): { postMessage(m: unknown): void; terminate(): unknown } {
    const url = URL.createObjectURL(new Blob([`${source}\nself.onmessage = (e) => onMessage(e.data);`], { type: 'text/javascript' }));
    return new Worker(url);
  },
  cores(): number {
    return typeof navigator === 'object' && typeof navigator.hardwareConcurrency === 'number' ? navigator.hardwareConcurrency : 1;
  },
  /** a page's main thread may not block (Atomics.wait throws there): it spins on the done words */
  canBlock: false,
};
