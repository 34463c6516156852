import type { CompareOp } from '@pixgrad/core';
import type { DispatchSpec, KernelDescriptor } from '../descriptor.js';
import type { StorageType } from '../layout.js';
import { EW_WG, ewGrid, indexMode } from './elementwise.js';

const PARAMS: KernelDescriptor['uniforms'] = [
  ['n', 'u32'],
  ['pad0', 'u32'],
  ['pad1', 'u32'],
  ['pad2', 'u32'],
  ['shape', 'array<vec4<u32>, 2>'],
  ['s0', 'array<vec4<u32>, 2>'],
  ['s1', 'array<vec4<u32>, 2>'],
  ['s2', 'array<vec4<u32>, 2>'],
];

/** shaders/compare.wgsl `compare`: out[i] = (a op b) as a 0/1 u32. */
export const COMPARE: KernelDescriptor = {
  name: 'compare',
  shader: 'compare',
  entryPoint: 'compare',
  storage: [
    { name: 'in1', binding: 1, access: 'read' },
    { name: 'in2', binding: 2, access: 'read' },
    { name: 'out', binding: 3, access: 'read_write' },
  ],
  uniformBinding: 4,
  uniforms: PARAMS,
};

/** shaders/compare.wgsl `where_select`: out[i] = cond ? a : b. */
export const WHERE: KernelDescriptor = {
  name: 'where',
  shader: 'compare',
  entryPoint: 'where_select',
  storage: [
    { name: 'in0', binding: 0, access: 'read' },
    { name: 'in1', binding: 1, access: 'read' },
    { name: 'in2', binding: 2, access: 'read' },
    { name: 'out', binding: 3, access: 'read_write' },
  ],
  uniformBinding: 4,
  uniforms: PARAMS,
};

/** shaders/compare.wgsl `cast_values`: out[i] = convert(x[i]), dense. */
export const CAST: KernelDescriptor = {
  name: 'cast',
  shader: 'compare',
  entryPoint: 'cast_values',
  storage: [
    { name: 'in0', binding: 0, access: 'read' },
    { name: 'out', binding: 3, access: 'read_write' },
  ],
  uniformBinding: 4,
  uniforms: PARAMS,
};

const zeros = [0];

export function compareSpec(
  op: CompareOp,
  t: StorageType,
  a: GPUBuffer,
  b: GPUBuffer,
  out: GPUBuffer,
  n: number,
  shape: number[],
  sa: number[],
  sb: number[],
): DispatchSpec {
  return {
    kernel: COMPARE,
    defines: {
      T: t,
      T0: 'u32',
      TO: 'u32',
      OP: `cmp_${op}`,
      CAST: 'cast_u32_u32',
      RANK: shape.length,
      MODE0: 1,
      MODE1: indexMode(shape, sa),
      MODE2: indexMode(shape, sb),
      WG: EW_WG,
    },
    uniforms: { n, shape, s0: zeros, s1: sa, s2: sb },
    buffers: [a, b, out],
    workgroups: ewGrid(n),
  };
}

export function whereSpec(
  t: StorageType,
  c: GPUBuffer,
  a: GPUBuffer,
  b: GPUBuffer,
  out: GPUBuffer,
  n: number,
  shape: number[],
  sc: number[],
  sa: number[],
  sb: number[],
): DispatchSpec {
  return {
    kernel: WHERE,
    defines: {
      T: t,
      T0: 'u32',
      TO: t,
      OP: 'cmp_eq',
      CAST: `cast_u32_${t}`,
      RANK: shape.length,
      MODE0: indexMode(shape, sc),
      MODE1: indexMode(shape, sa),
      MODE2: indexMode(shape, sb),
      WG: EW_WG,
    },
    uniforms: { n, shape, s0: sc, s1: sa, s2: sb },
    buffers: [c, a, b, out],
    workgroups: ewGrid(n),
  };
}

export function castSpec(from: StorageType, to: StorageType, x: GPUBuffer, out: GPUBuffer, n: number): DispatchSpec {
  return {
    kernel: CAST,
    defines: { T: 'f32', T0: from, TO: to, OP: 'cmp_eq', CAST: `cast_${from}_${to}`, RANK: 1, MODE0: 0, MODE1: 0, MODE2: 0, WG: EW_WG },
    uniforms: { n, shape: [n], s0: zeros, s1: zeros, s2: zeros },
    buffers: [x, out],
    workgroups: ewGrid(n),
  };
}
