/**
 * Inception-v3 as the distribution metrics use it (FID, KID, IS, sFID), in two variants:
 *
 * - `fid`: the 2015-12-05 TensorFlow graph as ported by pytorch-fid and torch-fidelity
 *   (`pt_inception-2015-12-05-6726825d.pth`): torchvision's `Inception3(num_classes=1008,
 *   aux_logits=False)` with pytorch-fid's FIDInceptionA/C/E_1 (3x3 average pools that do not count
 *   the padding, `count_include_pad=False`, as TensorFlow) and FIDInceptionE_2 (Mixed_7c pools with
 *   a 3x3 max pool). BatchNorm eps 1e-3. 1008 classes.
 * - `torchvision`: torchvision's `inception_v3` (`inception_v3_google-0cc3c7bd.pth`): average pools
 *   that count the padding, 1000 classes; its `AuxLogits.*` are not used and not read.
 *
 * Every BasicConv2d (conv without bias, BatchNorm in eval mode, ReLU) is folded at load time into
 * one conv with a bias: w' = w * g / sqrt(v + eps), b' = beta - m * g / sqrt(v + eps), in float64.
 * The network runs only as far as the deepest tap asked for. Inputs are what the network itself
 * expects (about [-1, 1]); `inceptionPreprocess` (inception-preprocess.ts) makes them from images.
 * The weights are frozen; gradients flow to the input (for `fidLoss`).
 */
import {
  type Device,
  ShapeError,
  type Tensor,
  ValueError,
  avgPool2d,
  concat,
  conv2d,
  fmtShape,
  keep,
  matmul,
  maxPool2d,
  relu,
  tensor,
  tidy,
} from '@pixgrad/core';
import { FrozenNetwork, StateDictMismatchError, readExpectedRaw, strictCheck } from './backbone-common.js';
import { findInceptionWeights } from './weights.js';

export type InceptionVariant = 'fid' | 'torchvision';

/**
 * What the network can return, with torch-fidelity's names: the global average pools of
 * pytorch-fid's four blocks (`64`, `192`, `768`, `2048`: [N, dims]), the fc output with and without
 * its bias (`logits`, `logits_unbiased`: [N, classes]; IS uses the unbiased 1008), and sFID's
 * `spatial` features: Mixed_6d.branch1x1 after BN+ReLU (TF's `mixed_6/conv:0`), channels 0-6,
 * flattened (h, w, c) with c fastest: [N, 7*H*W] = [N, 2023] at 299x299 (OpenAI's ADM evaluator).
 */
export type InceptionTap = '64' | '192' | '768' | '2048' | 'logits_unbiased' | 'logits' | 'spatial';
export const INCEPTION_TAPS: readonly InceptionTap[] = ['64', '192', '768', '2048', 'logits_unbiased', 'logits', 'spatial'];

/** One BasicConv2d: its state-dict prefix and conv geometry. */
interface Unit {
  name: string;
  inC: number;
  outC: number;
  k: [number, number];
  stride: number;
  pad: [number, number];
}

const u = (name: string, inC: number, outC: number, k: number | [number, number], stride = 1, pad: number | [number, number] = 0): Unit => ({
  name,
  inC,
  outC,
  k: typeof k === 'number' ? [k, k] : k,
  stride,
  pad: typeof pad === 'number' ? [pad, pad] : pad,
});

type BlockKind = 'A' | 'B' | 'C' | 'D' | 'E';
interface Block {
  name: string;
  kind: BlockKind;
  units: Unit[];
}

function blockA(name: string, inC: number, poolFeatures: number): Block {
  return {
    name,
    kind: 'A',
    units: [
      u(`${name}.branch1x1`, inC, 64, 1),
      u(`${name}.branch5x5_1`, inC, 48, 1),
      u(`${name}.branch5x5_2`, 48, 64, 5, 1, 2),
      u(`${name}.branch3x3dbl_1`, inC, 64, 1),
      u(`${name}.branch3x3dbl_2`, 64, 96, 3, 1, 1),
      u(`${name}.branch3x3dbl_3`, 96, 96, 3, 1, 1),
      u(`${name}.branch_pool`, inC, poolFeatures, 1),
    ],
  };
}

