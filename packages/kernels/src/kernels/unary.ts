import type { UnaryOp, UnaryParams } from '@pixgrad/core';
import type { DispatchSpec, KernelDescriptor } from '../descriptor.js';
import type { StorageType } from '../layout.js';
import { EW_WG, ewGrid } from './elementwise.js';

/** shaders/unary.wgsl: y[i] = op(x[i]) on dense buffers. */
export const UNARY: KernelDescriptor = {
  name: 'unary',
  shader: 'unary',
  entryPoint: 'main',
  storage: [
    { name: 'x', binding: 0, access: 'read' },
    { name: 'y', binding: 1, access: 'read_write' },
  ],
  uniformBinding: 2,
  uniforms: [
    ['n', 'u32'],
    ['p0', 'f32'],
    ['p1', 'f32'],
    ['pad', 'u32'],
  ],
};

/** Ops computed exactly in i32 on int32/bool tensors (the rest go through f32). */
export const UNARY_INT_OPS: Partial<Record<UnaryOp, string>> = {
  neg: 'iop_neg',
  abs: 'iop_abs',
  sign: 'iop_sign',
  relu: 'iop_relu',
  clamp: 'iop_clamp',
  floor: 'iop_identity',
  ceil: 'iop_identity',
  round: 'iop_identity',
};

export function unarySpec(op: UnaryOp, t: StorageType, x: GPUBuffer, y: GPUBuffer, n: number, p: UnaryParams): DispatchSpec {
  const intOp = t !== 'f32' ? UNARY_INT_OPS[op] : undefined;
  const [p0, p1] = unaryParams(op, p);
  return {
    kernel: UNARY,
    defines: { T: t, C: intOp ? 'i32' : 'f32', OP: intOp ?? `op_${op}`, WG: EW_WG },
    uniforms: { n, p0, p1 },
    buffers: [x, y],
    workgroups: ewGrid(n),
  };
}

const none = (): [number, number] => [0, 0];
/** The two scalar parameters each op's WGSL reads as u.p0 and u.p1: a table over every op, so a new op with parameters must say where they go. */
const UNIFORMS: { readonly [K in UnaryOp]: (p: UnaryParams<K>) => [number, number] } = {
  neg: none,
  abs: none,
  sign: none,
  exp: none,
  log: none,
  log1p: none,
  expm1: none,
  sqrt: none,
  rsqrt: none,
  reciprocal: none,
  sin: none,
  cos: none,
  tanh: none,
  sigmoid: none,
  relu: none,
  floor: none,
  ceil: none,
  round: none,
  leakyRelu: (p) => [p.slope, 0],
  softplus: (p) => [p.beta, p.threshold],
  clamp: (p) => [p.min ?? -Infinity, p.max ?? Infinity],
};

export function unaryParams(op: UnaryOp, p: UnaryParams): [number, number] {
  return (UNIFORMS[op] as (p: UnaryParams) => [number, number])(p); // op and p belong together (Backend.unary's signature)
}
