import { BackendError, type Shape, sizeOf } from '@pixgrad/core';
import type { DispatchSpec, KernelDescriptor } from '../descriptor.js';
import { MAX_WORKGROUPS_PER_DIM } from '../descriptor.js';
import { broadcastStridesOf, checkRank, coalesce } from '../layout.js';

/** shaders/matmul.wgsl: batched matmul, 4x4 register tile per invocation. */
export const MATMUL: KernelDescriptor = {
  name: 'matmul',
  shader: 'matmul',
  entryPoint: 'main',
  storage: [
    { name: 'a1', binding: 0, access: 'read' },
    { name: 'a4', binding: 1, access: 'read' },
    { name: 'b1', binding: 2, access: 'read' },
    { name: 'b4', binding: 3, access: 'read' },
    { name: 'out', binding: 4, access: 'read_write' },
  ],
  uniformBinding: 5,
  uniforms: [
    ['m', 'u32'],
    ['n', 'u32'],
    ['k', 'u32'],
    ['pad0', 'u32'],
    ['bshape', 'array<vec4<u32>, 2>'],
    ['bsa', 'array<vec4<u32>, 2>'],
    ['bsb', 'array<vec4<u32>, 2>'],
  ],
};

/** shaders/matmul_sg.wgsl: batched matmul for 8-wide subgroups, an R x 32 tile per subgroup. */
export const MATMUL_SG: KernelDescriptor = { ...MATMUL, shader: 'matmul_sg' };

/**
 * Rows per subgroup tile of matmul_sg. Measured at 1024^3 with vec4 loads on lavapipe (minimum
 * wall ms of 15, 2 cores): R = 16: 86-91, 24: 79-85, 32: 77-80 with the same median as 24 (more
 * accumulators spill), 40: 315 (the loops stop being unrolled). Small m keeps 16 rows, which wastes less of a partial tile.
 */
const sgRows = (m: number) => (m >= 128 ? 24 : 16);

// Workgroup shape per layout. On llvmpipe a workgroup's invocations are SIMD lanes of one CPU
// thread, so the shape decides which loads are broadcasts and which are gathers. Measured at
// 1024^3 on lavapipe (GFLOP/s): A normal: 8x8 3.1, 2x32 3.1 (NN) / 6.4 (NT); A transposed:
// 8x8 5.4, 2x32 3.1.
const wgFor = (transA: boolean): [number, number] => (transA ? [8, 8] : [2, 32]);

/**
 * The dispatch for one matmul, or 'zeros' when k = 0 (the product is all zeros). `subgroupSize` 8
 * picks matmul_sg.wgsl (when its grid fits), anything else the register-tile kernel.
 */
export function matmulSpec(
  a: GPUBuffer,
  b: GPUBuffer,
  out: GPUBuffer,
  aShape: Shape,
  bShape: Shape,
  transA: boolean,
  transB: boolean,
  outShape: Shape,
  subgroupSize = 0,
): DispatchSpec | 'zeros' {
  const r = outShape.length;
  const m = outShape[r - 2]!;
  const n = outShape[r - 1]!;
  const k = transA ? aShape[aShape.length - 2]! : aShape[aShape.length - 1]!;
  if (k === 0) return 'zeros';
  const batchShape = outShape.slice(0, r - 2);
  const aBatch = aShape.slice(0, aShape.length - 2);
  const bBatch = bShape.slice(0, bShape.length - 2);
  // batch strides in elements: the broadcast strides of the batch dims, scaled by the matrix size
  const sa = broadcastStridesOf(aBatch, batchShape).map((s) => s * m * k);
  const sb = broadcastStridesOf(bBatch, batchShape).map((s) => s * k * n);
  const c = coalesce(batchShape, [sa, sb]);
  checkRank('matmul', c.shape.length);
  const batch = sizeOf(batchShape);
  if (batch > MAX_WORKGROUPS_PER_DIM)
    throw new BackendError(`webgpu matmul: ${batch} batch matrices exceed the ${MAX_WORKGROUPS_PER_DIM} a dispatch can address; split the batch`);
  const ta = transA ? 't' : 'n';
  const tb = transB ? 't' : 'n';
  const uniforms = { m, n, k, bshape: c.shape, bsa: c.strides[0]!, bsb: c.strides[1]! };
  // vec4 loads along each operand's contiguous dim when it is a multiple of 4 (batch offsets are
  // then multiples of 4 too: they are multiples of the matrix size)
  const aVec = transA ? m % 4 === 0 : k % 4 === 0;
  const bVec = transB ? k % 4 === 0 : n % 4 === 0;
  const rows = sgRows(m);
  const sgGroups: [number, number, number] = [Math.ceil(n / 32), Math.ceil(m / rows), batch];
  if (subgroupSize === 8 && sgGroups[0] <= MAX_WORKGROUPS_PER_DIM && sgGroups[1] <= MAX_WORKGROUPS_PER_DIM) {
    return {
      kernel: MATMUL_SG,
      defines: {
        // matmul_sg reads rows of A along k: a vec4 only when A is not transposed
        ROWA: !transA && aVec ? 'rowA_n4' : 'rowA_1',
        A1: `a_${ta}`,
        BLOCKB: bVec ? `blockB_${tb}4` : 'blockB_1',
        B1: `b_${tb}`,
        R: rows,
        BRANK: c.shape.length,
        WG: 8,
      },
      uniforms,
      buffers: [a, a, b, b, out],
      workgroups: sgGroups,
    };
  }
  const [WG_X, WG_Y] = wgFor(transA);
  return {
    kernel: MATMUL,
    defines: {
      LOADA: `loadA_${ta}${aVec ? 4 : 1}`,
      LOADB: `loadB_${tb}${bVec ? 4 : 1}`,
      A1: `a_${ta}`,
      B1: `b_${tb}`,
      BRANK: c.shape.length,
      WG_X,
      WG_Y,
      WG: WG_X * WG_Y,
    },
    uniforms,
    buffers: [a, a, b, b, out],
    workgroups: [Math.ceil(n / 4 / WG_X), Math.ceil(m / 4 / WG_Y), batch],
  };
}
