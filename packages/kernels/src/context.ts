/// <reference types="@webgpu/types" preserve="true" />
import { BackendError } from '@pixgrad/core';
import { BufferPool } from './pool.js';
import { packUniforms, specialise, uniformLayout, type DispatchSpec, type KernelDescriptor } from './descriptor.js';

/** Thrown when the GPU runs out of memory; the engine stays usable (free something and retry). */
export class GpuOutOfMemoryError extends BackendError {
  override name = 'GpuOutOfMemoryError';
}
/** Thrown when the WebGPU device was lost; call `init()` again for a fresh one. */
export class DeviceLostError extends BackendError {
  override name = 'DeviceLostError';
}
/** A WGSL compile or pipeline validation error; the message holds the op, the error and the source. */
export class ShaderError extends BackendError {
  override name = 'ShaderError';
}

const USAGE_STORAGE = 0x0080 | 0x0004 | 0x0008; // STORAGE | COPY_SRC | COPY_DST
const USAGE_UNIFORM = 0x0040 | 0x0008; // UNIFORM | COPY_DST
const USAGE_READBACK = 0x0001 | 0x0008; // MAP_READ | COPY_DST
const MAP_READ = 0x0001;

/** Uniform arena per batch: every dispatch's Params live at their own offset of one buffer. */
const ARENA_BYTES = 256 * 1024;
/** Submit after this many recorded dispatches so the GPU starts while JS keeps recording. */
const AUTO_FLUSH_DISPATCHES = 128;

interface PipelineEntry {
  pipeline?: GPUComputePipeline;
  promise: Promise<GPUComputePipeline>;
  error?: Error;
}

type Command =
  | { kind: 'dispatch'; pipe: PipelineEntry; spec: DispatchSpec; uniformOffset: number; uniformSize: number }
  | { kind: 'copy'; src: GPUBuffer; dst: GPUBuffer; bytes: number; srcOffset: number; dstOffset: number };

const debugWgsl = (): boolean => typeof process !== 'undefined' && !!process.env?.['PIXGRAD_DEBUG_WGSL'];

/**
 * One WebGPU device and everything that lives on it: the buffer pool, the pipeline cache and the
 * open batch of recorded commands.
 *
 * Kernels *record* dispatches (`run`) and return at once. Commands are encoded into one command
 * encoder and submitted when a result is read (`readBuffer`), after `AUTO_FLUSH_DISPATCHES`
 * dispatches, or when the uniform arena fills. Pipelines compile asynchronously
 * (`createComputePipelineAsync`), cached by specialised WGSL text; the same shader requested twice
 * while compiling shares one promise. A flush awaits the pipelines its batch needs, so compile
 * errors surface at the read that needed them, as a {@link ShaderError} carrying the op name and
 * the WGSL. Flushes are chained so batches are submitted in recording order.
 */
export class GpuContext {
  readonly pool: BufferPool;
  private readonly pipelines = new Map<string, PipelineEntry>();
  private readonly layouts = new Map<KernelDescriptor, GPUPipelineLayout>();
  private commands: Command[] = [];
  private arena: ArrayBuffer = new ArrayBuffer(ARENA_BYTES);
  private arenaView = new DataView(this.arena);
  private arenaUsed = 0;
  private readonly uniformBuffer: GPUBuffer;
  private readonly uniformAlign: number;
  /** the batch being recorded; bumped at each flush */
  epoch = 0;
  /**
   * The first epoch not yet handed to `queue.submit` (or abandoned after a failure). A flush bumps
   * `epoch` at once but submits asynchronously, so `submittedEpoch <= epoch`; buffers last used by
   * an epoch >= this one may still be touched by commands that `queue.writeBuffer` would overtake.
   */
  submittedEpoch = 0;
  private flushChain: Promise<void> = Promise.resolve();
  private pendingDestroy: GPUBuffer[] = [];
  private readonly allocErrors: Promise<GPUError | null>[] = [];
  /** live buffers handed out by this context, for memory() */
  liveBuffers = 0;
  liveBytes = 0;
  /** dispatches recorded and buffers handed out since the context was made (Backend.counters) */
  dispatches = 0;
  allocations = 0;
  lostInfo: string | undefined;
  /** asynchronous failures (validation or OOM in a flush) waiting to be thrown by the next read */
  private deferredError: Error | undefined;

  /** 8 when the device has the `subgroups` feature with fixed 8-wide subgroups, else 0 */
  readonly subgroupSize: number;

