/**
 * Argument parsing and dispatch for the `pixgrad` command (node:util parseArgs, no dependencies).
 *
 * Exit codes: 0 success; 1 an input problem (missing, unreadable or mismatched images, unpaired
 * files, a device that cannot start) after reporting every good pair; 2 a usage error.
 */
import { VERSION } from './version.js';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type ColormapName, MAP_DEFAULT_MAX, MAP_QUANTITY, type MapKind } from './colormap.js';
import { type CompareOptions, IMAGE_EXTENSIONS, type Io, type MapRequest, runCompare } from './compare.js';
import type { DeepRequest } from './deep.js';
import { runDemo } from './demo.js';
import { FID_DIMS, FID_IMAGE_EXTENSIONS, type FidDims, runFid, runFidMerge } from './fid.js';
import { STYLIZE_DEFAULTS, runStylize } from './stylize.js';
import { INCEPTION_PREPROCESS, type InceptionPreprocess } from '@pixgrad/models';
import { METRICS, type MetricKey, parseMetricList } from './metrics.js';
import { type Device, setDefaultDevice } from '@pixgrad/core';
import { type WebGPUModule, chooseDevice, initWasm } from '@pixgrad/wasm';

export { VERSION };

class UsageError extends Error {}

const MAP_KINDS: Record<string, MapKind> = { ssim: 'ssim', l1: 'l1', deltae: 'deltaE', de: 'deltaE', de2000: 'deltaE' };

export const MAIN_HELP = `pixgrad ${VERSION}: image-quality metrics and differentiable losses in TypeScript

Usage:
  pixgrad compare REF TEST [options]     every weight-free metric of TEST against REF (and LPIPS,
                                         a VGG perceptual distance with --lpips, --perceptual)
  pixgrad demo [options]                 make a synthetic test card and distortions, compare them
  pixgrad stylize CONTENT STYLE -o OUT   neural style transfer (Gatys et al.) with a VGG19/VGG16
  pixgrad fid PATH_A PATH_B [options]    FID (and --kid, --isc, --sfid) of image folders or .npz
                                         statistics, with pytorch-fid's conventions
  pixgrad help [command]                 this text, or a command's
  pixgrad --version

Run 'pixgrad compare --help' for the metrics, output formats and error maps.
`;

function metricHelp(): string {
  const w = Math.max(...METRICS.map((m) => m.key.length));
  return METRICS.map((m) => `  ${m.key.padEnd(w)}  ${m.label}${m.unit ? ` (${m.unit})` : ''}, ${m.better} is better: ${m.describe}`).join('\n');
}

