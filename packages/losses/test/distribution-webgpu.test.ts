/**
 * The FID network and loss on WebGPU equal the CPU reference backend: full-width Inception-v3
 * (the hash weights of packages/models/test/inception-weights.ts) on a 299x299 image, every tap;
 * and fidLoss's value and its gradient with respect to the images, through the preprocessing
 * resize and the network to the 192-d pool, on three images.
 * Tolerance: |gpu - cpu| <= 1e-4 * max|cpu| + 1e-6 per tensor (the losses' WebGPU suites' bound;
 * the longest reductions here are 1x1 convs over 2048 channels and the 8x8 pool).
 * Needs a WebGPU adapter (lavapipe on a machine without a GPU): skipped with a reason without one,
 * fails when CI is set.
 */
import { expect, it } from 'vitest';
import { type Device, type Tensor, tensor, tidy } from '@pixgrad/core';
import { type InceptionTap, type InceptionV3, inceptionFromStateDict, inceptionPreprocess } from '@pixgrad/models';
import { hashWeights } from '../../models/test/inception-weights.js';
import { FeatureStats, fidLoss, fidReference } from '../src/index.js';
import { close, data, describeWebgpu, valueAndGradients } from './helpers/webgpu.js';

async function network(device: Device): Promise<InceptionV3> {
  const w = hashWeights('fid');
  try {
    return await inceptionFromStateDict(w, { device });
  } finally {
    for (const t of w.values()) t.dispose();
  }
}

describeWebgpu('Inception-v3 and fidLoss: WebGPU vs CPU', 'Inception WebGPU-vs-CPU suite', () => {
  it('every tap of a 299x299 image', async () => {
    const taps: InceptionTap[] = ['64', '192', '768', '2048', 'logits_unbiased', 'logits', 'spatial'];
    const run = async (device: Device) => {
      const net = await network(device);
      const x = tensor(data(3 * 299 * 299, 7, -1, 1), { shape: [1, 3, 299, 299], device });
      const f = net.features(x, taps);
      const out = await Promise.all(taps.map(async (t) => Array.from(await f.get(t)!.data())));
      for (const t of [...f.values(), x]) t.dispose();
      net.dispose();
      return out;
    };
    const gpu = await run('webgpu');
    const cpu = await run('cpu');
    taps.forEach((t, i) => close(`tap ${t}`, gpu[i]!, cpu[i]!, true));
  }, 180_000);

  it('fidLoss on the 192-d pool of three images (pytorch-fid resize from 64x80): value and d/d images', async () => {
    const s = new FeatureStats(192).add(data(6 * 192, 3, 0, 0.5));
    const ref = fidReference(s.mean(), s.covariance());
    const run = async (device: Device) => {
      const net = await network(device);
      const x = tensor(data(3 * 3 * 64 * 80, 11), { shape: [3, 3, 64, 80], device, requiresGrad: true });
      const loss = tidy(() => fidLoss(net.features(inceptionPreprocess(x, 'pytorch-fid'), ['192']).get('192')!, ref));
      const res = await valueAndGradients(device, loss as Tensor, [x]);
      x.dispose();
      net.dispose();
      return res;
    };
    const gpu = await run('webgpu');
    const cpu = await run('cpu');
    close('fidLoss value', gpu[0]!, cpu[0]!, true);
    // max-pool windows and ReLUs whose inputs agree to float32 rounding can still pick another
    // element or side on each backend, which moves a few gradient entries: compared norm-wise
    const g = gpu[1]!;
    const c = cpu[1]!;
    const diff = Math.sqrt(g.reduce((s, v, i) => s + (v - c[i]!) ** 2, 0));
    const norm = Math.sqrt(c.reduce((s, v) => s + v * v, 0));
    expect(diff / norm, 'fidLoss d/dx: relative L2 difference (measured 8.7e-5)').toBeLessThan(1e-3);
  }, 180_000);
});
