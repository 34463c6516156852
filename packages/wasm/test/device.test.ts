/**
 * The wasm device as a whole: the same bits from 1 and 3 threads, a float32 network's gradients
 * against the float64 CPU computation, memory flat over 200 training steps, a typed error when
 * the memory is exhausted, and float64 refused with a message.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  Adam,
  DTypeError,
  Generator,
  LazyBackend,
  type Tensor,
  conv2d,
  exp,
  getBackend,
  gradients,
  matmul,
  maxPool2d,
  memory,
  mean,
  randn,
  registerBackend,
  relu,
  setDefaultDevice,
  sum,
  tensor,
  tidy,
} from '@pixgrad/core';
import { ssim } from '@pixgrad/losses';
import { WasmBackend, WasmOutOfMemoryError, WasmRuntime, initWasm } from '../src/index.js';

const registered = await initWasm({ threads: 2, makeDefault: false });
const engine = getBackend('wasm');
afterAll(() => {
  registerBackend(engine);
  setDefaultDevice('cpu');
});

/** A small network: conv, ReLU, max pool, conv, mean. */
function net(x: Tensor, w1: Tensor, w2: Tensor): Tensor {
  const h = maxPool2d(relu(conv2d(x, w1, { padding: 1 })), { kernelSize: 2 });
  return mean(conv2d(h, w2, { stride: 2, padding: 1, dilation: 1 }).mul(h.mean()));
}

describe('the wasm device', () => {
  it('gives the same bits on 1 and 3 threads (GEMM, convolutions, fused programs, a whole sum, SSIM and its gradient)', async () => {
    const work = async (): Promise<Float32Array[]> => {
      const g = new Generator(7);
      const outs = tidy(() => {
        const a = randn([96, 200], { generator: g, device: 'wasm' });
        const b = randn([200, 130], { generator: g, device: 'wasm' });
        const x = randn([2, 16, 37, 41], { generator: g, device: 'wasm', requiresGrad: true });
        const w = randn([24, 16, 3, 3], { generator: g, device: 'wasm', requiresGrad: true });
        const y = conv2d(x, w, { padding: 1 });
        const [dx, dw] = gradients(sum(y.mul(y)), [x, w]);
        const big = randn([300001], { generator: g, device: 'wasm' });
        const i1 = randn([1, 3, 96, 96], { generator: g, device: 'wasm' }).sigmoid();
        const i2 = randn([1, 3, 96, 96], { generator: g, device: 'wasm' }).sigmoid().requiresGrad_();
        const s = ssim(i1, i2);
        const [ds] = gradients(s, [i2]);
        return [matmul(a, b), y, dx!, dw!, sum(exp(big.mul(0.1))), s, ds!];
      });
      const data = await Promise.all(outs.map((t) => t.data()));
      outs.forEach((t) => t.dispose());
      return data as Float32Array[];
    };
    const one = new LazyBackend(new WasmBackend(await WasmRuntime.create({ threads: 1 })));
    const three = new LazyBackend(new WasmBackend(await WasmRuntime.create({ threads: 3 })));
    registerBackend(one);
    const a = await work();
    registerBackend(three);
    const b = await work();
    registerBackend(engine);
    a.forEach((x, i) => expect(Buffer.from(b[i]!.buffer).equals(Buffer.from(x.buffer)), `output ${i}`).toBe(true));
  });

  it("a network's float32 gradients on the device agree with the float64 CPU computation", async () => {
    const g = new Generator(3);
    const x64 = randn([2, 3, 20, 20], { generator: g, dtype: 'float64', requiresGrad: true });
    const w1 = randn([8, 3, 3, 3], { generator: g, dtype: 'float64', requiresGrad: true });
    const w2 = randn([4, 8, 3, 3], { generator: g, dtype: 'float64', requiresGrad: true });
    const want = gradients(net(x64, w1, w2), [x64, w1, w2]);
    const on = [x64, w1, w2].map((t) => t.detach().cast('float32').to('wasm').requiresGrad_());
    const got = gradients(net(on[0]!, on[1]!, on[2]!), on);
    for (let i = 0; i < 3; i++) {
      const [w, v] = [await want[i]!.data(), await got[i]!.data()];
      let num = 0,
        den = 0;
      for (let j = 0; j < w.length; j++) {
        num += (w[j]! - v[j]!) ** 2;
        den += w[j]! ** 2;
      }
      expect(Math.sqrt(num / den), `gradient ${i}`).toBeLessThan(1e-5);
    }
  });

  it('keeps its memory flat over 200 Adam steps of a small network', async () => {
    const g = new Generator(5);
    const x = randn([4, 3, 16, 16], { generator: g, device: 'wasm' });
    const params = [
      randn([8, 3, 3, 3], { generator: g, device: 'wasm' }).mul(0.3).requiresGrad_(),
      randn([4, 8, 3, 3], { generator: g, device: 'wasm' }).mul(0.3).requiresGrad_(),
    ];
    const opt = new Adam(params, { lr: 1e-2 });
    const step = async () => {
      const loss = tidy(() => {
        opt.zeroGrad();
        const l = net(x, params[0]!, params[1]!);
        l.backward();
        opt.step();
        return l;
      });
      await loss.item();
      loss.dispose();
    };
    for (let i = 0; i < 10; i++) await step();
    const before = { heap: registered.rt.heapBytes(), buffers: registered.memory().buffers, tensors: memory().tensors };
    for (let i = 0; i < 190; i++) await step();
    expect({ heap: registered.rt.heapBytes(), buffers: registered.memory().buffers, tensors: memory().tensors }).toEqual(before);
  });

  it('throws WasmOutOfMemoryError, naming the limit, when the memory is exhausted, and keeps working', async () => {
    const small = new LazyBackend(new WasmBackend(await WasmRuntime.create({ threads: 1, maxBytes: 8 << 20 })));
    registerBackend(small);
    try {
      expect(() => tensor(new Float32Array(4 << 20), { device: 'wasm' })).toThrow(WasmOutOfMemoryError);
      expect(() => tensor(new Float32Array(4 << 20), { device: 'wasm' })).toThrow(/limit 8388608 bytes.*4 GiB/);
      const t = tensor([1, 2, 3], { device: 'wasm' });
      expect(Array.from(await t.mul(2).data())).toEqual([2, 4, 6]);
      t.dispose();
    } finally {
      registerBackend(engine);
    }
  });

  it('computes a weight gradient right in memory that held NaN (no stale value leaks through a zero)', async () => {
    // a freed block full of NaN is what the next allocations of that size get
    const stale = tensor(new Float32Array(1 << 20).fill(NaN), { device: 'wasm' });
    await stale.data();
    stale.dispose();
    const g = new Generator(11);
    const x = randn([1, 8, 30, 31], { generator: g, dtype: 'float64' });
    const w = randn([6, 8, 3, 3], { generator: g, dtype: 'float64', requiresGrad: true });
    const want = await gradients(sum(conv2d(x, w).square()), [w])[0]!.data();
    const [xw, ww] = [x, w].map((t) => t.detach().cast('float32').to('wasm'));
    ww!.requiresGrad_();
    const got = await gradients(sum(conv2d(xw!, ww!).square()), [ww!])[0]!.data();
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!), `dw[${i}]`).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(want[i]!)));
  });

  it('refuses float64 with a message that says where float64 work goes', () => {
    expect(() => tensor([1, 2], { dtype: 'float64', device: 'wasm' })).toThrow(DTypeError);
    expect(() => tensor([1, 2], { dtype: 'float64', device: 'wasm' })).toThrow(/float64 is not supported on the wasm device.*use the cpu device/);
  });
});