export const COMPARE_HELP = `Usage:
  pixgrad compare REF.png TEST.png [options]   one pair: a table with one row per metric
  pixgrad compare REF_DIR TEST_DIR [options]   folders: files paired by name, a row per pair and the mean
  pixgrad compare REF.png TEST_DIR [options]   one reference against every image in a folder

Images: PNG (1-16 bit, grey, RGB, palette, alpha, interlaced), JPEG and GIF, detected from their
bytes, read as values in [0, 1]. Alpha is dropped (not composited): colour alone is compared.
Both images must have the same size and both be grey or both RGB. Colour metrics are n/a for grey.
In folders only ${IMAGE_EXTENSIONS.join(' ')} files are considered; a.png pairs with a.png, or with a.jpg
when that is the only match.

Metrics (--metrics psnr,ssim,... chooses; all by default):
${metricHelp()}

Options:
  --metrics LIST       comma-separated metric names (above), in table order
  --json               JSON on stdout (infinities as the strings "Infinity"/"-Infinity", n/a as null
                       with the reason under "notes"; folders add "summary" (means) and "errors")
  --csv                CSV on stdout: name,ref,test,width,height,channels,<metrics>,error
                       (inf for infinity, empty for n/a, no summary row)
  --map KIND OUT       write a colour-mapped error map, KIND one of:
                         ssim    ${MAP_QUANTITY.ssim}, scale 0..${MAP_DEFAULT_MAX.ssim}
                         l1      ${MAP_QUANTITY.l1}, scale 0..${MAP_DEFAULT_MAX.l1}
                         deltaE  ${MAP_QUANTITY.deltaE}, scale 0..${MAP_DEFAULT_MAX.deltaE} (RGB only)
                       OUT is a .png file for one pair, a folder (one <name>.png each) otherwise.
                       The PNG has the image's size; 0 is the colormap's first colour, the scale's
                       top (and above) its last.
  --map-max V          top of the map's scale instead of the default above
  --colormap NAME      inferno (default: black -> purple -> orange -> pale yellow) or viridis
                       (dark blue -> green -> yellow); both perceptually uniform (matplotlib)
  --device auto|wasm|webgpu|cpu  where to compute (default auto: WebGPU on a hardware GPU, else
                       wasm SIMD on every core, else cpu; webgpu needs @pixgrad/kernels and an adapter)
  --lpips              add LPIPS (Zhang et al. 2018, VGG16 backbone, v0.1 heads; lower is better;
                       images of at least 16x16)
  --perceptual         add a VGG16 perceptual distance: mean squared feature difference at relu2_2
                       plus at relu4_3, ImageNet-normalised input (lower is better; at least 8x8)
  --vgg-weights PATH   torchvision's VGG16 weights (vgg16-397923af.pth, or a .safetensors export);
                       default: the torch hub cache ($TORCH_HOME/hub/checkpoints,
                       ~/.cache/torch/hub/checkpoints)
  --lpips-weights PATH the LPIPS heads (lpips/weights/v0.1/vgg.pth); default: an installed lpips
                       Python package (pip install lpips)
                       Weights that are not found make those rows n/a: stderr says where it looked
                       and where to download them, and the exit status stays 0.
  -h, --help           this text

A progress bar is drawn on stderr when it is a terminal and there are several pairs.
Exit status: 0 all pairs compared; 1 an input problem (missing, unreadable, different size or
channels, unpaired; the good pairs are still reported); 2 a usage error.

Examples:
  pixgrad compare ref.png out.png
  pixgrad compare ref.png out.png --metrics psnr,ssim --json
  pixgrad compare ref.png out.png --map ssim ssim-map.png
  pixgrad compare refs/ outputs/ --csv > scores.csv
  pixgrad compare ref.png out.png --lpips --perceptual --vgg-weights vgg16-397923af.pth
`;

export const DEMO_HELP = `Usage:
  pixgrad demo [--out DIR] [--size N] [--seed S] [compare options]

Makes a synthetic test card (colour bars, a grey ramp, a hue sweep, a zone plate, fine lines,
text-like glyphs, colour patches; no downloads) and four distortions of it (Gaussian blur
sigma 1, Gaussian noise sigma 0.05, JPEG quality 20, a warm colour shift), writes them to
DIR/card.png and DIR/distorted/, writes SSIM error maps to DIR/maps/, then runs
  pixgrad compare DIR/card.png DIR/distorted --map ssim DIR/maps

Options:
  --out DIR      where to write (default out/demo)
  --size N       card size in pixels, a multiple of 8, >= 64 (default 256; MS-SSIM needs >= 161)
  --seed S       seed of the glyphs (default 1)
  --no-map       skip the error maps
  --metrics, --json, --csv, --map KIND, --map-max, --colormap, --device, --lpips, --perceptual,
  --vgg-weights, --lpips-weights: as pixgrad compare
`;

