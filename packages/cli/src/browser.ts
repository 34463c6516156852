/**
 * @pixgrad/cli in a browser (the `default` export condition; Node gets index.ts): the parts of
 * `pixgrad compare` that do not touch the file system, so a page computes the same table as the
 * command line: the metrics, their formatting, the error maps and the built-in test card.
 *
 * @example
 * import { computeMetrics, imageFromBytes } from '@pixgrad/cli';
 * const ref = imageFromBytes(new Uint8Array(await refFile.arrayBuffer()), refFile.name);
 */
export { VERSION } from './version.js';
export { METRICS, WEIGHTED_METRICS, computeMetrics, parseMetricList, metricDef, type MetricKey, type MetricDef, type MetricResult } from './metrics.js';
export { colormap, colormapImage, errorMap, MAP_DEFAULT_MAX, MAP_QUANTITY, type MapKind, type ColormapName } from './colormap.js';
export { imageFromBytes, fitImage, checkComparable, describeChannels, InputError, type LoadedImage } from './image.js';
export { formatNumber, renderTable, toCsv, summarize, type PairResult } from './format.js';
export { computeDeepMetrics, PERCEPTUAL_LAYERS, type DeepModels } from './deep.js';
export {
  makeTestCard,
  makeDistortions,
  gaussianBlur,
  addNoise,
  colourShift,
  encodeJpeg,
  seededRandom,
  seededNormal,
  type RgbImage,
  type Distortion,
} from './testcard.js';
