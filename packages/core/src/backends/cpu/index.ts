import type { Backend, BackendCounters, BackendMemory, View } from '../../backend.js';
import { allocArray, type DataArray, type DType, isArrayOf } from '../../dtype.js';
import { binary, cast, compare, strided, unary, where } from './elementwise.js';
import { conv2d, conv2dInputGrad, conv2dWeightGrad } from './conv.js';
import { matmul } from './matmul.js';
import { concat, gather, pad, scatterAdd } from './movement.js';
import { maxPool2d } from './pool.js';
import { argReduce, reduce } from './reduce.js';
import { compileAllowed, fused, fusedReduce } from './fused.js';
import type { FusionKernels } from '../../fusion/lazy-backend.js';
import type { FusedProgram } from '../../fusion/program.js';

/**
 * The CPU reference backend: plain TypeScript over typed arrays, float32 and float64 (and int32,
 * bool). It is the specification the WebGPU backend is tested against, written for clarity first
 * and for enough speed that real networks run (im2col + blocked matmul for convolutions).
 * A buffer is the typed array itself. Fused elementwise programs (the fusion layer's) run as
 * generated loops (`fused.ts`) where the engine allows compiling code, else one kernel per node.
 */
export class CpuBackend implements Backend<DataArray>, FusionKernels<DataArray> {
  readonly device = 'cpu' as const;
  readonly fusionLimits = { maxLeaves: 16, maxNodes: 96 };
  readonly fuseAllReductions = true;
  private live = 0;
  private liveBytes = 0;
  private dispatched = 0;
  private allocated = 0;

  private own(a: DataArray): DataArray {
    this.live++;
    this.allocated++;
    this.liveBytes += a.byteLength;
    return a;
  }

  /** one kernel call's result */
  private run(a: DataArray): DataArray {
    this.dispatched++;
    return this.own(a);
  }

  upload(data: DataArray, dtype: DType, owned = false): DataArray {
    // an owned array of the right type is kept as it is: no second copy of a loaded checkpoint
    if (owned && isArrayOf(data, dtype)) return this.own(data);
    const a = allocArray(dtype, data.length);
    a.set(data);
    return this.own(a);
  }
  fill(size: number, value: number, dtype: DType): DataArray {
    const a = allocArray(dtype, size);
    if (!Object.is(value, 0)) a.fill(value); // -0 too
    return this.run(a);
  }
  read(x: View<DataArray>): Promise<DataArray> {
    return Promise.resolve(this.readSync(x));
  }
  readSync(x: View<DataArray>): DataArray {
    return x.buf.slice();
  }
  dispose(buf: DataArray): void {
    this.live--;
    this.liveBytes -= buf.byteLength;
  }
  memory(): BackendMemory {
    return { buffers: this.live, bytes: this.liveBytes };
  }
  counters(): BackendCounters {
    return { dispatches: this.dispatched, allocations: this.allocated };
  }

  // fused programs as generated loops, where the engine allows compiling code; without these the
  // fusion layer computes programs with the single kernels (evaluateUnfused) and does not defer pads
  readonly fused?: (p: FusedProgram<DataArray>) => DataArray;
  readonly fusedReduce?: NonNullable<FusionKernels<DataArray>['fusedReduce']>;

  constructor() {
    if (compileAllowed()) {
      this.fused = (p) => this.run(fused(p));
      this.fusedReduce = (op, p, axes) => this.run(fusedReduce(op, p, axes));
    }
  }

  unary: Backend<DataArray>['unary'] = (op, x, p) => this.run(unary(op, x, p));
  binary: Backend<DataArray>['binary'] = (op, a, b, s) => this.run(binary(op, a, b, s));
  compare: Backend<DataArray>['compare'] = (op, a, b, s) => this.run(compare(op, a, b, s));
  where: Backend<DataArray>['where'] = (c, a, b, s) => this.run(where(c, a, b, s));
  cast: Backend<DataArray>['cast'] = (x, dtype) => this.run(cast(x, dtype));
  reduce: Backend<DataArray>['reduce'] = (op, x, axes) => this.run(reduce(op, x, axes));
  strided: Backend<DataArray>['strided'] = (x, shape, strides, offset) => this.run(strided(x, shape, strides, offset));
  argReduce: Backend<DataArray>['argReduce'] = (op, x, axis) => this.run(argReduce(op, x, axis));
  pad: Backend<DataArray>['pad'] = (x, pads, value) => this.run(pad(x, pads, value));
  concat: Backend<DataArray>['concat'] = (xs, axis, shape) => this.run(concat(xs, axis, shape));
  gather: Backend<DataArray>['gather'] = (x, axis, index) => this.run(gather(x, axis, index));
  scatterAdd: Backend<DataArray>['scatterAdd'] = (shape, axis, index, src) => this.run(scatterAdd(shape, axis, index, src));
  matmul: Backend<DataArray>['matmul'] = (a, b, transA, transB, shape) => this.run(matmul(a, b, transA, transB, shape));
  conv2d: Backend<DataArray>['conv2d'] = (x, w, p) => this.run(conv2d(x, w, p));
  conv2dInputGrad: Backend<DataArray>['conv2dInputGrad'] = (dy, w, p, hw) => this.run(conv2dInputGrad(dy, w, p, hw));
  conv2dWeightGrad: Backend<DataArray>['conv2dWeightGrad'] = (x, dy, p, hw) => this.run(conv2dWeightGrad(x, dy, p, hw));
  maxPool2d: Backend<DataArray>['maxPool2d'] = (x, p, outHW) => {
    const { values, indices } = maxPool2d(x, p, outHW);
    this.dispatched++;
    return { values: this.own(values), indices: this.own(indices) };
  };
}