export const STYLIZE_HELP = `Usage:
  pixgrad stylize CONTENT STYLE -o OUT.png [options]

Neural style transfer by image optimisation (Gatys, Ecker and Bethge, CVPR 2016): starting from
the content image, Adam changes the pixels to minimise
  content weight * L_content + style weight * L_style
with L_content = 1/2 sum (F - P)^2 at relu4_2 and L_style = sum over relu1_1 ... relu5_1 of
1/5 * 1/4 ||G(x) - G(style)||_F^2 (Gram matrices normalised by C*H*W), on a frozen ImageNet VGG19
(or VGG16), inputs ImageNet-normalised. Both images are scaled so their longer side is --size;
grey images become RGB, alpha is dropped. The result is clamped to [0, 1] and written as a PNG.

Options:
  -o, --out PATH          the result (.png; required)
  --vgg-weights PATH      torchvision's vgg19-dcbb9e9d.pth or vgg16-397923af.pth (or a
                          .safetensors export; VGG19/VGG16 told apart from the file); default:
                          the torch hub cache ($TORCH_HOME/hub/checkpoints,
                          ~/.cache/torch/hub/checkpoints), VGG19 first
  --steps N               Adam steps (default ${STYLIZE_DEFAULTS.steps})
  --size S                longer side of the result in pixels (default ${STYLIZE_DEFAULTS.size}, at least 16)
  --content-weight A      alpha (default ${STYLIZE_DEFAULTS.contentWeight})
  --style-weight B        beta (default ${STYLIZE_DEFAULTS.styleWeight}; with torchvision's normalised inputs this is
                          roughly the paper's alpha/beta = 3e-3 with Caffe's 0..255 inputs, 1e7 roughly
                          3e-4); raise it for more style, lower it to keep more content
  --lr R                  Adam learning rate on pixel values in [0, 1] (default ${STYLIZE_DEFAULTS.lr})
  --device auto|wasm|webgpu|cpu  where to compute (default auto; each step is a VGG forward and backward
                          pass, so 256 px on the CPU takes seconds per step)
  -h, --help              this text

A progress bar (step, loss) is drawn on stderr when it is a terminal; otherwise the loss is printed
every tenth of the steps. Exit status: 0 written; 1 an input problem (unreadable image, no VGG
weights: the message lists where it looked and what to download); 2 a usage error.

Examples:
  pixgrad stylize photo.jpg starry-night.jpg -o out.png
  pixgrad stylize photo.png style.png -o out.png --size 384 --steps 300 --style-weight 1e7 --device webgpu
`;

export const FID_HELP = `Usage:
  pixgrad fid PATH_A PATH_B [options]          FID between two folders of images or .npz statistics
  pixgrad fid --isc DIR                        Inception Score of one folder
  pixgrad fid --save-stats DIR OUT.npz         write pytorch-fid-compatible statistics (mu, sigma)
  pixgrad fid DIR --shard I/N -o PART.npz      partial statistics of images I, I+N, I+2N, ... (0 <= I < N)
  pixgrad fid merge PART.npz... -o OUT.npz     combine all N shards into statistics (exact)

The network is Inception-v3 as ported from the 2015-12-05 TensorFlow graph by pytorch-fid
(pt_inception-2015-12-05-6726825d.pth; torch-fidelity's weights-inception-2015-12-05-6726825d.pth
is the same network). Statistics are float64 means and covariances (np.cov, ddof 1) streamed one
batch at a time; the Fréchet distance is computed in float64. A PATH is a folder (the
${FID_IMAGE_EXTENSIONS.join(' ')} files directly in it, sorted; any size; grey becomes RGB, alpha is
dropped) or a .npz with mu and sigma (pytorch-fid's --save-stats files; mu_s/sigma_s for --sfid,
feats for --kid, logits for --isc, as pixgrad writes them).

Options:
  --dims N                  64, 192, 768 or 2048 (default): which pool features (pytorch-fid's blocks)
  --inception-weights FILE  the FID Inception weights; default: the torch hub cache
                            ($TORCH_HOME/hub/checkpoints, ~/.cache/torch/hub/checkpoints)
  --preprocess NAME         how images become 299x299 network input (FID values differ with it):
                              pytorch-fid  PyTorch bilinear on [0, 1], then 2x - 1 (default)
                              tf           TF1 bilinear on [0, 255], (x - 128) / 128 (TTUR, torch-fidelity)
                              clean        Pillow bicubic (antialiased), (x - 128) / 128 (clean-fid)
                            all three leave 299x299 images as they are
  --batch-size N            images per forward pass (default 50)
  --device auto|wasm|webgpu|cpu  where to run the network (default auto)
  --kid                     add KID (polynomial kernel, unbiased MMD^2; torch-fidelity's subsets)
  --kid-subsets N           default 100
  --kid-subset-size N       default 1000; a folder with fewer images is an error, lower this
  --isc                     add the Inception Score of PATH_A (1008 unbiased logits, torch-fidelity's
                            shuffle and splits)
  --isc-splits N            default 10
  --sfid                    add sFID (Mixed_6d.branch1x1 spatial features, 2023-d, as ADM's evaluator)
  --json                    one JSON object: fid, kid, isc, sfid, image counts, dims, preprocessing, weights
  --strict                  stop at the first unreadable image (default: list it, score the rest, exit 1)
  -o, --out FILE            the shard or merged file (--shard, merge)
  -h, --help                this text

Shards scale a dataset past one machine: run 'pixgrad fid DIR --shard I/N -o part-I.npz' for
I = 0..N-1 (same flags for every shard), then 'pixgrad fid merge part-*.npz -o stats.npz'. As a
Kubernetes Indexed Job (completionMode: Indexed, completions: N) each pod runs
  pixgrad fid /data --shard $JOB_COMPLETION_INDEX/N -o /out/part-$JOB_COMPLETION_INDEX.npz
and as a Slurm job array (sbatch --array=0-N-1) each task runs
  pixgrad fid /data --shard $SLURM_ARRAY_TASK_ID/N -o parts/part-$SLURM_ARRAY_TASK_ID.npz
The merged statistics equal one pass over the folder to float64 rounding.

A progress bar with images/s and time left is drawn on stderr when it is a terminal.
Exit status: 0 done; 1 an input problem (unreadable images, after scoring the rest; missing
weights: the message says where it looked and what to download; too few images); 2 a usage error.

Examples:
  pixgrad fid real/ generated/
  pixgrad fid real/ generated/ --kid --isc --sfid --json
  pixgrad fid --save-stats real/ real-stats.npz && pixgrad fid real-stats.npz generated/
`;

