import type { Pool2dParams } from '@pixgrad/core';
import type { DispatchSpec, KernelDescriptor } from '../descriptor.js';
import { grid1d } from '../descriptor.js';
import type { StorageType } from '../layout.js';

/** shaders/maxpool.wgsl: values + int32 flat argmax per output. */
export const MAXPOOL: KernelDescriptor = {
  name: 'maxPool2d',
  shader: 'maxpool',
  entryPoint: 'main',
  storage: [
    { name: 'x', binding: 0, access: 'read' },
    { name: 'values', binding: 1, access: 'read_write' },
    { name: 'indices', binding: 2, access: 'read_write' },
  ],
  uniformBinding: 3,
  uniforms: (['planes', 'h', 'w', 'pad0', 'ho', 'wo', 'kh', 'kw', 'sh', 'sw', 'ph', 'pw', 'dh', 'dw', 'pad1', 'pad2'] as const).map((k) => [k, 'u32'] as const),
};

const WG = 64;

export function maxPoolSpec(
  t: StorageType,
  x: GPUBuffer,
  values: GPUBuffer,
  indices: GPUBuffer,
  planes: number,
  h: number,
  w: number,
  outHW: readonly [number, number],
  p: Pool2dParams,
): DispatchSpec {
  const [ho, wo] = outHW;
  const lowest = t === 'f32' ? 0xff800000 : t === 'i32' ? 0x80000000 : 0;
  return {
    kernel: MAXPOOL,
    defines: { T: t, LOWEST: lowest, WG },
    uniforms: {
      planes,
      h,
      w,
      ho,
      wo,
      kh: p.kernel[0],
      kw: p.kernel[1],
      sh: p.stride[0],
      sw: p.stride[1],
      ph: p.padding[0],
      pw: p.padding[1],
      dh: p.dilation[0],
      dw: p.dilation[1],
    },
    buffers: [x, values, indices],
    workgroups: grid1d(Math.ceil((planes * ho * wo) / WG)),
  };
}
