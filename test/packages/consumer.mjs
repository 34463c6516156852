// A plain Node script of a project that installed the packed tarballs (test/packages.test.ts):
// it uses every package through its public entry point and prints one JSON line of results.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tensor, randn, tidy, memory } from '@pixgrad/core';
import { init, probeWebGPU } from '@pixgrad/kernels';
import { decodeImage, encodePng, readImage, readCheckpointRaw, saveSafetensors } from '@pixgrad/models';
import { ssim, deltaE, rgbToLab } from '@pixgrad/losses';
import { computeMetrics, makeTestCard, runCli, VERSION } from '@pixgrad/cli';
import { initWasm } from '@pixgrad/wasm';

const out = {};
// files go to the project's folder (the test runs the installed `pixgrad` bin on card.png next)
const dir = process.cwd();

// core: a gradient
const x = tensor([1, 2, 3], { requiresGrad: true });
x.mul(x).sum().backward();
out.grad = Array.from(await x.grad.data());

// kernels: WebGPU needs the optional `webgpu` package, which this project did not install
out.probe = await probeWebGPU();
try {
  await init('webgpu');
  out.webgpu = 'initialised';
} catch (e) {
  out.webgpu = e.message;
}
out.device = await init(); // falls back to the CPU backend

// models: a PNG round trip and a checkpoint written and read back by path (the Node host)
const card = makeTestCard(64);
const png = encodePng({ width: card.width, height: card.height, channels: 3, data: card.data });
writeFileSync(join(dir, 'card.png'), png);
const img = await readImage(join(dir, 'card.png'));
out.imageShape = img.shape;
out.decoded = decodeImage(png).width;
await saveSafetensors(
  join(dir, 'w.safetensors'),
  new Map([
    [
      'w',
      tensor([
        [1, 2],
        [3, 4],
      ]),
    ],
  ]),
);
const raw = await readCheckpointRaw(join(dir, 'w.safetensors'));
out.checkpoint = Array.from(raw.tensors.get('w').data);

// losses: SSIM and its gradient, CIEDE2000
const noisy = tidy(() => img.add(randn(img.shape).mul(0.05)).clamp(0, 1));
const y = noisy.detach().requiresGrad_();
const s = ssim(img, y);
s.backward();
out.ssim = await s.item();
out.ssimGradShape = y.grad.shape;
out.deltaE = await deltaE(rgbToLab(img), rgbToLab(noisy)).item();

// wasm: the same SSIM and gradient on the wasm device
const wasm = await initWasm({ threads: 2, makeDefault: false });
out.wasmThreads = wasm.rt.threads;
const yw = noisy.to('wasm').requiresGrad_();
const sw = ssim(img.to('wasm'), yw);
sw.backward();
out.wasmSsim = await sw.item();
const [gc, gw] = [await y.grad.data(), await yw.grad.data()];
out.wasmGradError = Math.max(...gc.map((v, i) => Math.abs(v - gw[i]))) / Math.max(...gc.map(Math.abs));

// cli: the library and the command line agree
const m = await computeMetrics(img, noisy, ['psnr', 'ssim']);
out.psnr = m.psnr.value;
let text = '';
out.cliExit = await runCli(['--version'], { out: (t) => (text += t), err: (t) => (text += t) });
out.cliVersion = text.trim();
out.version = VERSION;
out.tensorsLive = memory().tensors;
console.log(JSON.stringify(out));
