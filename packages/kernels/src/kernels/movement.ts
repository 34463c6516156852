import type { DispatchSpec, KernelDescriptor } from '../descriptor.js';
import { grid1d } from '../descriptor.js';
import type { StorageType } from '../layout.js';
import { EW_WG, bitsOf, ewGrid } from './elementwise.js';

/** shaders/strided.wgsl: out[i] = x[offset + sum c_d * strides_d] (signed strides). */
export const STRIDED: KernelDescriptor = {
  name: 'strided',
  shader: 'strided',
  entryPoint: 'main',
  storage: [
    { name: 'x', binding: 0, access: 'read' },
    { name: 'out', binding: 1, access: 'read_write' },
  ],
  uniformBinding: 2,
  uniforms: [
    ['n', 'u32'],
    ['offset', 'i32'],
    ['pad0', 'u32'],
    ['pad1', 'u32'],
    ['shape', 'array<vec4<u32>, 2>'],
    ['strides', 'array<vec4<i32>, 2>'],
  ],
};

export function stridedSpec(t: StorageType, x: GPUBuffer, out: GPUBuffer, n: number, shape: number[], strides: number[], offset: number): DispatchSpec {
  return {
    kernel: STRIDED,
    defines: { T: t, RANK: shape.length, WG: EW_WG },
    uniforms: { n, offset, shape, strides },
    buffers: [x, out],
    workgroups: ewGrid(n),
  };
}

/** shaders/pad.wgsl: constant padding. */
export const PAD: KernelDescriptor = {
  name: 'pad',
  shader: 'pad',
  entryPoint: 'main',
  storage: [
    { name: 'x', binding: 0, access: 'read' },
    { name: 'out', binding: 1, access: 'read_write' },
  ],
  uniformBinding: 2,
  uniforms: [
    ['n', 'u32'],
    ['bits', 'u32'],
    ['pad0', 'u32'],
    ['pad1', 'u32'],
    ['oshape', 'array<vec4<u32>, 2>'],
    ['ishape', 'array<vec4<u32>, 2>'],
    ['before', 'array<vec4<u32>, 2>'],
    ['istrides', 'array<vec4<u32>, 2>'],
  ],
};

export function padSpec(
  t: StorageType,
  x: GPUBuffer,
  out: GPUBuffer,
  n: number,
  value: number,
  oshape: number[],
  ishape: number[],
  before: number[],
  istrides: number[],
): DispatchSpec {
  return {
    kernel: PAD,
    defines: { T: t, RANK: oshape.length, WG: EW_WG },
    uniforms: { n, bits: bitsOf(value, t), oshape, ishape, before, istrides },
    buffers: [x, out],
    workgroups: ewGrid(n),
  };
}

/** shaders/concat.wgsl: one input copied into its slot of the output. */
export const CONCAT: KernelDescriptor = {
  name: 'concat',
  shader: 'concat',
  entryPoint: 'main',
  storage: [
    { name: 'x', binding: 0, access: 'read' },
    { name: 'out', binding: 1, access: 'read_write' },
  ],
  uniformBinding: 2,
  uniforms: [
    ['n', 'u32'],
    ['len', 'u32'],
    ['ostride', 'u32'],
    ['offset', 'u32'],
  ],
};

export function concatSpec(t: StorageType, x: GPUBuffer, out: GPUBuffer, n: number, len: number, ostride: number, offset: number): DispatchSpec {
  return { kernel: CONCAT, defines: { T: t, WG: EW_WG }, uniforms: { n, len, ostride, offset }, buffers: [x, out], workgroups: ewGrid(n) };
}

const GATHER_UNIFORMS: KernelDescriptor['uniforms'] = [
  ['n', 'u32'],
  ['axis', 'u32'],
  ['alen', 'u32'],
  ['pad0', 'u32'],
  ['ishape', 'array<vec4<u32>, 2>'],
  ['dstrides', 'array<vec4<u32>, 2>'],
  ['sstrides', 'array<vec4<u32>, 2>'],
];

/** shaders/gather.wgsl `gather`. */
export const GATHER: KernelDescriptor = {
  name: 'gather',
  shader: 'gather',
  entryPoint: 'gather',
  storage: [
    { name: 'x', binding: 0, access: 'read' },
    { name: 'index', binding: 1, access: 'read' },
    { name: 'out', binding: 2, access: 'read_write' },
    { name: 'bad', binding: 6, access: 'read_write' },
  ],
  uniformBinding: 5,
  uniforms: GATHER_UNIFORMS,
};

/** shaders/gather.wgsl `scatter_add` (atomic accumulation into a zero-filled output). */
export const SCATTER_ADD: KernelDescriptor = {
  name: 'scatterAdd',
  shader: 'gather',
  entryPoint: 'scatter_add',
  storage: [
    { name: 'index', binding: 1, access: 'read' },
    { name: 'src', binding: 3, access: 'read' },
    { name: 'acc', binding: 4, access: 'read_write' },
    { name: 'bad', binding: 6, access: 'read_write' },
  ],
  uniformBinding: 5,
  uniforms: GATHER_UNIFORMS,
};

/** `bad` (both kernels): 4 u32 words where an out-of-range index is reported (see shaders/gather.wgsl). */
export function gatherSpec(
  t: StorageType,
  x: GPUBuffer,
  index: GPUBuffer,
  out: GPUBuffer,
  bad: GPUBuffer,
  n: number,
  axis: number,
  alen: number,
  ishape: number[],
  xstrides: number[],
): DispatchSpec {
  return {
    kernel: GATHER,
    defines: { T: t, AT: 'i32', ADD: 'add_int', RANK: ishape.length, WG: EW_WG },
    uniforms: { n, axis, alen, ishape, dstrides: xstrides, sstrides: [0] },
    buffers: [x, index, out, bad],
    workgroups: ewGrid(n),
  };
}

export function scatterAddSpec(
  t: StorageType,
  index: GPUBuffer,
  src: GPUBuffer,
  out: GPUBuffer,
  bad: GPUBuffer,
  n: number,
  axis: number,
  alen: number,
  ishape: number[],
  ostrides: number[],
  sstrides: number[],
): DispatchSpec {
  const float = t === 'f32';
  return {
    kernel: SCATTER_ADD,
    defines: { T: t, AT: float ? 'u32' : 'i32', ADD: float ? 'add_cas' : 'add_int', RANK: ishape.length, WG: EW_WG },
    uniforms: { n, axis, alen, ishape, dstrides: ostrides, sstrides },
    buffers: [index, src, out, bad],
    workgroups: ewGrid(n),
  };
}

export { grid1d };