function blockC(name: string, c7: number): Block {
  return {
    name,
    kind: 'C',
    units: [
      u(`${name}.branch1x1`, 768, 192, 1),
      u(`${name}.branch7x7_1`, 768, c7, 1),
      u(`${name}.branch7x7_2`, c7, c7, [1, 7], 1, [0, 3]),
      u(`${name}.branch7x7_3`, c7, 192, [7, 1], 1, [3, 0]),
      u(`${name}.branch7x7dbl_1`, 768, c7, 1),
      u(`${name}.branch7x7dbl_2`, c7, c7, [7, 1], 1, [3, 0]),
      u(`${name}.branch7x7dbl_3`, c7, c7, [1, 7], 1, [0, 3]),
      u(`${name}.branch7x7dbl_4`, c7, c7, [7, 1], 1, [3, 0]),
      u(`${name}.branch7x7dbl_5`, c7, 192, [1, 7], 1, [0, 3]),
      u(`${name}.branch_pool`, 768, 192, 1),
    ],
  };
}

function blockE(name: string, inC: number): Block {
  return {
    name,
    kind: 'E',
    units: [
      u(`${name}.branch1x1`, inC, 320, 1),
      u(`${name}.branch3x3_1`, inC, 384, 1),
      u(`${name}.branch3x3_2a`, 384, 384, [1, 3], 1, [0, 1]),
      u(`${name}.branch3x3_2b`, 384, 384, [3, 1], 1, [1, 0]),
      u(`${name}.branch3x3dbl_1`, inC, 448, 1),
      u(`${name}.branch3x3dbl_2`, 448, 384, 3, 1, 1),
      u(`${name}.branch3x3dbl_3a`, 384, 384, [1, 3], 1, [0, 1]),
      u(`${name}.branch3x3dbl_3b`, 384, 384, [3, 1], 1, [1, 0]),
      u(`${name}.branch_pool`, inC, 192, 1),
    ],
  };
}

const STEM: Unit[] = [
  u('Conv2d_1a_3x3', 3, 32, 3, 2),
  u('Conv2d_2a_3x3', 32, 32, 3),
  u('Conv2d_2b_3x3', 32, 64, 3, 1, 1),
  u('Conv2d_3b_1x1', 64, 80, 1),
  u('Conv2d_4a_3x3', 80, 192, 3),
];

const BLOCKS: Block[] = [
  blockA('Mixed_5b', 192, 32),
  blockA('Mixed_5c', 256, 64),
  blockA('Mixed_5d', 288, 64),
  {
    name: 'Mixed_6a',
    kind: 'B',
    units: [
      u('Mixed_6a.branch3x3', 288, 384, 3, 2),
      u('Mixed_6a.branch3x3dbl_1', 288, 64, 1),
      u('Mixed_6a.branch3x3dbl_2', 64, 96, 3, 1, 1),
      u('Mixed_6a.branch3x3dbl_3', 96, 96, 3, 2),
    ],
  },
  blockC('Mixed_6b', 128),
  blockC('Mixed_6c', 160),
  blockC('Mixed_6d', 160),
  blockC('Mixed_6e', 192),
  {
    name: 'Mixed_7a',
    kind: 'D',
    units: [
      u('Mixed_7a.branch3x3_1', 768, 192, 1),
      u('Mixed_7a.branch3x3_2', 192, 320, 3, 2),
      u('Mixed_7a.branch7x7x3_1', 768, 192, 1),
      u('Mixed_7a.branch7x7x3_2', 192, 192, [1, 7], 1, [0, 3]),
      u('Mixed_7a.branch7x7x3_3', 192, 192, [7, 1], 1, [3, 0]),
      u('Mixed_7a.branch7x7x3_4', 192, 192, 3, 2),
    ],
  },
  blockE('Mixed_7b', 1280),
  blockE('Mixed_7c', 2048),
];

const ALL_UNITS: Unit[] = [...STEM, ...BLOCKS.flatMap((b) => b.units)];
const BN_EPS = 1e-3;

/** Classes of each variant's fc. */
export const INCEPTION_CLASSES: Record<InceptionVariant, number> = { fid: 1008, torchvision: 1000 };

/** The state dict each variant expects (pytorch-fid's / torchvision's layout): 94 BasicConv2d x 5 tensors + fc. */
export function inceptionStateDictShapes(variant: InceptionVariant): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const x of ALL_UNITS) {
    m.set(`${x.name}.conv.weight`, [x.outC, x.inC, x.k[0], x.k[1]]);
    for (const p of ['weight', 'bias', 'running_mean', 'running_var']) m.set(`${x.name}.bn.${p}`, [x.outC]);
  }
  m.set('fc.weight', [INCEPTION_CLASSES[variant], 2048]);
  m.set('fc.bias', [INCEPTION_CLASSES[variant]]);
  return m;
}

