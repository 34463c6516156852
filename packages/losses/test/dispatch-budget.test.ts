/**
 * Work budgets of the losses the `compare` command runs, counted with the backends' public
 * counters (`counters(device)`), so a change that breaks fusion fails here instead of only
 * showing in a benchmark:
 * - WebGPU dispatches for SSIM (the speed issue's targets: at most 12 forward, 25 forward plus
 *   backward), MS-SSIM and CIEDE2000 (sRGB -> Lab of both images, per-pixel ΔE00, mean), each
 *   forward and forward plus the input gradient, on a 1x3x192x192 pair;
 * - CPU kernel calls and buffer allocations for the same.
 * Budgets are the counts measured when the fusion layer landed (before it: SSIM ~43 forward and
 * ~80 with its backward on WebGPU), SSIM's being the issue's targets. Counts, not times: they do not depend on the machine.
 */
import { describe, expect, it } from 'vitest';
import { type Device, type Tensor, counters, gradients, rand, manualSeed, tidy } from '@pixgrad/core';
import { deltaE, msSsim, rgbToLab, ssim } from '@pixgrad/losses';
import { describeWebgpu } from './helpers/webgpu.js';

type Loss = (x: Tensor, y: Tensor) => Tensor;
const LOSSES: [string, Loss][] = [
  ['ssim', (x, y) => ssim(x, y)],
  ['msSsim', (x, y) => msSsim(x, y)],
  ['ciede2000', (x, y) => deltaE(rgbToLab(x), rgbToLab(y))],
];

/** [forward, forward + backward] budgets per loss: WebGPU dispatches, CPU kernel calls, CPU allocations */
const BUDGET: Record<string, { webgpu: [number, number]; cpu: [number, number]; cpuAllocs: [number, number] }> = {
  // the targets (measured: 9 and 21)
  ssim: { webgpu: [12, 25], cpu: [9, 20], cpuAllocs: [9, 20] },
  msSsim: { webgpu: [54, 121], cpu: [58, 119], cpuAllocs: [58, 119] },
  ciede2000: { webgpu: [37, 119], cpu: [35, 110], cpuAllocs: [35, 110] },
};

/** what one evaluation costs: the value only, or the value and dx */
async function cost(device: Device, loss: Loss, backward: boolean): Promise<{ dispatches: number; allocations: number }> {
  manualSeed(3);
  const x = rand([1, 3, 192, 192], { device }).requiresGrad_();
  const y = rand([1, 3, 192, 192], { device });
  await x.data();
  await y.data();
  // a first call compiles kernels and uploads the constant filter weights (made once per device)
  const once = async () => {
    const outs = tidy(() => {
      const v = loss(x, y);
      return backward ? [v, gradients(v, [x])[0]!] : [v];
    });
    for (const t of outs) await t.data();
    for (const t of outs) t.dispose();
  };
  await once();
  const before = counters(device);
  await once();
  const after = counters(device);
  x.dispose();
  y.dispose();
  return { dispatches: after.dispatches - before.dispatches, allocations: after.allocations - before.allocations };
}

describe('CPU kernel calls and allocations per evaluation', () => {
  for (const [name, loss] of LOSSES) {
    it(`${name}: forward, and forward + backward`, async () => {
      const b = BUDGET[name]!;
      for (const [k, backward] of [
        [0, false],
        [1, true],
      ] as const) {
        const c = await cost('cpu', loss, backward);
        expect(c.dispatches, `${name} ${backward ? 'fwd+bwd' : 'fwd'} kernel calls`).toBeLessThanOrEqual(b.cpu[k]);
        expect(c.allocations, `${name} ${backward ? 'fwd+bwd' : 'fwd'} allocations`).toBeLessThanOrEqual(b.cpuAllocs[k]);
      }
    });
  }
});

describeWebgpu('WebGPU dispatches per evaluation', 'dispatch budgets', () => {
  for (const [name, loss] of LOSSES) {
    it(`${name}: forward, and forward + backward`, async () => {
      const { init } = await import('@pixgrad/kernels');
      await init('webgpu');
      try {
        const b = BUDGET[name]!;
        for (const [k, backward] of [
          [0, false],
          [1, true],
        ] as const) {
          const c = await cost('webgpu', loss, backward);
          expect(c.dispatches, `${name} ${backward ? 'fwd+bwd' : 'fwd'} dispatches`).toBeLessThanOrEqual(b.webgpu[k]);
        }
      } finally {
        await init('cpu');
      }
    });
  }
});
