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
export * from '../prims/sum.js';

// ---- movement
export * from '../prims/reshape.js';
export * from '../prims/expand.js';

// ---- linear algebra, convolution, pooling, resampling