/** Keys a checkpoint may hold beyond the architecture's: BN's counters and torchvision's auxiliary classifier. */
const ignoredKey = (k: string): boolean => k.endsWith('.num_batches_tracked') || k.startsWith('AuxLogits.');

/** A state dict does not match the Inception-v3 architecture: every missing, unexpected and mis-shaped key. */
export class InceptionWeightsError extends StateDictMismatchError {
  override name = 'InceptionWeightsError';
}

type HostArray = Float32Array | Float64Array;

/** Folds every BasicConv2d's BatchNorm into its conv (float64 on the host); fc stays as stored. */
function foldParams(what: string, get: (k: string) => HostArray): Map<string, { data: Float64Array; shape: number[] }> {
  const out = new Map<string, { data: Float64Array; shape: number[] }>();
  for (const x of ALL_UNITS) {
    const w = get(`${x.name}.conv.weight`);
    const g = get(`${x.name}.bn.weight`);
    const beta = get(`${x.name}.bn.bias`);
    const mean = get(`${x.name}.bn.running_mean`);
    const v = get(`${x.name}.bn.running_var`);
    const per = x.inC * x.k[0] * x.k[1];
    const fw = new Float64Array(w.length);
    const fb = new Float64Array(x.outC);
    for (let o = 0; o < x.outC; o++) {
      if (!(v[o]! + BN_EPS > 0)) throw new ValueError(`${what}: ${x.name}.bn.running_var[${o}] = ${v[o]} makes var + eps not positive`);
      const s = g[o]! / Math.sqrt(v[o]! + BN_EPS);
      for (let i = 0; i < per; i++) fw[o * per + i] = w[o * per + i]! * s;
      fb[o] = beta[o]! - mean[o]! * s;
    }
    out.set(`${x.name}.weight`, { data: fw, shape: [x.outC, x.inC, x.k[0], x.k[1]] });
    out.set(`${x.name}.bias`, { data: fb, shape: [x.outC] });
  }
  for (const k of ['fc.weight', 'fc.bias']) {
    const t = get(k);
    out.set(k, { data: Float64Array.from(t), shape: k === 'fc.bias' ? [t.length] : [t.length / 2048, 2048] });
  }
  return out;
}

export interface InceptionOptions {
  /** 'fid' (default: pytorch-fid's / torch-fidelity's network) or 'torchvision' */
  variant?: InceptionVariant;
  /** dtype of the weights and of the computation (default float32) */
  dtype?: 'float32' | 'float64';
  /** device of the weights (default: core's default device) */
  device?: Device;
}

/** A checkpoint path, its bytes, or tensors by torchvision name. */
export type InceptionWeightsSource = string | Uint8Array | ArrayBuffer | ReadonlyMap<string, Tensor>;

/** The folded weights as kept tensors of `dtype` on `device`. */
function frozenFolded(folded: Map<string, { data: Float64Array; shape: number[] }>, dtype: 'float32' | 'float64', device?: Device): Map<string, Tensor> {
  const params = new Map<string, Tensor>();
  for (const [k, { data, shape }] of folded) {
    const arr = dtype === 'float32' ? Float32Array.from(data) : data;
    params.set(k, keep(tensor(arr, { shape, dtype, ...(device !== undefined ? { device } : {}) })));
  }
  return params;
}

/**
 * The frozen network (a `FrozenNetwork` like the torchvision feature networks; its topology has
 * branches, so it runs its blocks itself): `features(x, taps)` runs it to the deepest tap.
 */
export class InceptionV3 extends FrozenNetwork {
  /** @internal use `inceptionV3` or `inceptionFromStateDict` */
  constructor(
    readonly variant: InceptionVariant,
    folded: Map<string, { data: Float64Array; shape: number[] }>,
    dtype: 'float32' | 'float64',
    device?: Device,
  ) {
    super(frozenFolded(folded, dtype, device));
  }

  /** Classes of the fc (1008 for `fid`, 1000 for `torchvision`). */
  get classes(): number {
    return INCEPTION_CLASSES[this.variant];
  }

