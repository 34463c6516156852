/**
 * @pixgrad/cli: the `pixgrad` command line, and its parts for programmatic use.
 *
 * @example
 * import { runCli } from '@pixgrad/cli';
 * const code = await runCli(['compare', 'ref.png', 'test.png', '--json'], { out: console.log, err: console.error });
 */
export * from './browser.js';
export { runCli, MAIN_HELP, COMPARE_HELP, DEMO_HELP, STYLIZE_HELP } from './cli.js';
export { runStylize, stylize, loadStyleNet, vggConfigOf, STYLIZE_DEFAULTS, type StylizeOptions, type StylizeResult } from './stylize.js';
export { loadDeepModels, disposeDeepModels, type DeepRequest } from './deep.js';
export { runCompare, pairFolders, IMAGE_EXTENSIONS, type CompareOptions, type Io, type MapRequest } from './compare.js';
export { runDemo, writeDemoImages, type DemoOptions } from './demo.js';
export { loadImage, writeColormapPng } from './files.js';