  constructor(
    readonly device: GPUDevice,
    opts: { subgroupSize?: number } = {},
  ) {
    this.subgroupSize = opts.subgroupSize ?? 0;
    this.pool = new BufferPool(device, (bytes) => this.createStorage(bytes));
    this.uniformAlign = Math.max(16, device.limits.minUniformBufferOffsetAlignment);
    this.uniformBuffer = device.createBuffer({ size: ARENA_BYTES, usage: USAGE_UNIFORM, label: 'pixgrad uniforms' });
    device.onuncapturederror = (ev: GPUUncapturedErrorEvent) => {
      // Keep Dawn from printing; the error is thrown by the next read instead.
      this.deferredError ??= new BackendError(`WebGPU error: ${ev.error.message}`);
      if (debugWgsl()) console.error('[pixgrad] uncaptured WebGPU error:', ev.error.message);
    };
    void device.lost.then((info) => {
      this.lostInfo = `${info.reason}: ${info.message}`;
    });
  }

  /** Throws a DeviceLostError when the device is gone. */
  checkAlive(): void {
    if (this.lostInfo !== undefined) {
      throw new DeviceLostError(`the WebGPU device was lost (${this.lostInfo}); call init() again to get a fresh device`);
    }
  }

  private createStorage(bytes: number): GPUBuffer {
    // Allocation failures are reported asynchronously by error scopes; collect them and throw at
    // the next flush (the buffer handle itself is still valid to record with).
    this.device.pushErrorScope('out-of-memory');
    const buf = this.device.createBuffer({ size: bytes, usage: USAGE_STORAGE });
    this.allocErrors.push(this.device.popErrorScope());
    return buf;
  }

  /** A storage buffer for `bytes` bytes (pooled). */
  alloc(bytes: number, forQueueWrite = false): GPUBuffer {
    this.checkAlive();
    const buf = this.pool.acquire(bytes, this.submittedEpoch, forQueueWrite);
    this.allocations++;
    this.liveBuffers++;
    this.liveBytes += buf.size;
    return buf;
  }

  /** Gives a buffer back to the pool. */
  free(buf: GPUBuffer): void {
    this.liveBuffers--;
    this.liveBytes -= buf.size;
    if (this.lostInfo !== undefined) return;
    // a buffer an unsubmitted batch uses is destroyed only after the open batch is submitted
    // (batches are submitted in order, so that is after every batch that uses it)
    const pending = (this.pool.lastUse.get(buf) ?? -1) >= this.submittedEpoch;
    this.pool.release(buf, !pending, (b) => this.pendingDestroy.push(b));
  }

  private badIndexBuffer: GPUBuffer | undefined;
  /**
   * 4 u32 words where gather and scatterAdd report an out-of-range index (shaders/gather.wgsl).
   * Outside the pool and the live-buffer count: one per device, zero when created.
   */
  get badIndexFlags(): GPUBuffer {
    this.badIndexBuffer ??= this.device.createBuffer({ size: 16, usage: USAGE_STORAGE, label: 'pixgrad bad-index flags' });
    return this.badIndexBuffer;
  }

  /** Copies host data into a buffer now (the buffer must be unused by the open batch: see BufferPool). */
  write(buf: GPUBuffer, data: ArrayBufferView): void {
    this.device.queue.writeBuffer(buf, 0, data.buffer, data.byteOffset, data.byteLength);
  }

  private pipelineLayout(k: KernelDescriptor): GPUPipelineLayout {
    let l = this.layouts.get(k);
    if (!l) {
      const entries: GPUBindGroupLayoutEntry[] = k.storage.map((s) => ({
        binding: s.binding,
        visibility: 4, // GPUShaderStage.COMPUTE
        buffer: { type: s.access === 'read' ? 'read-only-storage' : 'storage' },
      }));
      entries.push({ binding: k.uniformBinding, visibility: 4, buffer: { type: 'uniform' } });
      const bgl = this.device.createBindGroupLayout({ entries, label: k.name });
      l = this.device.createPipelineLayout({ bindGroupLayouts: [bgl], label: k.name });
      this.layouts.set(k, l);
    }
    return l;
  }

