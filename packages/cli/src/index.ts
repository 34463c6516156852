/**
 * @pixgrad/cli: the `pixgrad` command line, and its parts for programmatic use.
 *
 * @example
 * import { runCli } from '@pixgrad/cli';
 * const code = await runCli(['compare', 'ref.png', 'test.png', '--json'], { out: console.log, err: console.error });
 */
export { runCli, MAIN_HELP, COMPARE_HELP, DEMO_HELP, STYLIZE_HELP, VERSION } from './cli.js';
export { runStylize, stylize, fitImage, loadStyleNet, vggConfigOf, STYLIZE_DEFAULTS, type StylizeOptions, type StylizeResult } from './stylize.js';
export { loadDeepModels, computeDeepMetrics, disposeDeepModels, PERCEPTUAL_LAYERS, type DeepRequest, type DeepModels } from './deep.js';
export { runCompare, pairFolders, IMAGE_EXTENSIONS, type CompareOptions, type Io, type MapRequest } from './compare.js';
export { runDemo, writeDemoImages, type DemoOptions } from './demo.js';
export { METRICS, computeMetrics, parseMetricList, metricDef, type MetricKey, type MetricDef, type MetricResult } from './metrics.js';
export { colormap, errorMap, writeColormapPng, MAP_DEFAULT_MAX, type MapKind, type ColormapName } from './colormap.js';
export { loadImage, checkComparable, InputError, type LoadedImage } from './image.js';
export { formatNumber, renderTable, toCsv, summarize, type PairResult } from './format.js';
export {
  makeTestCard, makeDistortions, gaussianBlur, addNoise, colourShift, encodeJpeg, seededRandom, seededNormal,
  type RgbImage, type Distortion,
} from './testcard.js';
