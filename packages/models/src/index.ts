/**
 * @pixgrad/models: checkpoint readers and writers (torch zip / legacy / tar, safetensors),
 * with a restricted pickle machine, and image I/O.
 */
export { CheckpointError, ImageError, type CheckpointErrorCode, type CheckpointErrorInfo } from './errors.js';
export type { SourceDtype, OutDtype, Int64Mode } from './checkpoints/dtypes.js';
export { isRawTensor, isSkippedTensor, type RawTensor, type SkippedTensor, type ArrayOfOut } from './checkpoints/raw-tensor.js';
export { PyDict, PyGlobal, StorageRef, TensorRef, isTuple, type PyValue } from './checkpoints/pickle-values.js';
export { MemorySource, type ByteSource } from './checkpoints/byte-source.js';
export {
  detectFormat,
  parseCheckpoint,
  readCheckpointRaw,
  type CheckpointFormat,
  type CheckpointOptions,
  type RawCheckpoint,
} from './checkpoints/checkpoint.js';
export { readSafetensorsHeader, SAFETENSORS_MAX_HEADER, type SafetensorsHeader, type SafetensorsEntry } from './checkpoints/safetensors.js';
export { crc32 } from './checkpoints/crc32.js';
export { loadCheckpoint, rawToTensor, type LoadCheckpointOptions } from './checkpoints/load.js';
export { serializeSafetensors, saveSafetensors, type TensorSource } from './checkpoints/safetensors-write.js';
export type { InflateRaw } from './checkpoints/zip.js';
export { decodeImage, detectImageFormat, DEFAULT_MAX_PIXELS, type DecodedImage, type DecodeOptions } from './images/image-decode.js';
export { encodePng, type EncodePngOptions } from './images/image-encode.js';
export { readImage, writeImage, imageToTensor, tensorToImage, convertChannels, type ReadImageOptions } from './images/image-io.js';
export {
  Vgg,
  VggWeightsError,
  vgg16,
  vgg19,
  loadVgg,
  vggFromStateDict,
  randomVgg,
  vggLayers,
  vggStateDictShapes,
  VGG_CONFIGS,
  IMAGENET_MEAN,
  IMAGENET_STD,
  type VggArch,
  type VggConfig,
  type VggLayer,
  type VggOptions,
  type VggCommonOptions,
  type RandomVggOptions,
  type VggWeightsSource,
} from './networks/vgg.js';
export {
  findVggWeights,
  findLpipsWeights,
  torchHubCheckpointDirs,
  sitePackagesDirs,
  WeightsNotFoundError,
  VGG_WEIGHT_FILES,
  VGG_WEIGHT_URLS,
  type DiscoveryEnv,
  type LpipsNet,
  type LpipsVersion,
} from './networks/weights.js';
export {
  LpipsHeads,
  LpipsWeightsError,
  loadLpipsHeads,
  lpipsHeadsFromTensors,
  randomLpipsHeads,
  LPIPS_CHANNELS,
  LPIPS_VGG_TAPS,
  LPIPS_ALEX_TAPS,
  LPIPS_SQUEEZE_TAPS,
  LPIPS_TAPS,
  type LoadLpipsHeadsOptions,
} from './networks/lpips.js';
export {
  TorchvisionFeatures,
  BackboneWeightsError,
  netStateDictShapes,
  type NetLayer,
  type ConvSpec,
  type BackboneOptions,
  type BackboneWeightsSource,
} from './networks/torchvision-features.js';
export { AlexNet, alexnet, alexnetFromStateDict, randomAlexNet, alexnetLayers, ALEXNET_CHANNELS, type AlexNetOptions } from './networks/alexnet.js';
export {
  SqueezeNet,
  squeezenet1_1,
  squeezenetFromStateDict,
  randomSqueezeNet,
  squeezenetLayers,
  SQUEEZENET1_1_WIDTHS,
  type SqueezeWidths,
  type SqueezeNetOptions,
} from './networks/squeezenet.js';
export { findTorchvisionWeights, TORCHVISION_WEIGHT_FILES, TORCHVISION_WEIGHT_URLS } from './networks/weights.js';
export { StateDictMismatchError, FrozenNetwork, type MisshapedKey } from './networks/backbone-common.js';
export { findInceptionWeights, INCEPTION_WEIGHT_FILES, INCEPTION_WEIGHT_URLS } from './networks/weights.js';
export {
  InceptionV3,
  inceptionV3,
  inceptionFromStateDict,
  inceptionStateDictShapes,
  InceptionWeightsError,
  INCEPTION_TAPS,
  INCEPTION_CLASSES,
  type InceptionVariant,
  type InceptionTap,
  type InceptionOptions,
  type InceptionWeightsSource,
} from './networks/inception.js';
export {
  inceptionPreprocess,
  resample,
  resampleMatrix,
  INCEPTION_PREPROCESS,
  type InceptionPreprocess,
  type ResampleKernel,
} from './networks/inception-preprocess.js';
export { parseNpy, serializeNpy, type NpyArray, type NpyDtype } from './checkpoints/npy.js';
export { parseNpz, readNpz, readNpzMember, serializeNpz, writeNpz, type NpzReadOptions, type DeflateRaw } from './checkpoints/npz.js';
