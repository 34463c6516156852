/**
 * The WebGPU backend's machinery: shader/descriptor consistency, the generated WGSL module,
 * pipeline caching, the buffer pool and memory counters, and the faults (float64, over-limit
 * tensors, shader compile errors, lost devices).
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BackendError, DTypeError, type LazyBackend, getBackend, getDefaultDevice } from '@pixgrad/core';
import { WGSL } from '../src/wgsl.generated.js';
import { uniformLayout, type KernelDescriptor } from '../src/descriptor.js';
import { FILL } from '../src/kernels/elementwise.js';
import { UNARY } from '../src/kernels/unary.js';
import { BINARY } from '../src/kernels/binary.js';
import { CAST, COMPARE, WHERE } from '../src/kernels/compare.js';
import { REDUCE_ROWS, REDUCE_WG, plainReduceInput } from '../src/kernels/reduce.js';
import { FUSED } from '../src/kernels/fused.js';
import { ARGREDUCE } from '../src/kernels/argreduce.js';
import { CONCAT, GATHER, PAD, SCATTER_ADD, STRIDED } from '../src/kernels/movement.js';
import { MATMUL, MATMUL_SG } from '../src/kernels/matmul.js';
import { CONV2D, CONV2D_INPUT_GRAD, CONV2D_DW, CONV2D_DW_WEIGHT_GRAD, CONV2D_SG, CONV2D_WEIGHT_GRAD, CONV2D_WEIGHT_GRAD_SG } from '../src/kernels/conv2d.js';
import { MAXPOOL } from '../src/kernels/maxpool.js';
import { adapterInfo, init, webgpuBackend } from '../src/index.js';
import { ShaderError, DeviceLostError, GpuOutOfMemoryError } from '../src/context.js';
import { BufferPool } from '../src/pool.js';
import { openGpu } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const DESCRIPTORS: KernelDescriptor[] = [
  FILL,
  UNARY,
  BINARY,
  COMPARE,
  WHERE,
  CAST,
  REDUCE_ROWS,
  REDUCE_WG,
  ARGREDUCE,
  STRIDED,
  PAD,
  CONCAT,
  GATHER,
  SCATTER_ADD,
  MATMUL,
  MATMUL_SG,
  CONV2D,
  CONV2D_INPUT_GRAD,
  CONV2D_WEIGHT_GRAD,
  CONV2D_SG,
  CONV2D_WEIGHT_GRAD_SG,
  CONV2D_DW,
  CONV2D_DW_WEIGHT_GRAD,
  MAXPOOL,
  FUSED,
];

/** binding numbers that the host fills in (fused programs bind a varying number of inputs), as a plain reduce / a 1-input fused kernel has them */
const BINDING_DEFINES: Record<string, string | number> = {
  ...plainReduceInput('f32', {} as GPUBuffer).defines,
  BINDINGS: '@group(0) @binding(0) var<storage, read> L0: array<f32>;\n@group(0) @binding(1) var<storage, read_write> out: array<f32>;',
};
const FUSED_U_BINDING = 2;