const FID_OPTIONS = {
  dims: { type: 'string' },
  'inception-weights': { type: 'string' },
  preprocess: { type: 'string' },
  'batch-size': { type: 'string' },
  device: { type: 'string' },
  json: { type: 'boolean' },
  kid: { type: 'boolean' },
  'kid-subsets': { type: 'string' },
  'kid-subset-size': { type: 'string' },
  isc: { type: 'boolean' },
  'isc-splits': { type: 'string' },
  sfid: { type: 'boolean' },
  strict: { type: 'boolean' },
  'save-stats': { type: 'boolean' },
  shard: { type: 'string' },
  out: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

const STYLIZE_OPTIONS = {
  out: { type: 'string', short: 'o' },
  'vgg-weights': { type: 'string' },
  steps: { type: 'string' },
  size: { type: 'string' },
  'content-weight': { type: 'string' },
  'style-weight': { type: 'string' },
  lr: { type: 'string' },
  device: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

function numberOption(name: string, v: string | undefined, dflt: number, ok: (n: number) => boolean, what: string): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || !ok(n)) throw new UsageError(`--${name} must be ${what}, got '${v}'`);
  return n;
}

const COMPARE_OPTIONS = {
  metrics: { type: 'string' },
  json: { type: 'boolean' },
  csv: { type: 'boolean' },
  map: { type: 'string' },
  'map-max': { type: 'string' },
  colormap: { type: 'string' },
  device: { type: 'string' },
  lpips: { type: 'boolean' },
  perceptual: { type: 'boolean' },
  'vgg-weights': { type: 'string' },
  'lpips-weights': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

const DEMO_OPTIONS = {
  ...COMPARE_OPTIONS,
  out: { type: 'string' },
  size: { type: 'string' },
  seed: { type: 'string' },
  'no-map': { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

function parse<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true, tokens: true });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
  }
}

interface Common {
  metrics?: string | undefined;
  json?: boolean | undefined;
  csv?: boolean | undefined;
  map?: string | undefined;
  'map-max'?: string | undefined;
  colormap?: string | undefined;
  device?: string | undefined;
  lpips?: boolean | undefined;
  perceptual?: boolean | undefined;
  'vgg-weights'?: string | undefined;
  'lpips-weights'?: string | undefined;
}

