// A browser app of a project that installed the packed tarballs: test/packages.test.ts bundles it
// with esbuild for the browser, which must find no Node built-in in any of the six packages.
import { tensor, tidy } from '@pixgrad/core';
import { init } from '@pixgrad/kernels';
import { decodeImage, readCheckpointRaw, vgg16, loadLpipsHeads } from '@pixgrad/models';
import { ssim, deltaE, rgbToLab, LpipsModel } from '@pixgrad/losses';
import { computeMetrics, imageFromBytes, makeTestCard, makeDistortions, errorMap } from '@pixgrad/cli';
import { chooseDevice } from '@pixgrad/wasm';

export async function run(bytes: Uint8Array, vggBytes: Uint8Array, headBytes: Uint8Array): Promise<unknown> {
  await init();
  const choice = await chooseDevice({ webgpu: () => import('@pixgrad/kernels') });
  const card = makeTestCard(64);
  const d = makeDistortions(card);
  const ref = imageFromBytes(bytes, 'ref.png');
  const jpegBytes = d.find((x) => x.bytes)!.bytes!;
  const test = imageFromBytes(jpegBytes, 'test.jpg');
  const rows = await computeMetrics(ref.tensor, test.tensor, ['ssim', 'deltae']);
  const map = await errorMap('ssim', ref.tensor, test.tensor, 'test');
  const ck = await readCheckpointRaw(vggBytes);
  const vgg = await vgg16({ weights: vggBytes });
  const lpips = new LpipsModel(vgg, await loadLpipsHeads(headBytes, { net: 'vgg', version: '0.1' }), '0.1');
  const v = tidy(() => ssim(ref.tensor, test.tensor).add(deltaE(rgbToLab(ref.tensor), rgbToLab(test.tensor))));
  return [choice.device, rows, map.length, ck.format, decodeImage(bytes).width, await v.item(), lpips, tensor([1])];
}