/** `a: u32, b: array<vec4<u32>, 2>` -> ['a: u32', 'b: array<vec4<u32>, 2>'] (commas inside <> kept). */
function splitFields(body: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of body) {
    if (ch === '<') depth++;
    if (ch === '>') depth--;
    if ((ch === ',' || ch === '\n') && depth === 0) {
      if (cur.trim()) out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

describe('buffer pool size classes (no GPU needed)', () => {
  it('quarter steps between powers of two, at least 256 bytes, capped at the device limit', () => {
    expect([1, 256, 257, 320, 321, 512, 1000, 1 << 20].map((b) => BufferPool.sizeClass(b))).toEqual([256, 256, 320, 320, 384, 512, 1024, 1 << 20]);
    const cap = 2 ** 32 - 4; // a limit that is not a power of two
    expect(BufferPool.sizeClass(2 ** 32 - 100)).toBe(2 ** 32);
    expect(BufferPool.sizeClass(2 ** 32 - 100, cap)).toBe(cap);
    expect(BufferPool.sizeClass(3 * 2 ** 30 + 1, cap)).toBe(3.5 * 2 ** 30);
  });
});

describe('shader descriptors (no GPU needed)', () => {
  it('the generated WGSL module matches shaders/*.wgsl', () => {
    execFileSync(process.execPath, [join(here, '..', 'scripts', 'embed-wgsl.mjs'), '--check']);
  });

  it('every shader file has a descriptor, and every descriptor matches its file', () => {
    const used = new Set(DESCRIPTORS.map((d) => d.shader));
    expect([...Object.keys(WGSL)].sort()).toEqual([...used].sort());
    for (const d of DESCRIPTORS) {
      const src = WGSL[d.shader].replace(/\{\{(INPUTS|OUT_BINDING|U_BINDING|BINDINGS)\}\}/g, (_m, k: string) =>
        String(d.shader === 'fused' && k === 'U_BINDING' ? FUSED_U_BINDING : BINDING_DEFINES[k]),
      );
      // struct Params fields, in order, with their types
      const body = /struct Params \{([\s\S]*?)\n\}/.exec(src)?.[1] ?? '';
      const fields = splitFields(body.replace(/\/\/.*$/gm, '')).map((f) => f.split(':').map((t) => t.trim()));
      expect(fields, `${d.name}: Params of shaders/${d.shader}.wgsl`).toEqual(d.uniforms.map(([n, t]) => [n, t]));
      expect(uniformLayout(d).size % 16).toBe(0);
      expect(src).toContain(`fn ${d.entryPoint}(`);
      expect(src).toMatch(new RegExp(`@binding\\(${d.uniformBinding}\\) var<uniform> u: Params`));
      for (const b of d.storage) {
        const access = b.access === 'read' ? 'read' : 'read_write';
        expect(src, `${d.name}: binding ${b.binding} ${b.name}`).toMatch(new RegExp(`@binding\\(${b.binding}\\) var<storage, ${access}> ${b.name}:`));
      }
    }
  });
});

const gpu = await openGpu();

describe.skipIf(!gpu)('webgpu backend machinery', () => {
  const g = gpu!;

  it('init registers the backend, makes it the default and reports the adapter', async () => {
    expect(await init('webgpu')).toBe('webgpu');
    expect(getDefaultDevice()).toBe('webgpu');
    // the engine's backend is the kernels behind the fusion layer
    expect((getBackend('webgpu') as LazyBackend<unknown>).inner).toBe(webgpuBackend());
    const info = adapterInfo()!;
    expect(info.name.length).toBeGreaterThan(0);
    expect(info.limits['maxStorageBufferBindingSize']).toBeGreaterThan(0);
    expect(await init('cpu')).toBe('cpu');
    expect(getDefaultDevice()).toBe('cpu');
  });

  it('float64 uploads are refused with a DTypeError', () => {
    expect(() => g.upload(new Float64Array(3), 'float64')).toThrow(DTypeError);
    expect(() => g.upload(new Float64Array(3), 'float64')).toThrow(/no f64/);
  });

  it('tensors beyond maxStorageBufferBindingSize are rejected, naming the limit', () => {
    const n = Math.floor(g.maxBindingBytes / 4) + 1;
    expect(() => g.fill(n, 0, 'float32')).toThrow(BackendError);
    expect(() => g.fill(n, 0, 'float32')).toThrow(/maxStorageBufferBindingSize/);
  });

  it('memory() counts live buffers; disposed buffers are pooled and reused', async () => {
    const before = g.memory();
    const bufs = Array.from({ length: 10 }, (_, i) => g.fill(1000 + i, 1, 'float32'));
    expect(g.memory().buffers).toBe(before.buffers + 10);
    await g.read({ buf: bufs[0]!, shape: [1000], dtype: 'float32' });
    bufs.forEach((b) => g.dispose(b));
    expect(g.memory()).toEqual(before);
    const pooled = g.ctx.pool.pooledBytes;
    expect(pooled).toBeGreaterThan(0);
    const again = g.fill(1005, 2, 'float32');
    expect(g.ctx.pool.pooledBytes).toBeLessThan(pooled);
    g.dispose(again);
  });

  it('an upload never lands in a buffer a pending kernel still reads', async () => {
    const x = g.upload(Float32Array.from([1, 2, 3, 4]), 'float32');
    const y = g.unary('neg', { buf: x, shape: [4], dtype: 'float32' }, {});
    g.dispose(x); // x's GPU buffer goes back to the pool before neg has run
    const z = g.upload(Float32Array.from([9, 9, 9, 9]), 'float32');
    expect([...(await g.read({ buf: y, shape: [4], dtype: 'float32' }))]).toEqual([-1, -2, -3, -4]);
    expect([...(await g.read({ buf: z, shape: [4], dtype: 'float32' }))]).toEqual([9, 9, 9, 9]);
    g.dispose(y);
    g.dispose(z);
  });

  it('repeated work leaves no live buffers behind and compiles each pipeline once', async () => {
    const x = g.upload(
      Float32Array.from({ length: 300 }, (_, i) => i / 100),
      'float32',
    );
    const v = { buf: x, shape: [3, 100], dtype: 'float32' as const };
    const step = () => {
      const a = g.unary('exp', v, {});
      const b = g.binary('mul', { ...v, buf: a }, v, [3, 100]);
      const s = g.reduce('sum', { ...v, buf: b }, [1]);
      g.dispose(a);
      g.dispose(b);
      return s;
    };
    g.dispose(step());
    await g.sync();
    const mem = g.memory();
    const pipes = g.ctx.pipelineCount;
    for (let i = 0; i < 200; i++) g.dispose(step());
    await g.read({ buf: x, shape: [300], dtype: 'float32' });
    expect(g.memory()).toEqual(mem);
    expect(g.ctx.pipelineCount).toBe(pipes);
    g.dispose(x);
  });

  it('a WGSL compile error is reported with the op, the error and the source; the engine stays usable', async () => {
    const x = g.upload(Float32Array.from([1, 2]), 'float32');
    const y = g.fill(2, 0, 'float32');
    g.ctx.run({
      kernel: UNARY,
      defines: { T: 'f32', C: 'f32', OP: 'op_does_not_exist', WG: 64 },
      uniforms: { n: 2, p0: 0, p1: 0 },
      buffers: [x.buffer, y.buffer],
      workgroups: [1, 1, 1],
    });
    const err = await g.read({ buf: y, shape: [2], dtype: 'float32' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShaderError);
    expect((err as Error).message).toMatch(/kernel 'unary' \(shaders\/unary\.wgsl/);
    expect((err as Error).message).toMatch(/op_does_not_exist/);
    expect((err as Error).message).toMatch(/--- specialised WGSL ---/);
    const z = g.unary('neg', { buf: x, shape: [2], dtype: 'float32' }, {});
    expect([...(await g.read({ buf: z, shape: [2], dtype: 'float32' }))]).toEqual([-1, -2]);
    [x, y, z].forEach((b) => g.dispose(b));
  });

  it('a failure in a batch submitted in the background is thrown by the next read', async () => {
    const x = g.upload(Float32Array.from([1, 2]), 'float32');
    const y = g.fill(2, 0, 'float32');
    g.ctx.run({
      kernel: UNARY,
      defines: { T: 'f32', C: 'f32', OP: 'op_missing_too', WG: 64 },
      uniforms: { n: 2, p0: 0, p1: 0 },
      buffers: [x.buffer, y.buffer],
      workgroups: [1, 1, 1],
    });
    // enough dispatches to trigger automatic submission of the batch holding the broken one
    const outs = Array.from({ length: 200 }, () => g.unary('abs', { buf: x, shape: [2], dtype: 'float32' }, {}));
    await new Promise((r) => setTimeout(r, 20));
    const z = g.unary('neg', { buf: x, shape: [2], dtype: 'float32' }, {});
    await expect(g.read({ buf: z, shape: [2], dtype: 'float32' })).rejects.toThrow(/op_missing_too/);
    const w = g.unary('neg', { buf: x, shape: [2], dtype: 'float32' }, {});
    expect([...(await g.read({ buf: w, shape: [2], dtype: 'float32' }))]).toEqual([-1, -2]);
    [x, y, z, w, ...outs].forEach((b) => g.dispose(b));
  });

  it('PIXGRAD_DEBUG_WGSL prints the specialised WGSL of each dispatch', async () => {
    const lines: string[] = [];
    const orig = console.error;
    process.env['PIXGRAD_DEBUG_WGSL'] = '1';
    console.error = (...a: unknown[]) => void lines.push(a.join(' '));
    try {
      const b = g.fill(3, 1, 'int32');
      await g.read({ buf: b, shape: [3], dtype: 'int32' });
      g.dispose(b);
    } finally {
      console.error = orig;
      delete process.env['PIXGRAD_DEBUG_WGSL'];
    }
    expect(lines.join('\n')).toMatch(/dispatch fill \(shaders\/fill\.wgsl : main\)[\s\S]*array<i32>/);
  });

  it('an allocation refused with out-of-memory becomes a GpuOutOfMemoryError and the engine stays usable', async () => {
    const g = webgpuBackend();
    const dev = g.ctx.device;
    // Fault injection: lavapipe overcommits (64 untouched 3 GiB buffers allocate fine), so a real
    // out-of-memory cannot be provoked deterministically here. Make the out-of-memory error scope
    // around the next buffer creation report what Dawn reports when the driver refuses memory.
    const realPop = dev.popErrorScope.bind(dev);
    let armed = true;
    dev.popErrorScope = async () => {
      const real = await realPop();
      if (!armed) return real;
      armed = false;
      return { message: 'vkAllocateMemory failed with VK_ERROR_OUT_OF_DEVICE_MEMORY (injected)' } as GPUError;
    };
    try {
      const before = { ...g.memory() };
      const n = 777_777; // a size class nothing else uses, so the pool must create a buffer
      const big = g.fill(n, 1, 'float32');
      const err = await g.read({ buf: big, shape: [n], dtype: 'float32' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GpuOutOfMemoryError);
      expect((err as Error).message).toMatch(/ran out of memory allocating buffers[\s\S]*VK_ERROR_OUT_OF_DEVICE_MEMORY[\s\S]*dispose\/tidy/);
      g.dispose(big);
      expect(g.memory().buffers).toBe(before.buffers);
      // still usable: the next work runs and reads back
      const x = g.fill(5, 2.5, 'float32');
      const y = g.binary('mul', { buf: x, shape: [5], dtype: 'float32' }, { buf: x, shape: [5], dtype: 'float32' }, [5]);
      expect([...(await g.read({ buf: y, shape: [5], dtype: 'float32' }))]).toEqual([6.25, 6.25, 6.25, 6.25, 6.25]);
      g.dispose(x);
      g.dispose(y);
    } finally {
      dev.popErrorScope = realPop;
    }
  });

  // last: it destroys the device
  it('a lost device is reported, and the next init() opens a fresh one', async () => {
    const old = webgpuBackend();
    const x = old.fill(4, 1, 'float32');
    old.ctx.device.destroy();
    await new Promise((r) => setTimeout(r, 50));
    expect(() => old.fill(4, 1, 'float32')).toThrow(DeviceLostError);
    await expect(old.read({ buf: x, shape: [4], dtype: 'float32' })).rejects.toThrow(/device was lost[\s\S]*init\(\) again/);
    expect(await init('webgpu')).toBe('webgpu');
    const fresh = webgpuBackend();
    expect(fresh).not.toBe(old);
    const y = fresh.fill(4, 3, 'float32');
    expect([...(await fresh.read({ buf: y, shape: [4], dtype: 'float32' }))]).toEqual([3, 3, 3, 3]);
    fresh.dispose(y);
  });
});
