import type { Backend, BackendMemory, View } from '../../backend.js';
import { allocArray, type DataArray, type DType, isArrayOf } from '../../dtype.js';
import { binary, cast, compare, strided, unary, where } from './elementwise.js';
import { conv2d, conv2dInputGrad, conv2dWeightGrad } from './conv.js';
import { matmul } from './matmul.js';
import { concat, gather, pad, scatterAdd } from './movement.js';
import { maxPool2d } from './pool.js';
import { argReduce, reduce } from './reduce.js';

/**
 * The CPU reference backend: plain TypeScript over typed arrays, float32 and float64 (and int32,
 * bool). It is the specification the WebGPU backend is tested against, written for clarity first
 * and for enough speed that real networks run (im2col + blocked matmul for convolutions).
 * A buffer is the typed array itself.
 */
export class CpuBackend implements Backend<DataArray> {
  readonly device = 'cpu' as const;
  private live = 0;
  private liveBytes = 0;

  private own(a: DataArray): DataArray {
    this.live++;
    this.liveBytes += a.byteLength;
    return a;
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
    if (value !== 0) a.fill(value);
    return this.own(a);
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

  unary: Backend<DataArray>['unary'] = (op, x, p) => this.own(unary(op, x, p));
  binary: Backend<DataArray>['binary'] = (op, a, b, s) => this.own(binary(op, a, b, s));
  compare: Backend<DataArray>['compare'] = (op, a, b, s) => this.own(compare(op, a, b, s));
  where: Backend<DataArray>['where'] = (c, a, b, s) => this.own(where(c, a, b, s));
  cast: Backend<DataArray>['cast'] = (x, dtype) => this.own(cast(x, dtype));
  reduce: Backend<DataArray>['reduce'] = (op, x, axes) => this.own(reduce(op, x, axes));
  strided: Backend<DataArray>['strided'] = (x, shape, strides, offset) => this.own(strided(x, shape, strides, offset));
  argReduce: Backend<DataArray>['argReduce'] = (op, x, axis) => this.own(argReduce(op, x, axis));
  pad: Backend<DataArray>['pad'] = (x, pads, value) => this.own(pad(x, pads, value));
  concat: Backend<DataArray>['concat'] = (xs, axis, shape) => this.own(concat(xs, axis, shape));
  gather: Backend<DataArray>['gather'] = (x, axis, index) => this.own(gather(x, axis, index));
  scatterAdd: Backend<DataArray>['scatterAdd'] = (shape, axis, index, src) => this.own(scatterAdd(shape, axis, index, src));
  matmul: Backend<DataArray>['matmul'] = (a, b, transA, transB, shape) => this.own(matmul(a, b, transA, transB, shape));
  conv2d: Backend<DataArray>['conv2d'] = (x, w, p) => this.own(conv2d(x, w, p));
  conv2dInputGrad: Backend<DataArray>['conv2dInputGrad'] = (dy, w, p, hw) => this.own(conv2dInputGrad(dy, w, p, hw));
  conv2dWeightGrad: Backend<DataArray>['conv2dWeightGrad'] = (x, dy, p, hw) => this.own(conv2dWeightGrad(x, dy, p, hw));
  maxPool2d: Backend<DataArray>['maxPool2d'] = (x, p, outHW) => {
    const { values, indices } = maxPool2d(x, p, outHW);
    return { values: this.own(values), indices: this.own(indices) };
  };
}
