/**
 * `pixgrad stylize CONTENT STYLE -o OUT.png`: neural style transfer by image optimisation (Gatys,
 * Ecker and Bethge, "Image Style Transfer Using Convolutional Neural Networks", CVPR 2016). The
 * image starts as the content image and Adam minimises
 *   L = alpha * L_content + beta * L_style
 * (`contentStyleLoss` of @pixgrad/losses: relu4_2 content, Gram matrices at relu1_1 ... relu5_1
 * against the style image's, precomputed once with `styleTargets`) on a frozen VGG19 or VGG16.
 */
import { Adam, type Tensor, isGradEnabled, tidy } from '@pixgrad/core';
import { GATYS_CONTENT_LAYER, GATYS_STYLE_LAYERS, contentStyleLoss, styleTargets } from '@pixgrad/losses';
import {
  type Vgg,
  type VggConfig,
  VGG_CONFIGS,
  VGG_WEIGHT_FILES,
  VGG_WEIGHT_URLS,
  WeightsNotFoundError,
  findVggWeights,
  isRawTensor,
  isSkippedTensor,
  loadVgg,
  readCheckpointRaw,
  writeImage,
} from '@pixgrad/models';
import type { Io } from './compare.js';
import { loadImage } from './files.js';
import { InputError, fitImage } from './image.js';
import { Progress } from './progress.js';

export interface StylizeOptions {
  content: string;
  style: string;
  /** the result, a .png file */
  out: string;
  /** a VGG19 or VGG16 checkpoint in torchvision's layout; default: torchvision's files in the torch hub cache (VGG19 first) */
  vggWeights?: string | undefined;
  /** Adam steps (default 200) */
  steps?: number;
  /** the longer side of the result in pixels (default 256); the style image is scaled to the same longer side */
  size?: number;
  /** alpha (default 1) */
  contentWeight?: number;
  /** beta (default 1e6) */
  styleWeight?: number;
  /** Adam's learning rate on pixel values in [0, 1] (default 0.02) */
  lr?: number;
  device?: string;
}

export const STYLIZE_DEFAULTS = { steps: 200, size: 256, contentWeight: 1, styleWeight: 1e6, lr: 0.02 } as const;

/** Loss after each step (the value at the image the step started from). */
export interface StylizeResult {
  image: Tensor;
  losses: number[];
}

/**
 * Gatys et al.'s optimisation: Adam on the pixels, starting from `content` ([1, 3, H, W] in
 * [0, 1]); `style` may have another size. Returns the final image (clamped to [0, 1]) and the
 * loss at each step. `onStep(i, loss)` is called after step i (1-based).
 * @example const { image } = await stylize(content, style, await vgg19(), { steps: 100 });
 */
export async function stylize(
  content: Tensor,
  style: Tensor,
  net: Vgg,
  opts: { steps?: number; contentWeight?: number; styleWeight?: number; lr?: number; onStep?: (step: number, loss: number) => void } = {},
): Promise<StylizeResult> {
  const steps = opts.steps ?? STYLIZE_DEFAULTS.steps;
  const alpha = opts.contentWeight ?? STYLIZE_DEFAULTS.contentWeight;
  const beta = opts.styleWeight ?? STYLIZE_DEFAULTS.styleWeight;
  if (!isGradEnabled()) throw new Error('stylize: gradients are disabled (called inside noGrad)');
  const targets = styleTargets(net, style, [...GATYS_STYLE_LAYERS]);
  const x = tidy(() => content.detach().clone()).requiresGrad_();
  const opt = new Adam([x], { lr: opts.lr ?? STYLIZE_DEFAULTS.lr });
  const losses: number[] = [];
  try {
    for (let i = 1; i <= steps; i++) {
      opt.zeroGrad();
      const loss = tidy(() => contentStyleLoss(x, content, targets, { net, alpha, beta, contentLayer: GATYS_CONTENT_LAYER }));
      loss.backward();
      const v = (await loss.data())[0]!;
      loss.dispose();
      if (!Number.isFinite(v)) throw new Error(`stylize: the loss is ${v} at step ${i}; lower --lr or the weights`);
      opt.step();
      losses.push(v);
      opts.onStep?.(i, v);
    }
    return { image: tidy(() => x.detach().clamp(0, 1)), losses };
  } finally {
    opt.dispose();
    x.dispose();
    for (const t of targets.values()) t.dispose();
  }
}

/**
 * The VGG configuration stored in a torchvision-layout checkpoint, read from the shapes of its
 * `features.N.weight` entries without reading any tensor data: consecutive convs are 2 indices
 * apart (conv, ReLU), a max pool between them makes it 3; a final pool closes the last block.
 * VGG16 and VGG19 files give their torchvision configs; narrower VGG-layout files (tests) work too.
 */
export async function vggConfigOf(path: string): Promise<VggConfig> {
  const raw = await readCheckpointRaw(path, { filter: () => false });
  const convs: [number, number][] = [];
  const walk = (v: unknown, name: string) => {
    if (isSkippedTensor(v) || isRawTensor(v)) {
      const m = /^features\.(\d+)\.weight$/.exec(name);
      if (m && v.shape.length === 4) convs.push([Number(m[1]), v.shape[0]!]);
      return;
    }
    if (v instanceof Map) for (const [k, c] of v) walk(c, name ? `${name}.${String(k)}` : String(k));
    else if (Array.isArray(v)) v.forEach((c, i) => walk(c, name ? `${name}.${i}` : String(i)));
  };
  walk(raw.objects, '');
  convs.sort((a, b) => a[0] - b[0]);
  const config: (number | 'M')[] = [];
  let next = 0;
  for (const [index, out] of convs) {
    if (index === next + 1) config.push('M');
    else if (index !== next) break; // not a VGG layout: the strict load below lists what is wrong
    config.push(out);
    next = index + 2;
  }
  if (config.length === 0) return VGG_CONFIGS.vgg16;
  config.push('M');
  return config;
}

