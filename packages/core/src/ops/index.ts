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

// ---- reductions
export { sum, sumTo } from '../prims/sum.js';
export { prod } from '../prims/prod.js';
export { argmax } from '../prims/argmax.js';
export { argmin } from '../prims/argmin.js';
export { mean } from './mean.js';
export { variance, type VarianceOptions } from './variance.js';

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