function commonOptions(v: Common, mapOut: string | undefined): CompareOptions {
  let metrics: MetricKey[] = METRICS.map((m) => m.key);
  if (v.metrics !== undefined) {
    try {
      metrics = parseMetricList(v.metrics);
    } catch (e) {
      throw new UsageError(`--metrics: ${(e as Error).message}`);
    }
  }
  if (v.json && v.csv) throw new UsageError('choose one of --json and --csv');
  const device = parseDevice(v.device);
  let map: MapRequest | undefined;
  if (v.map !== undefined) {
    const kind = MAP_KINDS[v.map.toLowerCase()];
    if (!kind) throw new UsageError(`--map must be ssim, l1 or deltaE, got '${v.map}'`);
    if (mapOut === undefined) throw new UsageError(`--map ${v.map} needs an output path: --map ${v.map} OUT.png`);
    let max: number | undefined;
    if (v['map-max'] !== undefined) {
      max = Number(v['map-max']);
      if (!(max > 0) || !Number.isFinite(max)) throw new UsageError(`--map-max must be a positive number, got '${v['map-max']}'`);
    }
    const colormap = (v.colormap ?? 'inferno') as ColormapName;
    if (colormap !== 'inferno' && colormap !== 'viridis') throw new UsageError(`--colormap must be inferno or viridis, got '${v.colormap}'`);
    map = { kind, out: mapOut, max, colormap };
  } else if (v['map-max'] !== undefined || v.colormap !== undefined) {
    throw new UsageError('--map-max and --colormap apply to --map');
  }
  if (v['lpips-weights'] !== undefined && !v.lpips) throw new UsageError('--lpips-weights applies to --lpips');
  if (v['vgg-weights'] !== undefined && !v.lpips && !v.perceptual) throw new UsageError('--vgg-weights applies to --lpips and --perceptual');
  const deep: DeepRequest | undefined =
    v.lpips || v.perceptual
      ? { lpips: v.lpips ?? false, perceptual: v.perceptual ?? false, lpipsWeights: v['lpips-weights'], vggWeights: v['vgg-weights'] }
      : undefined;
  return { metrics, format: v.json ? 'json' : v.csv ? 'csv' : 'table', map, device, deep };
}

/** The positional right after `--map KIND` (the map's output), removed from the positionals. */
function takeMapOut(
  tokens: readonly { kind: string; index: number; name?: string; value?: string | undefined; inlineValue?: boolean | undefined }[],
  positionals: string[],
): [string | undefined, string[]] {
  const mapTok = tokens.find((t) => t.kind === 'option' && t.name === 'map');
  if (!mapTok) return [undefined, positionals];
  const nextIndex = mapTok.index + (mapTok.inlineValue ? 1 : 2);
  const next = tokens.find((t) => t.kind === 'positional' && t.index === nextIndex);
  if (next?.value !== undefined) {
    const i = positionals.indexOf(next.value);
    return [next.value, positionals.filter((_, j) => j !== i)];
  }
  if (positionals.length === 3) return [positionals[2], positionals.slice(0, 2)];
  return [undefined, positionals];
}

const DEVICES = ['auto', 'cpu', 'wasm', 'webgpu'] as const;
type DeviceOption = (typeof DEVICES)[number];

function parseDevice(v: string | undefined): DeviceOption {
  const d = v ?? 'auto';
  if (!(DEVICES as readonly string[]).includes(d)) throw new UsageError(`--device must be ${DEVICES.join(', ')}, got '${d}'`);
  return d as DeviceOption;
}

/**
 * Starts the device the command computes on. `auto` takes WebGPU on a hardware adapter, else the
 * wasm device, else the CPU backend (chooseDevice). The output names the device; on a terminal
 * stderr also says why it was chosen (a script's stderr stays quiet).
 */
async function useDevice(option: string, io: Io): Promise<Device | undefined> {
  const device = parseDevice(option);
  if (device === 'cpu') {
    setDefaultDevice('cpu');
    return 'cpu';
  }
  if (device === 'auto') {
    const choice = await chooseDevice({ webgpu: loadKernels });
    if (io.progress) io.err(`pixgrad: computing on ${choice.device} (${choice.reason}); --device picks another\n`);
    return choice.device;
  }
  if (device === 'wasm') {
    try {
      await initWasm();
      return 'wasm';
    } catch (e) {
      io.err(`pixgrad: --device wasm: ${(e as Error).message}\n`);
      return undefined;
    }
  }
  let kernels: WebGPUModule;
  try {
    kernels = await loadKernels();
  } catch {
    io.err(
      'pixgrad: --device webgpu needs the WebGPU backend, which is not installed: run `npm install @pixgrad/kernels webgpu` (or use --device wasm or cpu)\n',
    );
    return undefined;
  }
  try {
    await kernels.init('webgpu');
    return 'webgpu';
  } catch (e) {
    io.err(`pixgrad: --device webgpu: ${(e as Error).message}\n`);
    return undefined;
  }
}

/** @pixgrad/kernels, an optional peer dependency (loaded only when WebGPU is asked for or probed) */
const loadKernels = (): Promise<WebGPUModule> => import('@pixgrad/kernels');