  private conv(h: Tensor, x: Unit): Tensor {
    return relu(conv2d(h, this.params.get(`${x.name}.weight`)!, { bias: this.params.get(`${x.name}.bias`)!, stride: x.stride, padding: x.pad }));
  }

  /** The 3x3 stride-1 pool of an A/C/E block's pool branch. */
  private branchPool(h: Tensor, block: Block): Tensor {
    if (this.variant === 'fid' && block.name === 'Mixed_7c') return maxPool2d(h, { kernelSize: 3, stride: 1, padding: 1 });
    return avgPool2d(h, { kernelSize: 3, stride: 1, padding: 1, countIncludePad: this.variant !== 'fid' });
  }

  private block(h: Tensor, b: Block, onSpatial?: (t: Tensor) => void): Tensor {
    const c = (i: number, t: Tensor) => this.conv(t, b.units[i]!);
    switch (b.kind) {
      case 'A':
        return concat([c(0, h), c(2, c(1, h)), c(5, c(4, c(3, h))), c(6, this.branchPool(h, b))], 1);
      case 'B':
        return concat([c(0, h), c(3, c(2, c(1, h))), maxPool2d(h, { kernelSize: 3, stride: 2 })], 1);
      case 'C': {
        const b1 = c(0, h);
        onSpatial?.(b1);
        return concat([b1, c(3, c(2, c(1, h))), c(8, c(7, c(6, c(5, c(4, h))))), c(9, this.branchPool(h, b))], 1);
      }
      case 'D':
        return concat([c(1, c(0, h)), c(5, c(4, c(3, c(2, h)))), maxPool2d(h, { kernelSize: 3, stride: 2 })], 1);
      case 'E': {
        const b3 = c(1, h);
        const bd = c(5, c(4, h));
        return concat([c(0, h), c(2, b3), c(3, b3), c(6, bd), c(7, bd), c(8, this.branchPool(h, b))], 1);
      }
    }
  }

  /**
   * Runs the network on x [N, 3, H, W] (already preprocessed: see `inceptionPreprocess`) and
   * returns the taps asked for, in that order, stopping after the deepest. At least 75x75 for
   * `2048` and the logits (a 299x299 input is what every FID tool feeds). Intermediates are freed.
   * @example const { '2048': pool3 } = Object.fromEntries(net.features(x, ['2048'])); // [N, 2048]
   */
  features(x: Tensor, taps: readonly InceptionTap[]): Map<InceptionTap, Tensor> {
    const op = `inceptionV3(${this.variant}).features`;
    this.checkAlive(op);
    if (taps.length === 0) throw new ValueError(`${op}: no taps requested (choose from ${INCEPTION_TAPS.join(', ')})`);
    for (const t of taps)
      if (!INCEPTION_TAPS.includes(t)) throw new ValueError(`${op}: unknown tap ${JSON.stringify(t)} (choose from ${INCEPTION_TAPS.join(', ')})`);
    if (x.rank !== 4 || x.shape[1] !== 3) throw new ShapeError(`${op}: input must be [N, 3, H, W], got ${fmtShape(x.shape)}`);
    if (x.dtype !== this.dtype) throw new ValueError(`${op}: input is ${x.dtype} but the network is ${this.dtype}`);
    const want = new Set<InceptionTap>(taps);
    const depth = (t: InceptionTap) => ({ '64': 0, '192': 1, spatial: 2, '768': 3, '2048': 4, logits_unbiased: 5, logits: 5 })[t];
    const deepest = Math.max(...taps.map(depth));
    const gap = (t: Tensor) => t.mean([2, 3]);
    return tidy(() => {
      const out = new Map<InceptionTap, Tensor>();
      try {
        let h = this.conv(this.conv(this.conv(x, STEM[0]!), STEM[1]!), STEM[2]!);
        h = maxPool2d(h, { kernelSize: 3, stride: 2 });
        if (want.has('64')) out.set('64', gap(h));
        if (deepest >= 1) {
          h = maxPool2d(this.conv(this.conv(h, STEM[3]!), STEM[4]!), { kernelSize: 3, stride: 2 });
          if (want.has('192')) out.set('192', gap(h));
        }
        if (deepest >= 2) {
          for (const b of BLOCKS.slice(0, 8)) {
            h = this.block(
              h,
              b,
              b.name === 'Mixed_6d' && want.has('spatial')
                ? (s) =>
                    out.set(
                      'spatial',
                      s
                        .slice([null, [0, 7]])
                        .permute([0, 2, 3, 1])
                        .flatten(1),
                    )
                : undefined,
            );
            if (b.name === 'Mixed_6d' && deepest === 2) break;
          }
          if (want.has('768')) out.set('768', gap(h));
        }
        if (deepest >= 4) {
          for (const b of BLOCKS.slice(8)) h = this.block(h, b);
          const pool = gap(h);
          if (want.has('2048')) out.set('2048', pool);
          if (deepest >= 5) {
            const logits = matmul(pool, this.params.get('fc.weight')!.transpose());
            if (want.has('logits_unbiased')) out.set('logits_unbiased', logits);
            if (want.has('logits')) out.set('logits', logits.add(this.params.get('fc.bias')!));
          }
        }
      } catch (e) {
        if (e instanceof ShapeError)
          throw new ShapeError(
            `${op}: the input ${fmtShape(x.shape)} is too small for taps ${taps.join(', ')} (299x299 is the size the network was trained at): ${e.message}`,
          );
        throw e;
      }
      return new Map(taps.map((t) => [t, out.get(t)!] as const));
    });
  }
}

