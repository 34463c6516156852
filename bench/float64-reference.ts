/**
 * Accuracy of the perceptual workload's gradient: pixgrad cpu and webgpu (float32) against the same
 * network computed in float64 on the CPU, on the bench's own inputs and weights at 256x256.
 * Run: npx tsx --conditions=pixgrad-source bench/float64-reference.ts (about 3 minutes on 2 cores).
 */
import { cast, gradients, setDefaultDevice, type Tensor } from '@pixgrad/core';
import { init } from '@pixgrad/kernels';
import { perceptualLoss } from '@pixgrad/losses';
import { vggFromStateDict } from '@pixgrad/models';
import { uniform, uniform01 } from './data.js';
import { pixgradTensor, pixgradVgg16StateDict } from './workloads/common.js';
await init('webgpu');
setDefaultDevice('cpu');
const S = 256;
const x0 = uniform01(3 * S * S, 31);
const n = uniform(3 * S * S, 32);
const y0 = x0.map((v, i) => Math.min(1, Math.max(0, v + 0.2 * n[i]!)));
const run = async (device: 'cpu' | 'webgpu', f64: boolean) => {
  let sd = pixgradVgg16StateDict(device);
  if (f64) sd = new Map([...sd].map(([k, v]) => [k, cast(v, 'float64')] as [string, Tensor]));
  const net = vggFromStateDict('vgg16', sd, { device });
  let x = pixgradTensor(x0, [1, 3, S, S], device, !f64);
  let y = pixgradTensor(y0, [1, 3, S, S], device);
  if (f64) {
    x = cast(x, 'float64').requiresGrad_();
    y = cast(y, 'float64');
  }
  const v = perceptualLoss(x, y, { net, layers: ['relu2_2', 'relu4_3'] });
  return [await v.data(), await gradients(v, [x])[0]!.data()] as const;
};
const [v64, g64] = await run('cpu', true);
const [vc, gc] = await run('cpu', false);
const [vg, gg] = await run('webgpu', false);
const rel = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let n = 0,
    d = 0;
  for (let i = 0; i < a.length; i++) {
    n += (a[i]! - b[i]!) ** 2;
    d += b[i]! ** 2;
  }
  return Math.sqrt(n / d).toExponential(2);
};
console.log(`values: f64 ${v64[0]} cpu32 ${vc[0]} gpu32 ${vg[0]}`);
console.log(`grad rel L2 vs f64: cpu32 ${rel(gc, g64)} gpu32 ${rel(gg, g64)}; cpu32 vs gpu32 ${rel(gg, gc)}`);