function sameConfig(a: VggConfig, b: VggConfig): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Finds and loads the network: the given file (VGG19, VGG16 or a VGG-layout file), or torchvision's VGG19 / VGG16 in the torch hub cache. */
export async function loadStyleNet(vggWeights: string | undefined): Promise<{ net: Vgg; path: string; name: string }> {
  let path = vggWeights;
  if (path === undefined) {
    const tried: string[] = [];
    for (const arch of ['vgg19', 'vgg16'] as const) {
      try {
        path = await findVggWeights(arch);
        break;
      } catch (e) {
        if (!(e instanceof WeightsNotFoundError)) throw e;
        tried.push(...e.searched);
      }
    }
    if (path === undefined) {
      throw new InputError(
        'VGG weights',
        `not found: stylize needs torchvision's VGG19 (${VGG_WEIGHT_FILES.vgg19}, preferred, 548 MB) or VGG16 (${VGG_WEIGHT_FILES.vgg16}, 528 MB) ImageNet weights. Looked in:\n` +
          tried.map((p) => `  ${p}`).join('\n') +
          `\nDownload ${VGG_WEIGHT_URLS.vgg19} (or ${VGG_WEIGHT_URLS.vgg16}) into one of those folders, or pass --vgg-weights PATH.`,
      );
    }
  }
  const config = await vggConfigOf(path);
  const arch = sameConfig(config, VGG_CONFIGS.vgg19) ? 'vgg19' : sameConfig(config, VGG_CONFIGS.vgg16) ? 'vgg16' : undefined;
  const net = await loadVgg(arch ?? config, path);
  const convs = config.filter((v) => v !== 'M').length;
  return { net, path, name: arch ? arch.toUpperCase() : `a VGG-layout network (${convs} convs, ${config.filter((v) => v !== 'M').join('/')} channels)` };
}

function fmtLoss(v: number): string {
  return Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(4) : v.toPrecision(6);
}

/**
 * Runs `pixgrad stylize`. Exit status 0 (the result written), 1 (an input problem: unreadable
 * images, no VGG weights, a file that is not a VGG checkpoint).
 */
export async function runStylize(o: StylizeOptions, io: Io): Promise<number> {
  const steps = o.steps ?? STYLIZE_DEFAULTS.steps;
  const size = o.size ?? STYLIZE_DEFAULTS.size;
  let net: Vgg | undefined;
  const owned: Tensor[] = [];
  try {
    const [c, s] = await Promise.all([loadImage(o.content), loadImage(o.style)]);
    owned.push(c.tensor, s.tensor);
    const loaded = await loadStyleNet(o.vggWeights).catch((e: unknown) => {
      if (e instanceof InputError) throw e;
      throw new InputError(o.vggWeights ?? 'VGG weights', `cannot load: ${e instanceof Error ? e.message : String(e)}`);
    });
    net = loaded.net;
    const content = fitImage(c.tensor, size);
    const style = fitImage(s.tensor, size);
    owned.push(content, style);
    const [H, W] = [content.shape[2]!, content.shape[3]!];
    if (Math.min(H, W) < 16 || Math.min(style.shape[2]!, style.shape[3]!) < 16) {
      throw new InputError(
        Math.min(H, W) < 16 ? o.content : o.style,
        `too small after scaling to --size ${size}: relu5_1 needs at least 16x16 pixels (content ${W}x${H}, style ${style.shape[3]}x${style.shape[2]})`,
      );
    }
    const alpha = o.contentWeight ?? STYLIZE_DEFAULTS.contentWeight;
    const beta = o.styleWeight ?? STYLIZE_DEFAULTS.styleWeight;
    const lr = o.lr ?? STYLIZE_DEFAULTS.lr;
    io.out(`content ${o.content} (${c.width}x${c.height}) -> ${W}x${H}; style ${o.style} (${s.width}x${s.height}) -> ${style.shape[3]}x${style.shape[2]}\n`);
    io.out(
      `network: ${loaded.name}, ${loaded.path}; ${steps} Adam steps, lr ${lr}, content weight ${alpha}, style weight ${beta}, device ${o.device ?? 'cpu'}\n`,
    );
    const progress = io.progress ? new Progress(io.progress, steps) : undefined;
    const every = Math.max(1, Math.ceil(steps / 10));
    const started = Date.now();
    let result: StylizeResult;
    try {
      result = await stylize(content, style, net, {
        steps,
        contentWeight: alpha,
        styleWeight: beta,
        lr,
        onStep: (i, loss) => {
          if (progress) progress.update(i, `loss ${fmtLoss(loss)}`);
          else if (i === 1 || i === steps || i % every === 0) io.out(`step ${String(i).padStart(String(steps).length)}/${steps}  loss ${fmtLoss(loss)}\n`);
        },
      });
    } finally {
      progress?.done();
    }
    owned.push(result.image);
    try {
      await writeImage(o.out, result.image);
    } catch (e) {
      throw new InputError(o.out, `cannot write the result: ${e instanceof Error ? e.message : String(e)}`);
    }
    const first = result.losses[0]!;
    const last = result.losses[result.losses.length - 1]!;
    io.out(`loss ${fmtLoss(first)} -> ${fmtLoss(last)} in ${((Date.now() - started) / 1000).toFixed(1)} s; wrote ${o.out} (${W}x${H})\n`);
    return 0;
  } catch (e) {
    if (e instanceof InputError) {
      io.err(`pixgrad stylize: ${e.message}\n`);
      return 1;
    }
    throw e;
  } finally {
    for (const t of owned) t.dispose();
    net?.dispose();
  }
}
