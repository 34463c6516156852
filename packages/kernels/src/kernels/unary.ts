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
const INT_OPS: Partial<Record<UnaryOp, string>> = {
  neg: 'iop_neg', abs: 'iop_abs', sign: 'iop_sign', relu: 'iop_relu', clamp: 'iop_clamp',
  floor: 'iop_identity', ceil: 'iop_identity', round: 'iop_identity',
};

export function unarySpec(op: UnaryOp, t: StorageType, x: GPUBuffer, y: GPUBuffer, n: number, p: UnaryParams): DispatchSpec {
  const intOp = t !== 'f32' ? INT_OPS[op] : undefined;
  let p0 = 0;
  let p1 = 0;
  if (op === 'leakyRelu') p0 = p.slope ?? 0.01;
  else if (op === 'softplus') [p0, p1] = [p.beta ?? 1, p.threshold ?? 20];
  else if (op === 'clamp') [p0, p1] = [p.min ?? -Infinity, p.max ?? Infinity];
  return {
    kernel: UNARY,
    defines: { T: t, C: intOp ? 'i32' : 'f32', OP: intOp ?? `op_${op}`, WG: EW_WG },
    uniforms: { n, p0, p1 },
    buffers: [x, y],
    workgroups: ewGrid(n),
  };
}
