import type { BinaryOp } from '@pixgrad/core';
import type { DispatchSpec, KernelDescriptor } from '../descriptor.js';
import type { StorageType } from '../layout.js';
import { EW_WG, ewGrid, indexMode } from './elementwise.js';

/** shaders/binary.wgsl: out[i] = op(a[ia], b[ib]) with broadcasting strides. */
export const BINARY: KernelDescriptor = {
  name: 'binary',
  shader: 'binary',
  entryPoint: 'main',
  storage: [
    { name: 'a', binding: 0, access: 'read' },
    { name: 'b', binding: 1, access: 'read' },
    { name: 'out', binding: 2, access: 'read_write' },
  ],
  uniformBinding: 3,
  uniforms: [
    ['n', 'u32'],
    ['pad0', 'u32'],
    ['pad1', 'u32'],
    ['pad2', 'u32'],
    ['shape', 'array<vec4<u32>, 2>'],
    ['sa', 'array<vec4<u32>, 2>'],
    ['sb', 'array<vec4<u32>, 2>'],
  ],
};

/** Ops with an integer-exact version (atan2 always computes in f32). */
export const BINARY_INT_OPS = new Set<BinaryOp>(['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum']);

/** `shape`, `sa`, `sb` are coalesced (see layout.coalesce). */
export function binarySpec(
  op: BinaryOp,
  t: StorageType,
  a: GPUBuffer,
  b: GPUBuffer,
  out: GPUBuffer,
  n: number,
  shape: number[],
  sa: number[],
  sb: number[],
): DispatchSpec {
  const int = t !== 'f32' && BINARY_INT_OPS.has(op);
  return {
    kernel: BINARY,
    defines: {
      T: t,
      C: int ? 'i32' : 'f32',
      OP: int ? `iop_${op}` : `op_${op}`,
      RANK: shape.length,
      A_MODE: indexMode(shape, sa),
      B_MODE: indexMode(shape, sb),
      WG: EW_WG,
    },
    uniforms: { n, shape, sa, sb },
    buffers: [a, b, out],
    workgroups: ewGrid(n),
  };
}