function check(label: string, variant: InceptionVariant, got: ReadonlyMap<string, readonly number[]>, extra: string[] = []): void {
  strictCheck(label, inceptionStateDictShapes(variant), got, InceptionWeightsError, extra);
}

/**
 * The network from tensors by torchvision name (the caller keeps them): checked strictly, BN folded.
 * @example const net = await inceptionFromStateDict(await loadCheckpoint('pt_inception-2015-12-05-6726825d.pth'));
 */
export async function inceptionFromStateDict(tensors: ReadonlyMap<string, Tensor>, opts: InceptionOptions = {}): Promise<InceptionV3> {
  const variant = opts.variant ?? 'fid';
  const got = new Map<string, readonly number[]>();
  for (const [k, t] of tensors) if (!ignoredKey(k)) got.set(k, t.shape);
  check(`inceptionV3(${variant})`, variant, got);
  const host = new Map<string, HostArray>();
  for (const k of inceptionStateDictShapes(variant).keys()) {
    const t = tensors.get(k)!;
    if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new ValueError(`inceptionV3(${variant}): ${k} must be float32 or float64, got ${t.dtype}`);
    host.set(k, (await t.data()) as HostArray);
  }
  return new InceptionV3(
    variant,
    foldParams(`inceptionV3(${variant})`, (k) => host.get(k)!),
    opts.dtype ?? 'float32',
    opts.device,
  );
}

/**
 * Inception-v3 with its released weights: from `weights` (a path, bytes or a Map) or, by default,
 * found in the torch hub cache (`findInceptionWeights`: pytorch-fid's
 * `pt_inception-2015-12-05-6726825d.pth` or torch-fidelity's copy for `fid`,
 * `inception_v3_google-0cc3c7bd.pth` for `torchvision`). Only the architecture's tensors are read;
 * `num_batches_tracked` and `AuxLogits.*` are skipped, anything else is an error, as are missing
 * or mis-shaped keys.
 * @example const net = await inceptionV3(); const f = net.features(inceptionPreprocess(x, 'pytorch-fid'), ['2048']);
 */
export async function inceptionV3(opts: InceptionOptions & { weights?: InceptionWeightsSource } = {}): Promise<InceptionV3> {
  const variant = opts.variant ?? 'fid';
  const src = opts.weights ?? (await findInceptionWeights(variant));
  if (src instanceof Map) return inceptionFromStateDict(src, opts);
  if (!(typeof src === 'string' || src instanceof Uint8Array || src instanceof ArrayBuffer)) {
    throw new ValueError(`inceptionV3: weights must be a path, bytes or a Map of tensors, got ${Object.prototype.toString.call(src)}`);
  }
  const label = typeof src === 'string' ? `inceptionV3(${variant}) ${src}` : `inceptionV3(${variant})`;
  const raw = await readExpectedRaw(label, inceptionStateDictShapes(variant), src, InceptionWeightsError, ignoredKey);
  const folded = foldParams(label, (k) => {
    const t = raw.get(k)!;
    if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new ValueError(`${label}: ${k} must be a float tensor, got ${t.sourceDtype}`);
    return t.data as HostArray;
  });
  raw.clear();
  return new InceptionV3(variant, folded, opts.dtype ?? 'float32', opts.device);
}