  /** The compiled pipeline for one specialisation (cached by WGSL text; concurrent requests share one compile). */
  pipeline(k: KernelDescriptor, code: string): PipelineEntry {
    const key = `${k.entryPoint}\n${code}`;
    const cached = this.pipelines.get(key);
    if (cached) return cached;
    // The scope keeps Dawn from printing the compile error itself; it is reported (with the
    // source) when the pipeline promise rejects.
    this.device.pushErrorScope('validation');
    const module = this.device.createShaderModule({ code, label: `${k.name} (shaders/${k.shader}.wgsl)` });
    void this.device.popErrorScope().catch(() => null);
    const entry: PipelineEntry = {
      promise: this.device.createComputePipelineAsync({ layout: this.pipelineLayout(k), compute: { module, entryPoint: k.entryPoint }, label: k.name }).then(
        (p) => (entry.pipeline = p),
        async (err: unknown) => {
          const info = await module.getCompilationInfo().catch(() => undefined);
          const msgs = info?.messages.map((m) => `  ${m.type} at line ${m.lineNum}:${m.linePos}: ${m.message}`).join('\n');
          const numbered = code
            .split('\n')
            .map((l, i) => `${String(i + 1).padStart(4)}| ${l}`)
            .join('\n');
          const e = new ShaderError(
            `kernel '${k.name}' (shaders/${k.shader}.wgsl, entry point ${k.entryPoint}) failed to compile:\n` +
              `${msgs || `  ${(err as Error)?.message ?? String(err)}`}\n--- specialised WGSL ---\n${numbered}`,
          );
          entry.error = e;
          this.pipelines.delete(key); // a later attempt may retry (e.g. after a device change)
          throw e;
        },
      ),
    };
    entry.promise.catch(() => {}); // rejection is reported by the flush that awaits it
    this.pipelines.set(key, entry);
    return entry;
  }

  /** Records one dispatch (nothing runs until a flush). */
  run(spec: DispatchSpec): void {
    this.checkAlive();
    const [x, y, z] = spec.workgroups;
    if (x === 0 || y === 0 || z === 0) return;
    this.dispatches++;
    const k = spec.kernel;
    const code = specialise(k, spec.defines);
    if (debugWgsl()) {
      console.error(
        `[pixgrad] dispatch ${k.name} (shaders/${k.shader}.wgsl : ${k.entryPoint}) workgroups [${spec.workgroups.join(', ')}] uniforms ${JSON.stringify(spec.uniforms)}\n${code}`,
      );
    }
    const pipe = this.pipeline(k, code);
    const size = uniformLayout(k).size;
    let off = Math.ceil(this.arenaUsed / this.uniformAlign) * this.uniformAlign;
    if (off + size > ARENA_BYTES) {
      this.backgroundFlush();
      off = 0;
    }
    packUniforms(k, spec.uniforms, this.arenaView, off);
    this.arenaUsed = off + size;
    for (const b of spec.buffers) this.pool.lastUse.set(b, this.epoch);
    this.commands.push({ kind: 'dispatch', pipe, spec, uniformOffset: off, uniformSize: size });
    if (this.commands.length >= AUTO_FLUSH_DISPATCHES) this.backgroundFlush();
  }

  /** A flush nobody awaits: its failure is kept and thrown by the next read instead of escaping as an unhandled rejection. */
  private backgroundFlush(): void {
    this.flush().catch((e: unknown) => {
      this.deferredError ??= e instanceof Error ? e : new BackendError(String(e));
    });
  }

  /** Records a buffer-to-buffer copy (offsets and size in bytes, multiples of 4). */
  copy(src: GPUBuffer, dst: GPUBuffer, bytes: number, srcOffset = 0, dstOffset = 0): void {
    this.checkAlive();
    if (bytes === 0) return;
    this.pool.lastUse.set(src, this.epoch);
    this.pool.lastUse.set(dst, this.epoch);
    this.commands.push({ kind: 'copy', src, dst, bytes, srcOffset, dstOffset });
  }

  /**
   * Encodes and submits everything recorded so far. Returns a promise that settles when the batch
   * is submitted (it rejects with a ShaderError / GpuOutOfMemoryError / BackendError when the batch
   * could not run). Batches are submitted in order.
   */
  flush(): Promise<void> {
    const commands = this.commands;
    const uniformBytes = this.arenaUsed;
    const arena = this.arena;
    const allocErrors = this.allocErrors.splice(0);
    const toDestroy = this.pendingDestroy;
    this.commands = [];
    this.pendingDestroy = [];
    this.arena = new ArrayBuffer(ARENA_BYTES);
    this.arenaView = new DataView(this.arena);
    this.arenaUsed = 0;
    const batch = this.epoch++;
    const next = this.flushChain
      .then(() => this.submit(commands, arena, uniformBytes, allocErrors, toDestroy))
      .finally(() => {
        // submitted (or abandoned): its buffers may now take queue writes
        this.submittedEpoch = Math.max(this.submittedEpoch, batch + 1);
      });
    // the chain itself never rejects, so one failed batch does not poison later ones
    this.flushChain = next.catch(() => {});
    return next;
  }

