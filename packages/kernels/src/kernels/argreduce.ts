import type { ArgReduceOp } from '@pixgrad/core';
import type { DispatchSpec, KernelDescriptor } from '../descriptor.js';
import { grid1d } from '../descriptor.js';
import type { StorageType } from '../layout.js';

/** shaders/argreduce.wgsl: int32 argmax/argmin along one axis, one invocation per output. */
export const ARGREDUCE: KernelDescriptor = {
  name: 'argReduce',
  shader: 'argreduce',
  entryPoint: 'main',
  storage: [
    { name: 'x', binding: 0, access: 'read' },
    { name: 'out', binding: 1, access: 'read_write' },
  ],
  uniformBinding: 2,
  uniforms: [
    ['nout', 'u32'],
    ['a', 'u32'],
    ['inner', 'u32'],
    ['pad', 'u32'],
  ],
};

const WG = 64;

export function argReduceSpec(op: ArgReduceOp, t: StorageType, x: GPUBuffer, out: GPUBuffer, outer: number, a: number, inner: number): DispatchSpec {
  const nout = outer * inner;
  return {
    kernel: ARGREDUCE,
    defines: { T: t, CMP: op === 'argmax' ? 'better_max' : 'better_min', WG },
    uniforms: { nout, a, inner },
    buffers: [x, out],
    workgroups: grid1d(Math.ceil(nout / WG)),
  };
}
