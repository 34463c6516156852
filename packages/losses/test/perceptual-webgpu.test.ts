/**
 * LPIPS (VGG, AlexNet and SqueezeNet backbones) and the VGG perceptual and style losses give the
 * same value and input gradient on the WebGPU backend as on the CPU reference backend: float32,
 * the same seeded narrow random networks built on each device, identical inputs.
 * Tolerance: |gpu - cpu| <= 1e-4 * max|cpu| + 1e-6 over each output / gradient tensor, as the
 * losses' WebGPU suite (webgpu.test.ts): the backends sum in different orders, float32 epsilon is
 * 1.2e-7, and the longest reductions here (convolutions of up to 9 * 64 terms, spatial means) are
 * a few thousand terms.
 * Needs a WebGPU adapter (lavapipe on a machine without a GPU: scripts/setup-webgpu.sh): without
 * one the suite is skipped with a one-line reason, or fails when CI is set.
 */
import { expect, it } from 'vitest';
import { type Device, type Tensor, tensor, tidy } from '@pixgrad/core';
import { randomAlexNet, randomLpipsHeads, randomSqueezeNet, randomVgg, LPIPS_ALEX_TAPS, LPIPS_SQUEEZE_TAPS } from '@pixgrad/models';
import { LpipsModel, perceptualLoss, styleLoss } from '../src/index.js';
import { close, data, describeWebgpu, valueAndGradients } from './helpers/webgpu.js';

/** A loss of two images on one device, with the networks it needs built there; returns [value, d/dx, d/dy]. */
type Case = (device: Device) => { f: (x: Tensor, y: Tensor) => Tensor; dispose: () => void };

async function run(device: Device, shape: number[], build: Case): Promise<number[][]> {
  const n = shape.reduce((a, b) => a * b, 1);
  const x = tensor(data(n, 1), { shape, device, requiresGrad: true });
  const y = tensor(data(n, 2), { shape, device, requiresGrad: true });
  const { f, dispose } = build(device);
  const res = await valueAndGradients(device, f(x, y), [x, y]);
  for (const t of [x, y]) t.dispose();
  dispose();
  return res;
}

const CASES: [string, number[], Case][] = [
  [
    'perceptualLoss (VGG16 / 8: relu2_2 + relu4_3, l2; conv3_3 l1)',
    [2, 3, 16, 16],
    (device) => {
      const net = randomVgg('vgg16', { seed: 1, widthMultiplier: 1 / 8, device });
      return {
        f: (x, y) =>
          tidy(() =>
            perceptualLoss(x, y, { net, layers: ['relu2_2', 'relu4_3'], reduction: 'none' }).add(
              perceptualLoss(x, y, { net, layers: { conv3_3: 0.5 }, criterion: 'l1', reduction: 'none' }),
            ),
          ),
        dispose: () => net.dispose(),
      };
    },
  ],
  [
    'styleLoss (VGG19 / 8, Johnson layers)',
    [1, 3, 16, 16],
    (device) => {
      const net = randomVgg('vgg19', { seed: 2, widthMultiplier: 1 / 8, device });
      return { f: (x, y) => styleLoss(x, y, { net, reduction: 'none' }), dispose: () => net.dispose() };
    },
  ],
  [
    'lpips vgg (VGG16 / 16, v0.1, scalar + spatial)',
    [2, 3, 16, 16],
    (device) => {
      const net = randomVgg('vgg16', { seed: 3, widthMultiplier: 1 / 16, device });
      const model = new LpipsModel(net, randomLpipsHeads([4, 8, 16, 32, 32], { seed: 1, device }));
      return {
        f: (x, y) => tidy(() => model.forward(x, y, { normalize: true }).add(model.forward(x, y, { normalize: true, spatial: true }).mean([2, 3], true))),
        dispose: () => model.dispose(),
      };
    },
  ],
  [
    'lpips alex (AlexNet / 8, v0.0)',
    [1, 3, 32, 32],
    (device) => {
      const net = randomAlexNet({ seed: 4, widthMultiplier: 1 / 8, device });
      const model = new LpipsModel(
        net,
        randomLpipsHeads(
          LPIPS_ALEX_TAPS.map((t) => net.channelsAt(t)),
          { seed: 2, device, version: '0.0' },
        ),
      );
      return { f: (x, y) => model.forward(x, y, { normalize: true }), dispose: () => model.dispose() };
    },
  ],
  [
    'lpips squeeze (SqueezeNet 1.1 / 8, v0.1, ceil-mode pools at 34x34)',
    [1, 3, 34, 34],
    (device) => {
      const net = randomSqueezeNet({ seed: 5, widthMultiplier: 1 / 8, device });
      const model = new LpipsModel(
        net,
        randomLpipsHeads(
          LPIPS_SQUEEZE_TAPS.map((t) => net.channelsAt(t)),
          { seed: 3, device },
        ),
      );
      return { f: (x, y) => model.forward(x, y, { normalize: true }), dispose: () => model.dispose() };
    },
  ],
];

describeWebgpu('LPIPS and VGG losses: WebGPU matches the CPU backend (float32)', 'LPIPS/perceptual WebGPU-vs-CPU suite', () => {
  for (const [name, shape, build] of CASES) {
    it(name, async () => {
      const want = await run('cpu', shape, build);
      const got = await run('webgpu', shape, build);
      expect(got.length).toBe(3);
      got.forEach((g, i) => close(`${name} ${['value', 'd/dx', 'd/dy'][i]}`, g, want[i]!, true));
    });
  }
});
