import type { ReduceOp } from '@pixgrad/core';
import type { DispatchSpec, KernelDescriptor } from '../descriptor.js';
import { grid1d } from '../descriptor.js';
import type { StorageType } from '../layout.js';

const STORAGE: KernelDescriptor['storage'] = [
  { name: 'x', binding: 0, access: 'read' },
  { name: 'out', binding: 1, access: 'read_write' },
];
export const REDUCE_UNIFORMS: KernelDescriptor['uniforms'] = [
  ['nout', 'u32'],
  ['r', 'u32'],
  ['chunk', 'u32'],
  ['parts', 'u32'],
  ['kshape', 'array<vec4<u32>, 2>'],
  ['kstrides', 'array<vec4<u32>, 2>'],
  ['rshape', 'array<vec4<u32>, 2>'],
  ['rstrides', 'array<vec4<u32>, 2>'],
  ['k', 'array<vec4<u32>, 8>'],
];

/** shaders/reduce.wgsl `reduce_rows`: one invocation per output. */
export const REDUCE_ROWS: KernelDescriptor = {
  name: 'reduce',
  shader: 'reduce',
  entryPoint: 'reduce_rows',
  storage: STORAGE,
  uniformBinding: 2,
  uniforms: REDUCE_UNIFORMS,
};
/** shaders/reduce.wgsl `reduce_wg`: one workgroup per (output, chunk), tree-combined. */
export const REDUCE_WG: KernelDescriptor = {
  name: 'reduce',
  shader: 'reduce',
  entryPoint: 'reduce_wg',
  storage: STORAGE,
  uniformBinding: 2,
  uniforms: REDUCE_UNIFORMS,
};

const ROWS_WG = 64;
const TREE_WG = 128;
const INIT_BITS: Record<StorageType, { max: number; min: number }> = {
  f32: { max: 0xff800000, min: 0x7f800000 },
  i32: { max: 0x80000000, min: 0x7fffffff },
  u32: { max: 0, min: 0xffffffff },
};

/** Geometry of one reduction: kept dims and reduced dims, each coalesced, with input strides. */
export interface ReduceGeometry {
  nout: number;
  r: number;
  kshape: number[];
  kstrides: number[];
  rshape: number[];
  rstrides: number[];
}

/**
 * How to run a reduction: `rows` when there are enough outputs to fill the machine with one
 * invocation each and each loop is short; otherwise tree reductions, split into `parts` chunks
 * per output when few outputs reduce many elements (a workgroup runs on one core).
 */
export function reducePlan(g: ReduceGeometry): { mode: 'rows' } | { mode: 'wg'; parts: number; chunk: number } {
  if (g.nout >= 1024 || (g.nout >= 64 && g.r <= 4096) || g.r <= 64) return { mode: 'rows' };
  const target = 4096 * 4; // elements per workgroup worth splitting at
  const parts = g.nout >= 16 ? 1 : Math.min(64, Math.max(1, Math.floor(g.r / target)));
  const chunk = Math.ceil(g.r / parts);
  return { mode: 'wg', parts, chunk };
}

/** What a reduction reads: a plain buffer `x`, or a fused program's buffers and `load` body (kernels/fused.ts). */
export interface ReduceInput {
  kernels: { rows: KernelDescriptor; wg: KernelDescriptor };
  buffers: readonly GPUBuffer[];
  /** bit patterns of the fused producer's constants (the `k` uniform) */
  consts: readonly number[];
  defines: { INPUTS: string; OUT_BINDING: number; U_BINDING: number; LIBRARY: string; LOAD: string };
}

export function plainReduceInput(t: StorageType, x: GPUBuffer): ReduceInput {
  return {
    kernels: { rows: REDUCE_ROWS, wg: REDUCE_WG },
    buffers: [x],
    consts: [],
    defines: { INPUTS: `@group(0) @binding(0) var<storage, read> x: array<${t}>;`, OUT_BINDING: 1, U_BINDING: 2, LIBRARY: '', LOAD: 'return x[i];' },
  };
}

export function reduceSpec(
  op: ReduceOp,
  t: StorageType,
  x: GPUBuffer | ReduceInput,
  out: GPUBuffer,
  g: ReduceGeometry,
  plan: ReturnType<typeof reducePlan>,
): DispatchSpec {
  const rows = plan.mode === 'rows';
  const wg = rows ? ROWS_WG : TREE_WG;
  const parts = rows ? 1 : plan.parts;
  const input = 'kernels' in x ? x : plainReduceInput(t, x);
  return {
    kernel: rows ? input.kernels.rows : input.kernels.wg,
    defines: {
      ...input.defines,
      T: t,
      OP: op,
      KAHAN: op === 'sum' && t === 'f32' ? 'true' : 'false',
      MAX_INIT_BITS: INIT_BITS[t].max,
      MIN_INIT_BITS: INIT_BITS[t].min,
      KRANK: g.kshape.length,
      RRANK: g.rshape.length,
      WG: wg,
    },
    uniforms: {
      nout: g.nout,
      r: g.r,
      chunk: rows ? 0 : plan.chunk,
      parts,
      kshape: g.kshape,
      kstrides: g.kstrides,
      rshape: g.rshape,
      rstrides: g.rstrides,
      k: input.consts,
    },
    buffers: [...input.buffers, out],
    workgroups: rows ? grid1d(Math.ceil(g.nout / wg)) : grid1d(g.nout * parts),
  };
}
