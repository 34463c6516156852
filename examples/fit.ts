/**
 * Demo: recover an unknown blur kernel by gradient descent.
 *
 * A random image is blurred with a hidden 5x5 Gaussian; starting from zeros, Adam fits a kernel so
 * that conv2d(image, kernel) matches the blurred image. Prints the loss as it falls and, at the end,
 * how far the fitted kernel is from the hidden one.
 *
 * Run: npm run demo:fit
 */
import { Adam, type Tensor, conv2d, randn, tensor, tidy, zeros } from '@pixgrad/core';

const size = 5;
const sigma = 1.2;
const g1 = Array.from({ length: size }, (_, i) => Math.exp(-((i - 2) ** 2) / (2 * sigma * sigma)));
const norm = g1.reduce((a, b) => a + b, 0) ** 2;
const hidden = tensor(
  g1.flatMap((a) => g1.map((b) => (a * b) / norm)),
  { shape: [1, 1, size, size] },
);

const image = randn([4, 1, 48, 48]);
const target = conv2d(image, hidden, { padding: 2 });

const kernel = zeros([1, 1, size, size], { requiresGrad: true });
const opt = new Adam([kernel], { lr: 0.01 });
const steps = 300;
const started = performance.now();

for (let step = 1; step <= steps; step++) {
  const loss = tidy(() => {
    const diff = conv2d(image, kernel, { padding: 2 }).sub(target);
    const l = diff.mul(diff).mean();
    l.backward();
    return l;
  });
  opt.step();
  opt.zeroGrad();
  if (step === 1 || step % 30 === 0) {
    const bar = '#'.repeat(Math.round((step / steps) * 30)).padEnd(30, '.');
    console.log(`step ${String(step).padStart(3)}  [${bar}]  mse ${loss.itemSync().toExponential(3)}`);
  }
  loss.dispose();
}

const err = tidy(() => (kernel.sub(hidden).abs().max() as Tensor).itemSync());
console.log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s; largest kernel error ${err.toExponential(2)}`);
