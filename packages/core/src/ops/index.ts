/**
 * Every public op, primitive or composite. Primitives live in ../prims (one file each: forward,
 * VJP, shape rule); composites live here in ops/ (one file each) and get their gradients from
 * their parts.
 */

// ---- elementwise
export * from '../prims/add.js';
export * from '../prims/sub.js';
export * from '../prims/mul.js';
export * from '../prims/div.js';
export * from '../prims/neg.js';
export * from '../prims/exp.js';
export * from '../prims/cast.js';
export * from '../prims/abs.js';
export * from '../prims/sign.js';
export * from '../prims/log.js';
export * from '../prims/log1p.js';
export * from '../prims/expm1.js';
export * from '../prims/sqrt.js';
export * from '../prims/rsqrt.js';
export * from '../prims/reciprocal.js';
export * from '../prims/sin.js';
export * from '../prims/cos.js';
export * from '../prims/tanh.js';
export * from '../prims/sigmoid.js';
export * from '../prims/relu.js';
export * from '../prims/leakyRelu.js';
export * from '../prims/softplus.js';
export * from '../prims/floor.js';
export * from '../prims/ceil.js';
export * from '../prims/round.js';
export * from '../prims/clamp.js';
export * from '../prims/pow.js';
export * from '../prims/maximum.js';
export * from '../prims/minimum.js';
export * from '../prims/atan2.js';
export * from '../prims/eq.js';
export * from '../prims/ne.js';
export * from '../prims/lt.js';
export * from '../prims/le.js';
export * from '../prims/gt.js';
export * from '../prims/ge.js';
export * from '../prims/where.js';
export * from '../prims/clone.js';
export * from './square.js';

// ---- reductions
export { sum, sumTo } from '../prims/sum.js';
export { prod } from '../prims/prod.js';
export { argmax } from '../prims/argmax.js';
export { argmin } from '../prims/argmin.js';
export { mean } from './mean.js';
export { variance, type VarianceOptions } from './variance.js';
export { std } from './std.js';
export { max } from '../prims/max.js';
export { min } from '../prims/min.js';
export { logsumexp } from './logsumexp.js';
export { softmax } from './softmax.js';
export { logSoftmax } from './logSoftmax.js';

// ---- movement
export * from '../prims/reshape.js';
export * from '../prims/expand.js';
export { permute } from '../prims/permute.js';
export { slice, type SliceSpec } from '../prims/slice.js';
export { constantPad } from '../prims/pad.js';
export { pad, type PadOptions } from './pad.js';
export { concat } from '../prims/concat.js';
export { gather } from '../prims/gather.js';
export { scatterAdd } from '../prims/scatterAdd.js';
export { indexSelect } from './indexSelect.js';
export { oneHot, type OneHotOptions } from './oneHot.js';
export { flatten } from './flatten.js';
export { transpose } from './transpose.js';
export { squeeze } from './squeeze.js';
export { unsqueeze } from './unsqueeze.js';
export { flip } from './flip.js';
export { stack } from './stack.js';

// ---- linear algebra, convolution, pooling, resampling
export { matmul } from '../prims/matmul.js';
export { linear } from './linear.js';
export { conv2d, type Conv2dOptions } from '../prims/conv2d.js';
export { conv2dInputGrad } from '../prims/conv2dInputGrad.js';
export { conv2dWeightGrad } from '../prims/conv2dWeightGrad.js';
export { convTranspose2d, type ConvTranspose2dOptions } from './convTranspose2d.js';
export { maxPool2d, type MaxPool2dOptions } from '../prims/maxPool2d.js';
export { avgPool2d, type AvgPool2dOptions } from './avgPool2d.js';
export { resize, type ResizeMode, type ResizeOptions } from './resize.js';
