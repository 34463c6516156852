/**
 * The GEMM's relaxed-SIMD path (f32x4.relaxed_madd: one fused multiply-add where the engine has
 * it). Node 20's V8 has relaxed SIMD behind a flag, so this runs relaxed/gemm-check.ts in a child
 * Node with --experimental-wasm-relaxed-simd (browsers ship it: Chromium takes this path), and
 * requires the path to be taken and its results to agree with the CPU backend to float32
 * rounding (relative L2 below 1e-6; a fused multiply-add rounds once where mul + add round twice).
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));

it('matmul and a convolution with both gradients through the relaxed multiply-add GEMM agree with the CPU backend', () => {
  const out = execFileSync(
    process.execPath,
    ['--experimental-wasm-relaxed-simd', '--import', 'tsx', '--conditions=pixgrad-source', join(here, 'relaxed', 'gemm-check.ts')],
    {
      encoding: 'utf8',
      cwd: join(here, '..', '..', '..'),
    },
  );
  const r = JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, number | boolean>;
  expect(r['relaxed']).toBe(true);
  for (const k of ['mm', 'conv', 'dx', 'dw']) expect(r[k] as number, k).toBeLessThan(1e-6);
});
