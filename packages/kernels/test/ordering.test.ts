/**
 * Ordering of pooled buffers against queued work.
 *
 * The pool hands a disposed buffer out again while commands recorded before the dispose may still
 * be unsubmitted. Dispatch outputs may reuse it (commands run in order), but `queue.writeBuffer`
 * (uploads) runs at once, ahead of every command not yet handed to `queue.submit` — including a
 * batch that was flushed (epoch bumped) but whose asynchronous submit has not happened yet. These
 * tests record such sequences without reading in between and check the results exactly (or, for
 * the losses, against the CPU device to float32 precision).
 */
import { describe, expect, it } from 'vitest';
import * as pg from '@pixgrad/core';
import { msSsim, ssim } from '@pixgrad/losses';
import { init } from '../src/index.js';
import { data, openGpu } from './harness.js';

const g = await openGpu();
const f32 = (buf: import('../src/index.js').GpuBuf, n: number) => ({ buf, shape: [n], dtype: 'float32' as const });

describe.skipIf(!g)('pooled buffers vs queued work', () => {
  it('an upload does not overtake a flushed batch whose submit is still pending', async () => {
    const gpu = g!;
    const n = 1000;
    const x = gpu.upload(
      Float32Array.from({ length: n }, (_, i) => i),
      'float32',
    );
    const y = gpu.unary('neg', f32(x, n), {});
    gpu.dispose(x); // pooled; neg has not run
    const flushed = gpu.ctx.flush(); // epoch bumped now, submitted later (after awaits)
    const z = gpu.upload(new Float32Array(n).fill(7), 'float32'); // same size class as x
    await flushed;
    const gotY = await gpu.read(f32(y, n));
    expect(Array.from(gotY.slice(0, 4))).toEqual([-0, -1, -2, -3]);
    expect(gotY.every((v, i) => v === -i)).toBe(true);
    expect((await gpu.read(f32(z, n))).every((v) => v === 7)).toBe(true);
    gpu.dispose(y);
    gpu.dispose(z);
  });

  it('the same after an automatic flush (128 recorded dispatches)', async () => {
    const gpu = g!;
    const n = 4096;
    const x = gpu.upload(
      Float32Array.from({ length: n }, (_, i) => i % 7),
      'float32',
    );
    const s = gpu.reduce('sum', f32(x, n), [0]);
    gpu.dispose(x); // pooled; the sum has not run
    // unrelated small dispatches until the batch holding the sum is flushed in the background
    for (let i = 0; i < 140; i++) gpu.dispose(gpu.fill(16, i, 'float32'));
    expect(gpu.ctx.epoch).toBeGreaterThan(0);
    const z = gpu.upload(new Float32Array(n).fill(-5), 'float32'); // x's size class
    const want = Array.from({ length: n }, (_, i) => i % 7).reduce((p, q) => p + q, 0);
    expect(Array.from(await gpu.read(f32(s, 1)))).toEqual([want]);
    expect((await gpu.read(f32(z, n))).every((v) => v === -5)).toBe(true);
    gpu.dispose(s);
    gpu.dispose(z);
  });

  it('a buffer released mid-batch and reused as a later output in the same encoder keeps the order', async () => {
    const gpu = g!;
    const n = 777;
    const xs = data('float32', n, 11, { lo: -2, hi: 2 }) as Float32Array;
    const x = gpu.upload(xs, 'float32');
    const t1 = gpu.unary('neg', f32(x, n), {}); // -x
    const u = gpu.unary('neg', f32(t1, n), {}); // x (reads t1)
    gpu.dispose(t1); // released while u's dispatch is recorded, not run
    const t2 = gpu.unary('exp', f32(x, n), {}); // reuses t1's buffer as its output
    expect(t2.buffer).toBe(t1.buffer);
    const v = gpu.binary('add', f32(u, n), f32(t2, n), [n]); // x + exp(x)
    const got = await gpu.read(f32(v, n));
    const want = await gpu.read(f32(x, n));
    for (let i = 0; i < n; i++) expect(Math.abs(got[i]! - (want[i]! + Math.exp(want[i]!)))).toBeLessThan(1e-5 * (1 + Math.exp(want[i]!)));
    for (const b of [x, u, t2, v]) gpu.dispose(b);
  });

  it('msSsim then ssim queued before any read match the cpu device', async () => {
    const results: number[][] = [];
    for (const device of ['cpu', 'webgpu'] as const) {
      await init(device);
      pg.manualSeed(3);
      const xc = pg.rand([1, 3, 192, 192], { device: 'cpu' });
      const yc = pg.rand([1, 3, 192, 192], { device: 'cpu' }).mul(0.5).add(xc.mul(0.5));
      const x = xc.to(device);
      const y = yc.to(device);
      const a = msSsim(x, y);
      const b = ssim(x, y);
      results.push([(await a.data())[0]!, (await b.data())[0]!]);
      for (const t of [xc, yc, x, y, a, b]) t.dispose();
    }
    await init('webgpu');
    const [c, w] = results as [number[], number[]];
    expect(Math.abs(w[0]! - c[0]!)).toBeLessThan(1e-4);
    expect(Math.abs(w[1]! - c[1]!)).toBeLessThan(1e-4);
  });
});
