/**
 * @pixgrad/losses: differentiable image losses and metrics composed from @pixgrad/core ops, with
 * PyTorch's names, defaults and reductions. Inputs are [N, C, H, W] unless stated.
 */
export type { Reduction, BorderMode } from './util.js';
export { gaussian1d, matlabDownsample, safeSqrt, safeAtan2, xlogy } from './util.js';
export { l1Loss, mseLoss, smoothL1Loss, huberLoss, charbonnierLoss, type PixelLossOptions } from './pixel.js';
export { psnr, type PsnrOptions } from './psnr.js';
export { ssim, ssimLoss, msSsim, ssimDownsampleFactor, MS_SSIM_WEIGHTS, type SsimOptions, type MsSsimOptions } from './ssim.js';
export { totalVariation, type TotalVariationOptions } from './tv.js';
export { rgbToLab, labToRgb, SRGB_TO_XYZ, XYZ_TO_SRGB, D65_WHITE } from './color.js';
export { deltaE, type DeltaEOptions } from './deltae.js';
export { colorAngleLoss, blurColorLoss, type ColorAngleOptions, type BlurColorOptions } from './colorloss.js';
export { edgeLoss, edgeMask, sobelMagnitude, type EdgeLossOptions } from './edge.js';
export {
  crossEntropy,
  nllLoss,
  binaryCrossEntropy,
  bceWithLogits,
  pixelWeightedCrossEntropy,
  classBalanceWeightMap,
  type CrossEntropyOptions,
  type NllOptions,
  type BceOptions,
  type BceWithLogitsOptions,
  type PixelWeightedCrossEntropyOptions,
} from './classification.js';
export { klDiv, jsDivergence, entropy, frobeniusNorm, gramMatrix, type KlDivOptions, type DistributionOptions } from './divergence.js';
export { tripletMarginLoss, contrastiveLoss, cosineEmbeddingLoss, marginRankingLoss, pairwiseDistance, type TripletOptions } from './metric.js';
export { ganLoss, gradientPenalty, r1Penalty, cycleConsistencyLoss, type GanMode, type GanLossOptions, type GradientPenaltyOptions } from './gan.js';
export { perceptualLoss, PERCEPTUAL_PRESETS, type PerceptualLossOptions, type PerceptualPreset } from './perceptual.js';
export {
  styleLoss,
  textureLoss,
  contentStyleLoss,
  styleTargets,
  JOHNSON_STYLE_LAYERS,
  GATYS_STYLE_LAYERS,
  GATYS_CONTENT_LAYER,
  type StyleLossOptions,
  type TextureLossOptions,
  type ContentStyleLossOptions,
  type GramTargets,
} from './style.js';
export { topologyLoss, TOPOLOGY_LAYERS, type TopologyLossOptions } from './topology.js';
export {
  lpips,
  loadLpips,
  LpipsModel,
  lpipsNetOf,
  LPIPS_SHIFT,
  LPIPS_SCALE,
  LPIPS_EPS,
  type LpipsBackbone,
  type LpipsOptions,
  type LpipsForwardOptions,
  type LoadLpipsOptions,
  type LpipsHeadsSource,
  type LpipsBackboneSource,
} from './lpips.js';
export { frechetDistance, traceSqrtProduct, type GaussianStats } from './distribution/frechet.js';
export { FeatureStats } from './distribution/feature-stats.js';
export { kid, type KidOptions, type KidResult, type FeatureMatrix } from './distribution/kid.js';
export { inceptionScore, type InceptionScoreOptions, type InceptionScoreResult } from './distribution/inception-score.js';
export { fidLoss, fidReference, type FidReference, type FidLossOptions } from './distribution/fid-loss.js';
export { RandomState } from './distribution/random-state.js';
