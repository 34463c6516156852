/** Deterministic benchmark inputs, shared by every library so that all compute the same thing. */

/** uniform values in [-1, 1) from a seeded mulberry32 generator */
export function uniform(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let a = seed >>> 0;
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** out[perm-ordered index] = x: a row-major transpose of a dense array of `shape` by `perm` */
export function permute(x: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  const rank = shape.length;
  const strides = new Array<number>(rank);
  for (let d = rank - 1, s = 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d]!;
  }
  const outShape = perm.map((p) => shape[p]!);
  const outStrides = perm.map((p) => strides[p]!);
  const out = new Float32Array(x.length);
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = x[src]!;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      src += outStrides[d]!;
      if (idx[d]! < outShape[d]!) break;
      src -= idx[d]! * outStrides[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

/** NCHW -> NHWC (tfjs's native image layout) */
export const toNhwc = (x: Float32Array, [n, c, h, w]: readonly number[]): Float32Array => permute(x, [n!, c!, h!, w!], [0, 2, 3, 1]);
/** NHWC -> NCHW (pixgrad's layout, the canonical one for output checks) */
export const toNchw = (x: Float32Array, [n, h, w, c]: readonly number[]): Float32Array => permute(x, [n!, h!, w!, c!], [0, 3, 1, 2]);
/** OIHW (PyTorch/pixgrad conv weights) -> HWIO (tfjs conv2d filters) */
export const toHwio = (w: Float32Array, [o, i, kh, kw]: readonly number[]): Float32Array => permute(w, [o!, i!, kh!, kw!], [2, 3, 1, 0]);
/** HWIO -> OIHW */
export const toOihw = (w: Float32Array, [kh, kw, i, o]: readonly number[]): Float32Array => permute(w, [kh!, kw!, i!, o!], [3, 2, 0, 1]);

/** uniform values in [0, 1) */
export const uniform01 = (n: number, seed: number): Float32Array => uniform(n, seed).map((v) => (v + 1) / 2);

/**
 * VGG16's `features` (torchvision's cfg 'D'), as the list of layers in torchvision's Sequential order
 * with the tap names pixgrad's models use (conv1_1, relu1_1, ..., pool5).
 */
export const VGG16_CFG = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'] as const;

export interface VggLayerSpec {
  kind: 'conv' | 'relu' | 'pool';
  /** index in torchvision's `features` Sequential (state-dict key features.<index>.weight) */
  index: number;
  name: string;
  /** conv: [out, in, 3, 3] */
  shape?: [number, number, number, number];
}

export function vgg16Layers(): VggLayerSpec[] {
  const out: VggLayerSpec[] = [];
  let block = 1,
    conv = 1,
    cin = 3,
    index = 0;
  for (const v of VGG16_CFG) {
    if (v === 'M') {
      out.push({ kind: 'pool', index: index++, name: `pool${block}` });
      block++;
      conv = 1;
    } else {
      out.push({ kind: 'conv', index: index++, name: `conv${block}_${conv}`, shape: [v, cin, 3, 3] });
      out.push({ kind: 'relu', index: index++, name: `relu${block}_${conv}` });
      conv++;
      cin = v;
    }
  }
  return out;
}

/**
 * Seeded random VGG16 conv weights (OIHW, He-uniform scaled so activations keep their magnitude
 * through 13 layers) and small biases, by conv layer index. The same arrays feed every library.
 */
export function vgg16Weights(): Map<number, { w: Float32Array; b: Float32Array; shape: [number, number, number, number] }> {
  const m = new Map<number, { w: Float32Array; b: Float32Array; shape: [number, number, number, number] }>();
  let seed = 100;
  for (const l of vgg16Layers()) {
    if (l.kind !== 'conv') continue;
    const [o, i] = l.shape!;
    const scale = Math.sqrt(6 / (i * 9));
    m.set(l.index, { w: uniform(o * i * 9, seed++).map((x) => x * scale), b: uniform(o, seed++).map((x) => x * 0.01), shape: l.shape! });
  }
  return m;
}
