/**
 * The engine on the WebGPU backend: a small conv net's loss and every gradient computed on
 * 'webgpu' match the same computation on 'cpu', and repeated training steps leave the GPU's live
 * buffers where they started.
 *
 * Tolerance: atol 1e-4, rtol 1e-4 (float32 on both sides; the GPU sums in a different order).
 */
import { describe, expect, it } from 'vitest';
import * as pg from '@pixgrad/core';
import { init, webgpuBackend } from '../src/index.js';
import { expectClose, openGpu } from './harness.js';

const gpu = await openGpu();

/** conv(3->8, stride 2, pad 1) + bias, relu, 2x2 max pool, linear to 10, mean negative log-softmax. */
function net(x: pg.Tensor, w: pg.Tensor, b: pg.Tensor, w2: pg.Tensor): pg.Tensor {
  let h = pg.relu(pg.conv2d(x, w, { bias: b, padding: 1, stride: 2 }));
  h = pg.maxPool2d(h, { kernelSize: 2 });
  const logits = pg.matmul(h.reshape([x.shape[0]!, -1]), pg.transpose(w2, 0, 1));
  return pg.mean(pg.logSoftmax(logits, 1).mul(-1));
}

function params() {
  pg.manualSeed(7);
  return {
    x: pg.randn([2, 3, 17, 15], { device: 'cpu' }),
    w: pg.randn([8, 3, 3, 3], { device: 'cpu' }).mul(0.3),
    b: pg.randn([8], { device: 'cpu' }),
    w2: pg.randn([10, 128], { device: 'cpu' }).mul(0.1),
  };
}

describe.skipIf(!gpu)('engine on webgpu', () => {
  it('a conv net loss and its gradients match the cpu device', async () => {
    const results: Record<string, Float32Array>[] = [];
    for (const device of ['cpu', 'webgpu'] as const) {
      await init(device);
      const p = params();
      const leaves = Object.fromEntries(Object.entries(p).map(([k, t]) => [k, t.to(device).requiresGrad_()])) as typeof p;
      const loss = net(leaves.x, leaves.w, leaves.b, leaves.w2);
      loss.backward();
      const r: Record<string, Float32Array> = { loss: (await loss.data()) as Float32Array };
      for (const [k, t] of Object.entries(leaves)) r[`d${k}`] = (await t.grad!.data()) as Float32Array;
      results.push(r);
    }
    for (const k of Object.keys(results[0]!)) expectClose(k, results[1]![k]!, results[0]![k]!, { atol: 1e-4, rtol: 1e-4 });
    await init('cpu');
  });

  it('200 forward+backward+SGD steps leave the live GPU buffer count and bytes where they started', async () => {
    await init('webgpu');
    const g = webgpuBackend();
    const p = params();
    const leaves = pg.tidy(() => Object.fromEntries(Object.entries(p).map(([k, t]) => [k, pg.keep(t.to('webgpu').requiresGrad_())])) as typeof p);
    const opt = new pg.SGD([leaves.w, leaves.b, leaves.w2], { lr: 0.01, momentum: 0.9 });
    const step = () =>
      pg.tidy(() => {
        opt.zeroGrad();
        const loss = net(leaves.x, leaves.w, leaves.b, leaves.w2);
        loss.backward();
        opt.step();
      });
    // momentum buffers and gradients now exist; after the first step a momentum buffer is the
    // first gradient itself (clone of an immutable buffer shares it), from the second on its own
    step();
    step();
    await g.sync();
    const before = g.memory();
    for (let i = 0; i < 200; i++) step();
    await leaves.w.data();
    expect(g.memory()).toEqual(before);
    await init('cpu');
  });
});
