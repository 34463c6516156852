/**
 * The registry of primitives: every name of `PRIM_NAMES` (prim.ts) with its primitive. Its type
 * is a `Record` over the closed set, so a name added without its primitive (or a primitive left
 * out) does not compile; tests walk it to check that each entry is what its name says and that
 * every differentiable primitive has its gradient tests.
 */
import type { Prim, PrimName } from '../prim.js';
import { absPrim } from './abs.js';
import { addPrim } from './add.js';
import { ARG_PRIMS } from './argmax.js';
import { atan2Prim } from './atan2.js';
import { castPrim } from './cast.js';
import { ceilPrim } from './ceil.js';
import { clampPrim } from './clamp.js';
import { clonePrim } from './clone.js';
import { concatPrim } from './concat.js';
import { conv2dPrim } from './conv2d.js';
import { conv2dInputGradPrim } from './conv2dInputGrad.js';
import { conv2dWeightGradPrim } from './conv2dWeightGrad.js';
import { cosPrim } from './cos.js';
import { divPrim } from './div.js';
import { eqPrim } from './eq.js';
import { expPrim } from './exp.js';
import { expandPrim } from './expand.js';
import { expm1Prim } from './expm1.js';
import { floorPrim } from './floor.js';
import { gatherPrim } from './gather.js';
import { gePrim } from './ge.js';
import { gtPrim } from './gt.js';
import { lePrim } from './le.js';
import { leakyReluPrim } from './leakyRelu.js';
import { logPrim } from './log.js';
import { log1pPrim } from './log1p.js';
import { ltPrim } from './lt.js';
import { matmulPrim } from './matmul.js';
import { maxPrim } from './max.js';
import { maxPool2dPrim } from './maxPool2d.js';
import { maximumPrim } from './maximum.js';
import { minPrim } from './min.js';
import { minimumPrim } from './minimum.js';
import { mulPrim } from './mul.js';
import { nePrim } from './ne.js';
import { negPrim } from './neg.js';
import { padPrim } from './pad.js';
import { permutePrim } from './permute.js';
import { powPrim } from './pow.js';
import { prodPrim } from './prod.js';
import { reciprocalPrim } from './reciprocal.js';
import { reluPrim } from './relu.js';
import { reshapePrim } from './reshape.js';
import { roundPrim } from './round.js';
import { rsqrtPrim } from './rsqrt.js';
import { scatterPrim } from './scatterAdd.js';
import { sigmoidPrim } from './sigmoid.js';
import { signPrim } from './sign.js';
import { sinPrim } from './sin.js';
import { slicePrim } from './slice.js';
import { softplusPrim } from './softplus.js';
import { sqrtPrim } from './sqrt.js';
import { subPrim } from './sub.js';
import { sumPrim } from './sum.js';
import { tanhPrim } from './tanh.js';
import { wherePrim } from './where.js';

export const PRIMITIVES: { readonly [K in PrimName]: Prim<any> } = {
  // elementwise unary
  neg: negPrim,
  abs: absPrim,
  sign: signPrim,
  exp: expPrim,
  log: logPrim,
  log1p: log1pPrim,
  expm1: expm1Prim,
  sqrt: sqrtPrim,
  rsqrt: rsqrtPrim,
  reciprocal: reciprocalPrim,
  sin: sinPrim,
  cos: cosPrim,
  tanh: tanhPrim,
  sigmoid: sigmoidPrim,
  relu: reluPrim,
  leakyRelu: leakyReluPrim,
  softplus: softplusPrim,
  floor: floorPrim,
  ceil: ceilPrim,
  round: roundPrim,
  clamp: clampPrim,
  // elementwise binary and comparisons
  add: addPrim,
  sub: subPrim,
  mul: mulPrim,
  div: divPrim,
  pow: powPrim,
  maximum: maximumPrim,
  minimum: minimumPrim,
  atan2: atan2Prim,
  eq: eqPrim,
  ne: nePrim,
  lt: ltPrim,
  le: lePrim,
  gt: gtPrim,
  ge: gePrim,
  where: wherePrim,
  cast: castPrim,
  clone: clonePrim,
  // reductions
  sum: sumPrim,
  prod: prodPrim,
  max: maxPrim,
  min: minPrim,
  argmax: ARG_PRIMS.argmax,
  argmin: ARG_PRIMS.argmin,
  // movement
  reshape: reshapePrim,
  expand: expandPrim,
  permute: permutePrim,
  slice: slicePrim,
  pad: padPrim,
  concat: concatPrim,
  gather: gatherPrim,
  scatterAdd: scatterPrim,
  // linear algebra, convolution, pooling
  matmul: matmulPrim,
  conv2d: conv2dPrim,
  conv2dInputGrad: conv2dInputGradPrim,
  conv2dWeightGrad: conv2dWeightGradPrim,
  maxPool2d: maxPool2dPrim,
};
