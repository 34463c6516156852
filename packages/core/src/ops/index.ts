/**
 * Every public op, primitive or composite. Primitives live in ../prims (one file each: forward,
 * VJP, shape rule); composites live here in ops/ (one file each) and get their gradients from
 * their parts.
 */

// ---- elementwise
export { add } from '../prims/add.js';
export { sub } from '../prims/sub.js';
export { mul } from '../prims/mul.js';
export { div } from '../prims/div.js';
export { neg } from '../prims/neg.js';
export { exp } from '../prims/exp.js';
export { cast } from '../prims/cast.js';
export { abs } from '../prims/abs.js';
export { sign } from '../prims/sign.js';
export { log } from '../prims/log.js';
export { log1p } from '../prims/log1p.js';
export { expm1 } from '../prims/expm1.js';
export { sqrt } from '../prims/sqrt.js';
export { rsqrt } from '../prims/rsqrt.js';
export { reciprocal } from '../prims/reciprocal.js';
export { sin } from '../prims/sin.js';
export { cos } from '../prims/cos.js';
export { tanh } from '../prims/tanh.js';
export { sigmoid } from '../prims/sigmoid.js';
export { relu } from '../prims/relu.js';
export { leakyRelu } from '../prims/leakyRelu.js';
export { type SoftplusOptions, softplus } from '../prims/softplus.js';
export { floor } from '../prims/floor.js';
export { ceil } from '../prims/ceil.js';
export { round } from '../prims/round.js';
export { clamp } from '../prims/clamp.js';
export { pow } from '../prims/pow.js';
export { maximum } from '../prims/maximum.js';
export { minimum } from '../prims/minimum.js';
export { atan2 } from '../prims/atan2.js';
export { eq } from '../prims/eq.js';
export { ne } from '../prims/ne.js';
export { lt } from '../prims/lt.js';
export { le } from '../prims/le.js';
export { gt } from '../prims/gt.js';
export { ge } from '../prims/ge.js';
export { where } from '../prims/where.js';
export { clone } from '../prims/clone.js';
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
export { reshape } from '../prims/reshape.js';
export { expand } from '../prims/expand.js';
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