/** Runs the command line `args` (without `node` and the script). Returns the exit code. */
export async function runCli(args: string[], io: Io): Promise<number> {
  try {
    const [cmd, ...rest] = args;
    if (cmd === undefined || cmd === '-h' || cmd === '--help') {
      io.out(MAIN_HELP);
      return cmd === undefined ? 2 : 0;
    }
    if (cmd === '--version' || cmd === '-v') {
      io.out(`${VERSION}\n`);
      return 0;
    }
    if (cmd === 'help') {
      const topic = rest[0];
      io.out(topic === 'compare' ? COMPARE_HELP : topic === 'demo' ? DEMO_HELP : topic === 'stylize' ? STYLIZE_HELP : topic === 'fid' ? FID_HELP : MAIN_HELP);
      return 0;
    }
    if (cmd === 'compare') {
      const { values, positionals, tokens } = parse(rest, COMPARE_OPTIONS);
      if (values.help) {
        io.out(COMPARE_HELP);
        return 0;
      }
      const [mapOut, pos] = takeMapOut(tokens, positionals);
      const opts = commonOptions(values, mapOut);
      if (pos.length !== 2) {
        throw new UsageError(
          `compare takes REF and TEST (files or folders)${opts.map ? ' and the --map output' : ''}; got ${pos.length} path${pos.length === 1 ? '' : 's'}${pos.length ? `: ${pos.join(' ')}` : ''}`,
        );
      }
      const device = await useDevice(opts.device, io);
      if (!device) return 1;
      return await runCompare(pos[0]!, pos[1]!, { ...opts, device }, io);
    }
    if (cmd === 'demo') {
      const { values, positionals, tokens } = parse(rest, DEMO_OPTIONS);
      if (values.help) {
        io.out(DEMO_HELP);
        return 0;
      }
      const [mapOut, pos] = takeMapOut(tokens, positionals);
      if (pos.length) throw new UsageError(`demo takes no paths (use --out DIR); got ${pos.join(' ')}`);
      const out = values.out ?? 'out/demo';
      const size = values.size === undefined ? 256 : Number(values.size);
      if (!Number.isInteger(size) || size < 64 || size % 8 !== 0) throw new UsageError(`--size must be a multiple of 8, >= 64; got '${values.size}'`);
      const seed = values.seed === undefined ? 1 : Number(values.seed);
      if (!Number.isInteger(seed)) throw new UsageError(`--seed must be an integer, got '${values.seed}'`);
      const withMap = values.map !== undefined ? values : values['no-map'] ? values : { ...values, map: 'ssim' };
      const opts = commonOptions(withMap, mapOut ?? `${out}/maps`);
      const device = await useDevice(opts.device, io);
      if (!device) return 1;
      return await runDemo({ ...opts, device, out, size, seed }, io);
    }
    if (cmd === 'stylize') {
      const { values, positionals } = parse(rest, STYLIZE_OPTIONS);
      if (values.help) {
        io.out(STYLIZE_HELP);
        return 0;
      }
      if (positionals.length !== 2)
        throw new UsageError(`stylize takes CONTENT and STYLE images; got ${positionals.length}${positionals.length ? `: ${positionals.join(' ')}` : ''}`);
      if (values.out === undefined) throw new UsageError('stylize needs -o OUT.png');
      if (!/\.png$/i.test(values.out)) throw new UsageError(`-o must name a .png file, got '${values.out}'`);
      const device = parseDevice(values.device);
      const opts = {
        content: positionals[0]!,
        style: positionals[1]!,
        out: values.out,
        vggWeights: values['vgg-weights'],
        steps: numberOption('steps', values.steps, STYLIZE_DEFAULTS.steps, (n) => Number.isInteger(n) && n >= 1, 'a positive integer'),
        size: numberOption('size', values.size, STYLIZE_DEFAULTS.size, (n) => Number.isInteger(n) && n >= 16, 'an integer >= 16'),
        contentWeight: numberOption('content-weight', values['content-weight'], STYLIZE_DEFAULTS.contentWeight, (n) => n >= 0, 'a number >= 0'),
        styleWeight: numberOption('style-weight', values['style-weight'], STYLIZE_DEFAULTS.styleWeight, (n) => n >= 0, 'a number >= 0'),
        lr: numberOption('lr', values.lr, STYLIZE_DEFAULTS.lr, (n) => n > 0, 'a positive number'),
        device,
      };
      const chosen = await useDevice(device, io);
      if (!chosen) return 1;
      return await runStylize({ ...opts, device: chosen }, io);
    }
    if (cmd === 'fid') return await fidCommand(rest, io);
    throw new UsageError(`unknown command '${cmd}'`);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(
        `pixgrad: ${e.message}\nRun 'pixgrad --help' or 'pixgrad ${args[0] === 'stylize' || args[0] === 'demo' || args[0] === 'fid' ? args[0] : 'compare'} --help'.\n`,
      );
      return 2;
    }
    throw e;
  }
}

