/**
 * The metrics of `pixgrad compare` that need network weights: LPIPS (VGG16 backbone, v0.1 heads)
 * with `--lpips` and a VGG16 perceptual distance with `--perceptual`. The weights are the files
 * users already have: torchvision's `vgg16-397923af.pth` (`--vgg-weights PATH`, or the torch hub
 * cache) and the `lpips` package's `weights/v0.1/vgg.pth` (`--lpips-weights PATH`, or an installed
 * `lpips` Python package). When they are not found the rows are n/a and the command says where it
 * looked and where to get them; the weight-free metrics are reported as usual.
 */
import { ShapeError, type Tensor, tidy } from '@pixgrad/core';
import { LpipsModel, perceptualLoss } from '@pixgrad/losses';
import { type Vgg, VGG_WEIGHT_FILES, VGG_WEIGHT_URLS, WeightsNotFoundError, findLpipsWeights, findVggWeights, loadLpipsHeads, vgg16 } from '@pixgrad/models';
import type { Io } from './compare.js';
import type { MetricResult, WeightedMetricKey } from './metrics.js';

/** What the command line asked for. */
export interface DeepRequest {
  lpips: boolean;
  perceptual: boolean;
  /** LPIPS heads file (`lpips/weights/v0.1/vgg.pth`); default: an installed lpips package */
  lpipsWeights?: string | undefined;
  /** torchvision VGG16 weights; default: `vgg16-397923af.pth` in the torch hub cache */
  vggWeights?: string | undefined;
}

/** The loaded networks, and why a row is n/a when one could not be loaded. */
export interface DeepModels {
  keys: WeightedMetricKey[];
  vgg?: Vgg;
  lpips?: LpipsModel;
  /** key -> the n/a note of a metric whose weights are missing */
  missing: Partial<Record<WeightedMetricKey, string>>;
  /** an explicitly given weights file that could not be loaded (an input problem: exit status 1) */
  problems: string[];
}

/** The perceptual row's taps (VGG16): Johnson et al.'s content layer and a deeper one, weight 1 each. */
export const PERCEPTUAL_LAYERS = ['relu2_2', 'relu4_3'] as const;

/** Where the LPIPS heads are published (richzhang/PerceptualSimilarity, BSD-2-Clause). */
export const LPIPS_HEADS_URL = 'https://github.com/richzhang/PerceptualSimilarity/raw/master/lpips/weights/v0.1/vgg.pth';

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function howToGetVgg(e: WeightsNotFoundError): string {
  return [
    `  VGG16 weights (${VGG_WEIGHT_FILES.vgg16}, torchvision's ImageNet weights, 528 MB) not found. Looked in:`,
    ...e.searched.map((p) => `    ${p}`),
    `  Get them: download ${VGG_WEIGHT_URLS.vgg16} into one of those folders`,
    `  (or run torchvision.models.vgg16(weights='IMAGENET1K_V1') once), or pass --vgg-weights PATH.`,
  ].join('\n');
}

function howToGetHeads(e: WeightsNotFoundError): string {
  return [
    `  LPIPS heads (lpips/weights/v0.1/vgg.pth, 7 KB) not found. Looked in:`,
    ...e.searched.map((p) => `    ${p}`),
    `  Get them: pip install lpips, or download ${LPIPS_HEADS_URL} and pass --lpips-weights PATH.`,
  ].join('\n');
}

/**
 * Finds and loads what `req` needs (the VGG16 once, shared by both rows). Weights that are not
 * found make their rows n/a, with a message on stderr saying where it looked and how to get
 * them; a file given on the command line that cannot be loaded is a problem (exit status 1).
 */
