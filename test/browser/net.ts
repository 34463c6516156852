/**
 * The small conv net of the real-browser test, shared by the page (test/browser/entry.ts, bundled
 * for Chromium) and by Node (test/browser.test.ts): the same module, the same seed, so both sides
 * compute the same thing and only the backend differs.
 *
 *   x: 1x3x16x16 input, target: 1x4x8x8
 *   h = relu(conv2d(x, w1 [8,3,3,3], b1, padding 1))     1x8x16x16
 *   h = maxPool2d(h, 2)                                  1x8x8x8
 *   y = conv2d(h, w2 [4,8,3,3], b2, padding 2, dilation 2) 1x4x8x8
 *   loss = mean((y - target)^2)
 *
 * and the gradients of the loss with respect to x, w1, b1, w2 and b2.
 */
import * as pg from '@pixgrad/core';

export const SEED = 1234;

/** Everything one run reports, as plain arrays so it survives the trip out of the page. */
export interface NetResult {
  device: string;
  /** the seeded inputs as generated on this side (Node and the page must generate the same) */
  inputs: Record<string, number[]>;
  loss: number[];
  /** dloss/d(name) for every input but the target */
  grads: Record<string, number[]>;
  /** the engine's live tensor count before and after the run (every temporary disposed) */
  tensorsBefore: number;
  tensorsAfter: number;
  ms: number;
}

type Inputs = Record<'x' | 'w1' | 'b1' | 'w2' | 'b2' | 'target', pg.Tensor>;

/**
 * The net's seeded float32 inputs on `device`: generated on the CPU (as every random tensor is,
 * so the numbers are the same everywhere), then copied; x and the weights require grad.
 */
export function seededInputs(device: pg.Device): Inputs {
  return pg.tidy(() => {
    pg.manualSeed(SEED);
    const cpu: Inputs = {
      x: pg.rand([1, 3, 16, 16], { device: 'cpu' }),
      w1: pg.randn([8, 3, 3, 3], { device: 'cpu' }).mul(0.3),
      b1: pg.randn([8], { device: 'cpu' }).mul(0.1),
      w2: pg.randn([4, 8, 3, 3], { device: 'cpu' }).mul(0.2),
      b2: pg.randn([4], { device: 'cpu' }).mul(0.1),
      target: pg.randn([1, 4, 8, 8], { device: 'cpu' }),
    };
    const out = {} as Inputs;
    for (const [k, t] of Object.entries(cpu) as [keyof Inputs, pg.Tensor][]) {
      const d = t.to(device);
      out[k] = k === 'target' ? d : d.requiresGrad_();
    }
    return out; // tidy keeps the returned tensors and disposes the rest
  });
}

export function net(p: Inputs): pg.Tensor {
  let h = pg.relu(pg.conv2d(p.x, p.w1, { bias: p.b1, padding: 1 }));
  h = pg.maxPool2d(h, { kernelSize: 2 });
  const y = pg.conv2d(h, p.w2, { bias: p.b2, padding: 2, dilation: 2 });
  return pg.mean(pg.square(y.sub(p.target)));
}

const floats = async (t: pg.Tensor): Promise<number[]> => Array.from((await t.data()) as Float32Array);

/** Runs the net's loss and backward on `device` (already registered) and reads everything back. */
export async function runNet(device: pg.Device): Promise<NetResult> {
  const tensorsBefore = pg.memory().tensors;
  const t0 = performance.now();
  const leaves = seededInputs(device);
  const loss = pg.tidy(() => net(leaves)); // the intermediates live only as long as the graph needs them
  loss.backward();
  const inputs: Record<string, number[]> = {};
  const grads: Record<string, number[]> = {};
  for (const [k, t] of Object.entries(leaves)) {
    inputs[k] = await floats(t);
    if (k !== 'target') grads[k] = await floats(t.grad!);
  }
  const lossValue = await floats(loss);
  const ms = performance.now() - t0;
  pg.dispose([loss, leaves]);
  return { device, inputs, loss: lossValue, grads, tensorsBefore, tensorsAfter: pg.memory().tensors, ms };
}