async function fidCommand(rest: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(rest, FID_OPTIONS);
  if (values.help) {
    io.out(FID_HELP);
    return 0;
  }
  if (positionals[0] === 'merge') {
    const parts = positionals.slice(1);
    if (parts.length === 0) throw new UsageError('fid merge takes the shard files: pixgrad fid merge PART.npz... -o OUT.npz');
    if (values.out === undefined) throw new UsageError('fid merge needs -o OUT.npz');
    const other = Object.keys(values).filter((k) => k !== 'out');
    if (other.length) throw new UsageError(`fid merge takes only the parts and -o (got --${other.join(', --')}); the shards carry their settings`);
    return runFidMerge(parts, values.out, io);
  }
  const dims = numberOption('dims', values.dims, 2048, (n) => (FID_DIMS as readonly number[]).includes(n), '64, 192, 768 or 2048') as FidDims;
  const preprocess = (values.preprocess ?? 'pytorch-fid') as InceptionPreprocess;
  if (!INCEPTION_PREPROCESS.includes(preprocess)) throw new UsageError(`--preprocess must be ${INCEPTION_PREPROCESS.join(', ')}, got '${values.preprocess}'`);
  const device = parseDevice(values.device);
  const int = (name: string, v: string | undefined, dflt: number, min: number) =>
    numberOption(name, v, dflt, (n) => Number.isInteger(n) && n >= min, `an integer >= ${min}`);
  let shard: { index: number; count: number; out: string } | undefined;
  if (values.shard !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(values.shard);
    if (!m || Number(m[2]) < 1 || Number(m[1]) >= Number(m[2])) throw new UsageError(`--shard must be I/N with 0 <= I < N, got '${values.shard}'`);
    if (values.out === undefined) throw new UsageError('--shard needs -o PART.npz');
    shard = { index: Number(m[1]), count: Number(m[2]), out: values.out };
  } else if (values.out !== undefined) throw new UsageError('-o applies to --shard and fid merge (use --save-stats DIR OUT.npz for statistics)');
  let paths = positionals;
  let saveStats: string | undefined;
  if (values['save-stats']) {
    if (shard) throw new UsageError('choose one of --save-stats and --shard');
    if (positionals.length !== 2) throw new UsageError(`--save-stats takes DIR and OUT.npz; got ${positionals.length} path(s)`);
    if (!/\.npz$/i.test(positionals[1]!)) throw new UsageError(`--save-stats writes a .npz file, got '${positionals[1]}'`);
    paths = [positionals[0]!];
    saveStats = positionals[1]!;
  } else if (shard) {
    if (positionals.length !== 1) throw new UsageError(`--shard takes one folder; got ${positionals.length} path(s)`);
  } else if (!(positionals.length === 2 || (positionals.length === 1 && values.isc && !values.kid && !values.sfid))) {
    throw new UsageError(
      `fid takes PATH_A and PATH_B (or one folder with --isc alone); got ${positionals.length} path(s)${positionals.length ? `: ${positionals.join(' ')}` : ''}`,
    );
  }
  if (!(await useDevice(device, io))) return 1;
  return runFid(
    {
      paths,
      dims,
      weights: values['inception-weights'],
      preprocess,
      batchSize: int('batch-size', values['batch-size'], 50, 1),
      json: values.json ?? false,
      kid: values.kid ?? false,
      isc: values.isc ?? false,
      sfid: values.sfid ?? false,
      strict: values.strict ?? false,
      kidSubsets: int('kid-subsets', values['kid-subsets'], 100, 1),
      kidSubsetSize: int('kid-subset-size', values['kid-subset-size'], 1000, 2),
      iscSplits: int('isc-splits', values['isc-splits'], 10, 1),
      saveStats,
      shard,
    },
    io,
  );
}