export async function loadDeepModels(req: DeepRequest, io: Io): Promise<DeepModels> {
  const keys: WeightedMetricKey[] = [];
  if (req.lpips) keys.push('lpips');
  if (req.perceptual) keys.push('perceptual');
  const models: DeepModels = { keys, missing: {}, problems: [] };
  if (keys.length === 0) return models;
  const help: string[] = [];
  const what = keys.map((k) => `--${k}`).join(' and ');

  let vggPath: string | undefined = req.vggWeights;
  if (vggPath === undefined) {
    try {
      vggPath = await findVggWeights('vgg16');
    } catch (e) {
      if (!(e instanceof WeightsNotFoundError)) throw e;
      help.push(howToGetVgg(e));
      for (const k of keys) models.missing[k] = `n/a: no VGG16 weights (${VGG_WEIGHT_FILES.vgg16}) found, see stderr`;
    }
  }
  let headsPath: string | undefined = req.lpipsWeights;
  if (req.lpips && headsPath === undefined) {
    try {
      headsPath = await findLpipsWeights('vgg', '0.1');
    } catch (e) {
      if (!(e instanceof WeightsNotFoundError)) throw e;
      help.push(howToGetHeads(e));
      models.missing.lpips = models.missing.lpips ?? 'n/a: no LPIPS heads (lpips/weights/v0.1/vgg.pth) found, see stderr';
    }
  }
  if (help.length) {
    io.err(
      `pixgrad compare: ${what} need${keys.length === 1 ? 's' : ''} network weights that were not found; ${keys.length === 1 ? 'that row is' : 'those rows are'} n/a.\n${help.join('\n')}\n`,
    );
  }

  if (vggPath !== undefined) {
    try {
      models.vgg = await vgg16({ weights: vggPath });
    } catch (e) {
      models.problems.push(`${vggPath}: cannot load VGG16 weights: ${errorMessage(e)}`);
      for (const k of keys) models.missing[k] = `n/a: the VGG16 weights ${vggPath} could not be loaded`;
    }
  }
  if (req.lpips && models.vgg && headsPath !== undefined) {
    try {
      const heads = await loadLpipsHeads(headsPath, { net: 'vgg', version: '0.1' });
      models.lpips = new LpipsModel(models.vgg, heads, '0.1');
    } catch (e) {
      models.problems.push(`${headsPath}: cannot load the LPIPS heads: ${errorMessage(e)}`);
      models.missing.lpips = `n/a: the LPIPS heads ${headsPath} could not be loaded`;
    }
  }
  return models;
}

/**
 * The weighted rows for one pair ([1, C, H, W] in [0, 1], C 1 or 3; grey is repeated to RGB).
 * LPIPS is the reference's `lpips.LPIPS(net='vgg')(ref, test, normalize=True)`; perceptual is
 * `perceptualLoss(test, ref, { layers: relu2_2, relu4_3 })` on the ImageNet-normalised input.
 */
export async function computeDeepMetrics(models: DeepModels, ref: Tensor, test: Tensor): Promise<Partial<Record<WeightedMetricKey, MetricResult>>> {
  const out: Partial<Record<WeightedMetricKey, MetricResult>> = {};
  const [, C, H, W] = ref.shape as [number, number, number, number];
  const grey = C === 1;
  const pending: [WeightedMetricKey, Tensor][] = [];
  try {
    for (const k of models.keys) {
      const missing = models.missing[k];
      if (missing !== undefined) {
        out[k] = { value: null, note: missing };
        continue;
      }
      // LPIPS reads relu5_3 (after 4 poolings), perceptual relu4_3 (after 3)
      const min = k === 'lpips' ? 16 : 8;
      if (Math.min(H, W) < min) {
        out[k] = { value: null, note: `n/a: needs at least ${min}x${min} pixels, image is ${W}x${H}` };
        continue;
      }
      const t = tidy(() => {
        const r = grey ? ref.expand([1, 3, H, W]) : ref;
        const s = grey ? test.expand([1, 3, H, W]) : test;
        if (k === 'lpips') return models.lpips!.forward(r, s, { normalize: true }).reshape([]);
        return perceptualLoss(s, r, { net: models.vgg!, layers: [...PERCEPTUAL_LAYERS] });
      });
      pending.push([k, t]);
    }
    for (const [k, t] of pending) out[k] = { value: (await t.data())[0]!, ...(grey ? { note: 'grey repeated to RGB' } : {}) };
  } catch (e) {
    if (e instanceof ShapeError) throw new Error(`the weighted metrics: ${e.message}`);
    throw e;
  } finally {
    for (const [, t] of pending) t.dispose();
  }
  return out;
}

/** Frees the networks. */
export function disposeDeepModels(models: DeepModels): void {
  if (models.lpips) models.lpips.heads.dispose();
  models.vgg?.dispose();
}
