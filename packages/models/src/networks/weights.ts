/**
 * Finding the weights users already have: torchvision's VGG files in the torch hub cache and the
 * LPIPS linear heads inside an installed `lpips` Python package. Nothing is downloaded; when no
 * file is found the error lists every place looked at and what to download. In a browser there is
 * no file system, so nothing is found and the error says what to pass instead.
 */
import { PixgradError } from '@pixgrad/core';
import { host } from '#host';

/** torchvision's file names (the hash suffix is the first 8 hex digits of the file's SHA-256). */
export const VGG_WEIGHT_FILES = { vgg16: 'vgg16-397923af.pth', vgg19: 'vgg19-dcbb9e9d.pth' } as const;

/** Where torchvision downloads them from. */
export const VGG_WEIGHT_URLS = {
  vgg16: 'https://download.pytorch.org/models/vgg16-397923af.pth',
  vgg19: 'https://download.pytorch.org/models/vgg19-dcbb9e9d.pth',
} as const;

/** torchvision's file names and URLs of the other LPIPS backbones (and VGG's, for `findTorchvisionWeights`). */
export const TORCHVISION_WEIGHT_FILES = { ...VGG_WEIGHT_FILES, alexnet: 'alexnet-owt-7be5be79.pth', squeezenet1_1: 'squeezenet1_1-b8a52dc0.pth' } as const;
export const TORCHVISION_WEIGHT_URLS = {
  ...VGG_WEIGHT_URLS,
  alexnet: 'https://download.pytorch.org/models/alexnet-owt-7be5be79.pth',
  squeezenet1_1: 'https://download.pytorch.org/models/squeezenet1_1-b8a52dc0.pth',
} as const;

/** No weights file was found: `searched` lists every path tried, `fileName` what to get. */
export class WeightsNotFoundError extends PixgradError {
  constructor(
    message: string,
    readonly fileName: string,
    readonly searched: string[],
  ) {
    super(message);
    this.name = 'WeightsNotFoundError';
  }
}

/** The environment discovery reads (defaults: `process.env` and the user's home directory); tests pass their own. */
export interface DiscoveryEnv {
  env?: Record<string, string | undefined>;
  home?: string;
}

async function context(d: DiscoveryEnv) {
  const f = host.folders(d.env, d.home);
  const expand = (p: string) => (p.startsWith('~/') || p === '~' ? f.join(f.home, p.slice(1)) : p);
  return { ...f, path: { join: f.join, delimiter: f.delimiter, sep: f.sep }, expand };
}

/**
 * The torch hub checkpoint folders, in the order torch.hub.get_dir() prefers them:
 * `$TORCH_HOME/hub/checkpoints`, `$XDG_CACHE_HOME/torch/hub/checkpoints`,
 * `~/.cache/torch/hub/checkpoints` (duplicates removed).
 */
export async function torchHubCheckpointDirs(d: DiscoveryEnv = {}): Promise<string[]> {
  const { env, home, path, expand } = await context(d);
  const dirs: string[] = [];
  if (env['TORCH_HOME']) dirs.push(path.join(expand(env['TORCH_HOME']), 'hub', 'checkpoints'));
  if (env['XDG_CACHE_HOME']) dirs.push(path.join(expand(env['XDG_CACHE_HOME']), 'torch', 'hub', 'checkpoints'));
  dirs.push(path.join(home, '.cache', 'torch', 'hub', 'checkpoints'));
  return [...new Set(dirs)];
}

/** The first of `tried` that is a file, or a `WeightsNotFoundError`: `head`, every path tried, then `tail`. */
function firstFile(tried: string[], isFile: (p: string) => boolean, fileName: string, head: string, tail: string): string {
  const hit = tried.find(isFile);
  if (hit) return hit;
  throw new WeightsNotFoundError(`${head} Looked in:\n` + tried.map((p) => `  ${p}`).join('\n') + `\n${tail}`, fileName, tried);
}

/** torchvision's file for `arch` in the torch hub cache (see `findTorchvisionWeights`). */
async function findInTorchHub(arch: keyof typeof TORCHVISION_WEIGHT_FILES, d: DiscoveryEnv): Promise<string> {
  const { path, isFile } = await context(d);
  const file = TORCHVISION_WEIGHT_FILES[arch];
  const tried = (await torchHubCheckpointDirs(d)).map((dir) => path.join(dir, file));
  return firstFile(
    tried,
    isFile,
    file,
    `${arch}: no weights given and ${file} is not in the torch hub cache.`,
    `Download ${TORCHVISION_WEIGHT_URLS[arch]} into one of those folders (or run torchvision.models.${arch}(weights='IMAGENET1K_V1') once), ` +
      `or pass { weights: '/path/to/${file}' }.`,
  );
}

/**
 * The path of torchvision's VGG weights (`vgg16-397923af.pth` / `vgg19-dcbb9e9d.pth`) in the
 * torch hub cache, or a `WeightsNotFoundError` listing every folder tried, the file name and its
 * download URL.
 * @example const path = await findVggWeights('vgg16'); // ~/.cache/torch/hub/checkpoints/vgg16-397923af.pth
 */
export function findVggWeights(arch: 'vgg16' | 'vgg19', d: DiscoveryEnv = {}): Promise<string> {
  return findInTorchHub(arch, d);
}

/**
 * The path of torchvision's ImageNet weights for `arch` (`alexnet-owt-7be5be79.pth`,
 * `squeezenet1_1-b8a52dc0.pth`, or the VGG files) in the torch hub cache, or a
 * `WeightsNotFoundError` listing every folder tried, the file name and its download URL.
 * @example const path = await findTorchvisionWeights('alexnet');
 */
