// A strict TypeScript consumer of the installed packages (test/packages.test.ts type-checks it
// with skipLibCheck: false, so every emitted .d.ts must stand on its own).
import { type Tensor, tensor, gradcheck } from '@pixgrad/core';
import { init, type AdapterInfo, WebGPUBackend } from '@pixgrad/kernels';
import { decodeImage, type DecodedImage, readCheckpointRaw, type RawCheckpoint } from '@pixgrad/models';
import { ssim, msSsim, LpipsModel, type SsimOptions } from '@pixgrad/losses';
import { computeMetrics, type MetricResult, runCli } from '@pixgrad/cli';
import { chooseDevice, type DeviceChoice, WasmBackend } from '@pixgrad/wasm';

export async function check(bytes: Uint8Array): Promise<number> {
  const device: 'cpu' | 'webgpu' = await init();
  const img: DecodedImage = decodeImage(bytes);
  const t: Tensor = tensor(Array.from(img.data), { shape: [1, img.channels, img.height, img.width] });
  const opts: SsimOptions & { returnMap?: false } = { dataRange: 1 };
  const s: number = await ssim(t, t, opts).item();
  const m: number = await msSsim(t, t).item();
  const ck: RawCheckpoint = await readCheckpointRaw(bytes);
  const rows: Partial<Record<string, MetricResult>> = await computeMetrics(t, t, ['psnr']);
  const adapter: AdapterInfo | undefined = undefined;
  const gpuBackend: typeof WebGPUBackend | undefined = device === 'webgpu' ? WebGPUBackend : undefined;
  const lpips: typeof LpipsModel = LpipsModel;
  const ok: boolean = gradcheck((a: Tensor) => a.mul(a).sum(), [tensor([1, 2], { dtype: 'float64' })]).ok;
  const code: number = await runCli(['--version'], { out: () => {}, err: () => {} });
  const choice: DeviceChoice = await chooseDevice({ webgpu: () => import('@pixgrad/kernels') });
  const wasmClass: typeof WasmBackend = WasmBackend;
  return (
    s +
    m +
    ck.tensors.size +
    Object.keys(rows).length +
    code +
    (ok ? 1 : 0) +
    (adapter ? 1 : 0) +
    (gpuBackend ? 1 : 0) +
    (lpips ? 1 : 0) +
    choice.reason.length +
    (wasmClass ? 1 : 0)
  );
}
