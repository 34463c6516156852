/** The wasm device's host in a browser: Web Workers from a Blob URL, and navigator's core count. */
export const host = {
  /** a Web Worker running `source` (defining `onMessage`; it answers through `reply`); `listen` gets its replies */
  startWorker(source: string, listen: (m: unknown) => void, failed: (e: unknown) => void): { postMessage(m: unknown): void; terminate(): unknown } {
    const code = `const reply = (m) => self.postMessage(m);\n${source}\nself.onmessage = (e) => onMessage(e.data);`;
    const url = URL.createObjectURL(new Blob([code], { type: 'text/javascript' }));
    const w = new Worker(url);
    w.onmessage = (e: MessageEvent) => listen(e.data);
    // a page whose Content-Security-Policy refuses blob: workers, for one
    w.onerror = (e) => failed(e);
    return w;
  },
  cores(): number {
    return typeof navigator === 'object' && typeof navigator.hardwareConcurrency === 'number' ? navigator.hardwareConcurrency : 1;
  },
  /** a page's main thread may not block (Atomics.wait throws there): it spins on the done words */
  canBlock: false,
};
