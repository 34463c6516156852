/// <reference types="@webgpu/types" preserve="true" />

/**
 * A pool of GPU storage buffers, reused by size class.
 *
 * Size classes are quarter steps between powers of two (256 B, 320 B, 384 B, 448 B, 512 B, ...), so
 * a reused buffer wastes at most 25% and a training loop that allocates the same shapes each
 * step never creates a buffer after the first one. Free buffers above `maxFreeBytes` are destroyed.
 *
 * Ordering rule: a command recorded but not yet *submitted* may still read or write a buffer that
 * was disposed after it was recorded. Reusing it as a dispatch *output* is safe (commands run in
 * submission order, and Dawn orders the dispatches of one pass), but `queue.writeBuffer` runs at
 * once, before every command not yet handed to `queue.submit`, so an upload must not land in such
 * a buffer. That includes batches that were flushed but whose (asynchronous) submit has not run
 * yet: a flush bumps the epoch at once but submits only after awaiting allocation scopes and
 * pipeline compiles, while JS keeps recording and uploading. Every buffer remembers the batch
 * (epoch) that last used it, and {@link BufferPool.acquire} with `forQueueWrite` takes only buffers
 * whose last batch was already submitted.
 */
export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private freeBytes = 0;
  /** epoch of the batch that last recorded a command using the buffer */
  readonly lastUse = new WeakMap<GPUBuffer, number>();

  constructor(
    private readonly device: GPUDevice,
    private readonly create: (bytes: number) => GPUBuffer,
    public maxFreeBytes = 512 * 1024 * 1024,
  ) {
    const l = device.limits;
    this.cap = Math.floor(Math.min(l.maxBufferSize, l.maxStorageBufferBindingSize) / 4) * 4;
  }

  /** min(maxBufferSize, maxStorageBufferBindingSize) rounded down to a multiple of 4 */
  private readonly cap: number;

  /**
   * The size class (bytes actually allocated) for a request of `bytes`, never above `cap` (the
   * largest buffer the device may create and bind whole, a multiple of 4) when the request fits
   * under it: a limit that is not a power of two, such as 2^32 - 4, would otherwise turn a request
   * just under the limit into a class above it.
   */
  static sizeClass(bytes: number, cap = Infinity): number {
    const b = Math.max(bytes, 256);
    const p = 2 ** Math.floor(Math.log2(b));
    const q = p / 4;
    const cls = p === b ? b : Math.ceil(b / q) * q;
    return bytes <= cap ? Math.min(cls, cap) : cls;
  }

  /**
   * A buffer of at least `bytes` bytes. `unsubmittedFrom` is the first epoch whose batch has not
   * been submitted yet (epochs below it are on the queue); with `forQueueWrite` the buffer is
   * guaranteed unused by every unsubmitted batch, so `queue.writeBuffer` cannot overtake a
   * command that still reads or writes it.
   */
  acquire(bytes: number, unsubmittedFrom: number, forQueueWrite: boolean): GPUBuffer {
    const cls = BufferPool.sizeClass(bytes, this.cap);
    const list = this.free.get(cls);
    if (list && list.length > 0) {
      for (let i = list.length - 1; i >= 0; i--) {
        const buf = list[i]!;
        if (forQueueWrite && (this.lastUse.get(buf) ?? -1) >= unsubmittedFrom) continue;
        list.splice(i, 1);
        this.freeBytes -= cls;
        return buf;
      }
    }
    return this.create(cls);
  }

  /** Returns a buffer to the pool (or destroys it when the pool is over its byte cap). */
  release(buf: GPUBuffer, canDestroyNow: boolean, deferDestroy: (b: GPUBuffer) => void): void {
    const cls = buf.size;
    if (this.freeBytes + cls > this.maxFreeBytes) {
      if (canDestroyNow) buf.destroy();
      else deferDestroy(buf);
      return;
    }
    let list = this.free.get(cls);
    if (!list) this.free.set(cls, (list = []));
    list.push(buf);
    this.freeBytes += cls;
  }

  /** Bytes held by free (pooled) buffers. */
  get pooledBytes(): number {
    return this.freeBytes;
  }

  /** Destroys every free buffer. */
  clear(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.freeBytes = 0;
  }

  get gpuDevice(): GPUDevice {
    return this.device;
  }
}
