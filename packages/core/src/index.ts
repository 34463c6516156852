/**
 * @pixgrad/core: tensors, a closed set of differentiable primitives, reverse-mode autodiff with
 * gradients of gradients, the CPU reference backend (float32 and float64), memory scopes,
 * gradcheck and optimisers.
 */
import { CpuBackend } from './backends/cpu/index.js';
import { registerBackend } from './engine.js';
import { LazyBackend } from './fusion/lazy-backend.js';

export type { DType, DataArray } from './dtype.js';
export { DTYPES, bytesPerElement, isFloat, promoteTypes, viewArray } from './dtype.js';
export type { Shape } from './shape.js';
export { batchOffsets, broadcastShapes, broadcastStrides, contiguousStrides, isDenseBatch, sizeOf } from './shape.js';
export * from './errors.js';
export type * from './backend.js';
export { UNARY_OPS, BINARY_OPS, COMPARE_OPS, REDUCE_OPS } from './backend.js';
export {
  registerBackend,
  unregisterBackend,
  getBackend,
  hasBackend,
  setDefaultDevice,
  getDefaultDevice,
  isGradEnabled,
  noGrad,
  withGradMode,
} from './engine.js';
export { Tensor, type TensorLike, type NestedArray } from './tensor.js';
export type { Prim, PrimName, Vjp, VjpContext, ForwardResult } from './prim.js';
export { PRIM_NAMES } from './prim.js';
export { PRIMITIVES } from './prims/registry.js';
export { apply } from './prim.js';
export { tidy, keep, dispose, memory, counters, type MemoryInfo } from './memory.js';
export * from './creation.js';
export { Generator, manualSeed, defaultGenerator } from './random.js';
export { backward, gradients, grad, valueAndGrad, type BackwardOptions, type GradientsOptions, type GradOptions } from './autodiff.js';
export { gradcheck, gradgradcheck, type GradcheckFn, type GradcheckOptions, type GradcheckResult, type GradcheckMismatch } from './gradcheck.js';
export * from './ops/index.js';
export * from './optim/index.js';
export { CpuBackend };
export { LazyBackend, LazyBuf, type FusionKernels } from './fusion/lazy-backend.js';
export type { FusedProgram, ExprNode, Leaf } from './fusion/program.js';
export {
  programKey,
  rangeDims,
  resultDType,
  isScalarLeaf,
  isContiguousLeaf,
  emitNodes,
  branchOwners,
  mergeLoops,
  loopGroups,
  broadcastLeafStrides,
  type Nest,
} from './fusion/program.js';
export { evaluateUnfused } from './fusion/unfused.js';
/** The CPU backend's packed, register-blocked GEMM on host arrays (C += A B, strided operands), for host-side float64 linear algebra. */
export { gemm, gemmKernel } from './backends/cpu/gemm.js';
/** A typed writer of WebAssembly binaries (with SIMD), for kernels emitted at run time. */
export * as wasm from './wasm-emit.js';

// the CPU backend behind the fusion layer: elementwise chains become one generated loop
registerBackend(new LazyBackend(new CpuBackend()));
