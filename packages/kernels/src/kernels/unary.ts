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
  uniforms: [['n', 'u32'], ['p0', 'f32'], ['p1', 'f32'], ['pad', 'u32']],
};

/** Ops computed exactly in i32 on int32/bool tensors (the rest go through f32). */
export const UNARY_INT_OPS: Partial<Record<UnaryOp, string>> = {
  neg: 'iop_neg', abs: 'iop_abs', sign: 'iop_sign', relu: 'iop_relu', clamp: 'iop_clamp',
  floor: 'iop_identity', ceil: 'iop_identity', round: 'iop_identity',
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

/** The two scalar parameters an op's WGSL reads as u.p0 and u.p1 (zeros for ops without parameters). */
export function unaryParams(op: UnaryOp, p: UnaryParams): [number, number] {
  if (op === 'leakyRelu') return [p.slope ?? 0.01, 0];
  if (op === 'softplus') return [p.beta ?? 1, p.threshold ?? 20];
  if (op === 'clamp') return [p.min ?? -Infinity, p.max ?? Infinity];
  return [0, 0];
}
