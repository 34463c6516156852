import { describe, expect, it } from 'vitest';
import {
  Adam,
  SGD,
  avgPool2d,
  conv2d,
  convTranspose2d,
  gradients,
  leakyRelu,
  linear,
  manualSeed,
  maxPool2d,
  memory,
  randn,
  resize,
  tidy,
  type Tensor,
} from '@pixgrad/core';

/** A small conv net touching every op of this family: conv, leakyRelu, pools, transposed conv, resize, linear. */
function makeNet(dtype: 'float32' | 'float64') {
  const p = (shape: number[], scale: number) => tidy(() => randn(shape, { dtype }).mul(scale)).requiresGrad_();
  const params = {
    w1: p([4, 3, 3, 3], 0.3),
    b1: p([4], 0.1),
    w2: p([4, 2, 3, 3], 0.3), // depthwise-ish: groups 2
    wt: p([4, 2, 2, 2], 0.3), // convTranspose2d [Cin, Cout, kh, kw]
    lw: p([5, 2 * 4 * 4], 0.1),
    lb: p([5], 0.1),
  };
  const forward = (x: Tensor) => {
    let h = leakyRelu(conv2d(x, params.w1, { bias: params.b1, padding: 1 }), 0.2); // [N, 4, 8, 8]
    h = maxPool2d(h, { kernelSize: 2 }); // [N, 4, 4, 4]
    h = conv2d(h, params.w2, { padding: 1, groups: 2 }); // [N, 4, 4, 4]
    h = convTranspose2d(h, params.wt, { stride: 2 }); // [N, 2, 8, 8]
    h = avgPool2d(h, { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false }); // [N, 2, 4, 4]
    h = resize(h, [6, 6]); // [N, 2, 6, 6]
    h = resize(h, [4, 4], { mode: 'nearest' });
    return linear(h.reshape([h.shape[0]!, -1]), params.lw, params.lb); // [N, 5]
  };
  return { params: Object.values(params), forward };
}

describe('memory: a conv net training loop leaves nothing behind', () => {
  for (const [name, dtype, makeOpt] of [
    ['Adam, float32', 'float32', (ps: Tensor[]) => new Adam(ps, { lr: 1e-2, amsgrad: true })],
    ['SGD with Nesterov momentum, float64', 'float64', (ps: Tensor[]) => new SGD(ps, { lr: 1e-2, momentum: 0.9, nesterov: true, weightDecay: 1e-4 })],
  ] as const) {
    it(name, () => {
      manualSeed(5);
      const start = memory();
      const x = randn([2, 3, 8, 8], { dtype });
      const y = randn([2, 5], { dtype });
      const net = makeNet(dtype);
      const opt = makeOpt(net.params);
      const losses: number[] = [];
      let afterFirst: ReturnType<typeof memory> | null = null;
      for (let it = 0; it < 5; it++) {
        opt.zeroGrad();
        const loss = tidy(() => {
          const l = net.forward(x).sub(y).square().mean();
          l.backward();
          return l;
        });
        losses.push(loss.itemSync());
        loss.dispose();
        opt.step();
        // the first step allocates the optimiser state; after that every iteration ends where the previous one did
        if (afterFirst === null) afterFirst = memory();
        else {
          expect(memory().tensors).toBe(afterFirst.tensors);
          expect(memory().bytes).toBe(afterFirst.bytes);
        }
      }
      expect(losses[4]).toBeLessThan(losses[0]!);
      opt.zeroGrad();
      opt.dispose();
      [x, y, ...net.params].forEach((t) => t.dispose());
      expect(memory().tensors).toBe(start.tensors);
      expect(memory().bytes).toBe(start.bytes);
      // the CPU backend's own buffer count agrees
      const cpu = (m: ReturnType<typeof memory>) => m.devices.find((d) => d.device === 'cpu')?.backend?.buffers ?? 0;
      expect(cpu(memory())).toBe(cpu(start));
    });
  }

  it('a gradient-penalty step (double backward through the net) also leaves nothing behind', () => {
    manualSeed(6);
    const start = memory();
    const x = randn([2, 3, 8, 8], { dtype: 'float64' });
    const net = makeNet('float64');
    const opt = new Adam(net.params, { lr: 1e-3 });
    let afterFirst: number | null = null;
    for (let it = 0; it < 3; it++) {
      opt.zeroGrad();
      tidy(() => {
        const xi = x.detach().requiresGrad_();
        const [gx] = gradients(net.forward(xi).sum(), [xi], { createGraph: true });
        gx!.square().sum([1, 2, 3]).sqrt().sub(1).square().mean().backward();
      });
      opt.step();
      if (afterFirst === null) afterFirst = memory().tensors;
      else expect(memory().tensors).toBe(afterFirst);
    }
    opt.zeroGrad();
    opt.dispose();
    [x, ...net.params].forEach((t) => t.dispose());
    expect(memory().tensors).toBe(start.tensors);
    expect(memory().bytes).toBe(start.bytes);
  });
});