export function findTorchvisionWeights(arch: keyof typeof TORCHVISION_WEIGHT_FILES, d: DiscoveryEnv = {}): Promise<string> {
  return findInTorchHub(arch, d);
}

/**
 * Python site-packages folders where an installed `lpips` package may live: `$PYTHONPATH`
 * entries, the active virtualenv/conda env, user installs (`~/.local/lib/python3.*`), the
 * system and Homebrew/framework Pythons, and `/opt/conda`.
 */
export async function sitePackagesDirs(d: DiscoveryEnv = {}): Promise<string[]> {
  const { env, home, path, expand, listDir } = await context(d);
  const out: string[] = [];
  for (const p of (env['PYTHONPATH'] ?? '').split(path.delimiter)) if (p) out.push(expand(p));
  const pythonLibs = (prefix: string, leaf: string[]) => {
    for (const name of listDir(path.join(prefix, 'lib'))
      .filter((n) => /^python3(\.\d+)?$/.test(n))
      .sort()
      .reverse()) {
      for (const l of leaf) out.push(path.join(prefix, 'lib', name, l));
    }
  };
  for (const v of ['VIRTUAL_ENV', 'CONDA_PREFIX']) if (env[v]) pythonLibs(expand(env[v]!), ['site-packages']);
  pythonLibs(path.join(home, '.local'), ['site-packages']);
  pythonLibs('/usr/local', ['site-packages', 'dist-packages']);
  pythonLibs('/usr', ['site-packages']);
  out.push('/usr/lib/python3/dist-packages', '/usr/local/lib/python3/dist-packages');
  pythonLibs('/opt/conda', ['site-packages']);
  pythonLibs('/opt/homebrew', ['site-packages']);
  for (const v of listDir(path.join(home, 'Library', 'Python'))
    .sort()
    .reverse())
    out.push(path.join(home, 'Library', 'Python', v, 'lib', 'python', 'site-packages'));
  return [...new Set(out)];
}

/** The LPIPS backbones whose heads the `lpips` package ships. */
export type LpipsNet = 'vgg' | 'alex' | 'squeeze';
export type LpipsVersion = '0.0' | '0.1';

/**
 * The path of the LPIPS linear-head weights `lpips/weights/v{version}/{net}.pth` in an installed
 * `lpips` Python package (`pip install lpips`), or a `WeightsNotFoundError` listing every path
 * tried. The files are richzhang/PerceptualSimilarity's (BSD-2-Clause).
 * @example const heads = await findLpipsWeights('vgg', '0.1');
 */
export async function findLpipsWeights(net: LpipsNet = 'vgg', version: LpipsVersion = '0.1', d: DiscoveryEnv = {}): Promise<string> {
  const { path, isFile } = await context(d);
  const rel = path.join('lpips', 'weights', `v${version}`, `${net}.pth`);
  const tried = (await sitePackagesDirs(d)).map((dir) => path.join(dir, rel));
  return firstFile(
    tried,
    isFile,
    `${net}.pth`,
    `lpips: no head weights given and no installed lpips package has ${rel.split(path.sep).join('/')}.`,
    `Install it (pip install lpips) or download https://github.com/richzhang/PerceptualSimilarity/raw/master/lpips/weights/v${version}/${net}.pth ` +
      `and pass { weights: '/path/to/${net}.pth' }.`,
  );
}

/** The Inception-v3 files the distribution metrics use, by variant, in the order they are looked for. */
export const INCEPTION_WEIGHT_FILES = {
  fid: ['pt_inception-2015-12-05-6726825d.pth', 'weights-inception-2015-12-05-6726825d.pth'],
  torchvision: ['inception_v3_google-0cc3c7bd.pth'],
} as const;

/** Where pytorch-fid, torch-fidelity and torchvision download them from. */
export const INCEPTION_WEIGHT_URLS = {
  fid: [
    'https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth',
    'https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/weights-inception-2015-12-05-6726825d.pth',
  ],
  torchvision: ['https://download.pytorch.org/models/inception_v3_google-0cc3c7bd.pth'],
} as const;

/**
 * The path of the Inception-v3 weights for `variant` in the torch hub cache: for `fid`,
 * pytorch-fid's `pt_inception-2015-12-05-6726825d.pth` or torch-fidelity's
 * `weights-inception-2015-12-05-6726825d.pth` (the same TF 2015-12-05 graph); for `torchvision`,
 * `inception_v3_google-0cc3c7bd.pth`. Otherwise a `WeightsNotFoundError` listing every path tried,
 * the file name and its download URL.
 * @example const path = await findInceptionWeights('fid');
 */
export async function findInceptionWeights(variant: 'fid' | 'torchvision' = 'fid', d: DiscoveryEnv = {}): Promise<string> {
  const { path, isFile } = await context(d);
  const dirs = await torchHubCheckpointDirs(d);
  const files = INCEPTION_WEIGHT_FILES[variant];
  const tried = files.flatMap((f) => dirs.map((dir) => path.join(dir, f)));
  return firstFile(
    tried,
    isFile,
    files[0],
    `inceptionV3(${variant}): no weights given and ${files.join(' / ')} is not in the torch hub cache.`,
    `Download ${INCEPTION_WEIGHT_URLS[variant][0]} into one of those folders, or pass the file (--inception-weights FILE, { weights: '/path/to/${files[0]}' }).`,
  );
}