  private async submit(
    commands: Command[],
    arena: ArrayBuffer,
    uniformBytes: number,
    allocErrors: Promise<GPUError | null>[],
    toDestroy: GPUBuffer[],
  ): Promise<void> {
    const deferred = this.deferredError;
    this.deferredError = undefined;
    const oom = (await Promise.all(allocErrors)).find((e) => e !== null);
    this.checkAlive();
    if (oom) {
      throw new GpuOutOfMemoryError(`the GPU ran out of memory allocating buffers (${oom.message}); free tensors (dispose/tidy) and retry`);
    }
    // wait for the pipelines this batch needs (usually already compiled)
    for (const c of commands) if (c.kind === 'dispatch' && !c.pipe.pipeline) await c.pipe.promise;
    if (commands.length === 0 && toDestroy.length === 0) {
      if (deferred) throw deferred;
      return;
    }
    const dev = this.device;
    dev.pushErrorScope('validation');
    dev.pushErrorScope('out-of-memory');
    if (uniformBytes > 0) dev.queue.writeBuffer(this.uniformBuffer, 0, arena, 0, Math.ceil(uniformBytes / 4) * 4);
    const enc = dev.createCommandEncoder();
    let pass: GPUComputePassEncoder | undefined;
    for (const c of commands) {
      if (c.kind === 'copy') {
        if (pass) {
          pass.end();
          pass = undefined;
        }
        enc.copyBufferToBuffer(c.src, c.srcOffset, c.dst, c.dstOffset, c.bytes);
        continue;
      }
      pass ??= enc.beginComputePass();
      const k = c.spec.kernel;
      const pipeline = c.pipe.pipeline!;
      const entries: GPUBindGroupEntry[] = k.storage.map((s, i) => ({ binding: s.binding, resource: { buffer: c.spec.buffers[i]! } }));
      entries.push({ binding: k.uniformBinding, resource: { buffer: this.uniformBuffer, offset: c.uniformOffset, size: c.uniformSize } });
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, dev.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries }));
      pass.dispatchWorkgroups(c.spec.workgroups[0], c.spec.workgroups[1], c.spec.workgroups[2]);
    }
    pass?.end();
    dev.queue.submit([enc.finish()]);
    for (const b of toDestroy) b.destroy();
    const [oomErr, valErr] = await Promise.all([dev.popErrorScope(), dev.popErrorScope()]);
    if (oomErr)
      throw new GpuOutOfMemoryError(`the GPU ran out of memory running ${describe(commands)} (${oomErr.message}); free tensors (dispose/tidy) and retry`);
    if (valErr) throw new BackendError(`WebGPU rejected a batch of ${describe(commands)}: ${valErr.message}`);
    if (deferred) throw deferred;
  }

  /**
   * Reads `bytes` bytes of `buf` back to the host: records a copy into a MAP_READ staging buffer,
   * flushes, and maps it.
   */
  async readBuffer(buf: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
    this.checkAlive();
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    const staging = this.device.createBuffer({ size, usage: USAGE_READBACK, label: 'pixgrad readback' });
    try {
      if (bytes > 0) this.copy(buf, staging, size);
      await this.flush();
      await staging.mapAsync(MAP_READ);
      return staging.getMappedRange().slice(0, bytes);
    } catch (e) {
      this.checkAlive();
      throw e;
    } finally {
      staging.destroy();
    }
  }

  /** Waits for all submitted work. */
  async sync(): Promise<void> {
    await this.flush();
    await this.device.queue.onSubmittedWorkDone();
  }

  /** Number of pipelines compiled (or compiling). */
  get pipelineCount(): number {
    return this.pipelines.size;
  }

  destroy(): void {
    this.pool.clear();
    this.device.destroy();
  }
}

function describe(commands: Command[]): string {
  const names = new Set<string>();
  for (const c of commands) names.add(c.kind === 'copy' ? 'copy' : c.spec.kernel.name);
  return `${commands.length} commands (${[...names].join(', ')})`;
}
