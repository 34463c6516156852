import type { Conv2dParams, View } from '../../backend.js';
import { allocArray, type DataArray, type DType } from '../../dtype.js';
import { gemm } from './gemm.js';
import { type ConvSimd, loadConvSimd } from './conv-simd.js';

/**
 * conv2d and its two gradients, as PyTorch defines them (cross-correlation, NCHW input, OIHW
 * weights, groups split C and O into equal consecutive blocks):
 *
 *   y[n, o, oy, ox] = sum_{c, i, j} w[o, c, i, j] * x[n, g*Cg + c, oy*sh - ph + i*dh, ox*sw - pw + j*dw]
 *
 * with g = floor(o / Og), Cg = C / groups, Og = O / groups, and x read as 0 outside [0,H) x [0,W).
 *
 * Each (image, group) is one matrix product through im2col: col[(c, i, j), (oy, ox)] holds the
 * input value each tap sees, so y_g = W_g . col (W_g is [Og, Cg*kh*kw], already row-major in OIHW),
 * dcol = W_g^T . dy_g scattered back by col2im gives dx, and dW_g += dy_g . col^T. col is built a
 * band of output rows at a time (at most COL_LIMIT elements), so memory stays bounded at any image
 * size. A 1x1 stride-1 unpadded conv needs no col (x is already the matrix). When every output
 * channel reads one input channel (Cg = 1: depthwise convs, SSIM's Gaussian windows) a direct loop
 * over the taps is used instead: no packing, one output (or input) row at a time in an L1-resident
 * float64 row, so each tap is one pass over a row rather than over the whole plane.
 *
 * Everything accumulates in float64 and rounds once on store.
 */

/** largest im2col band, in elements (8 MiB of float64) */
const COL_LIMIT = 1 << 20;

interface Geometry {
  N: number;
  C: number;
  H: number;
  W: number;
  O: number;
  kh: number;
  kw: number;
  Ho: number;
  Wo: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  dh: number;
  dw: number;
  groups: number;
  Cg: number;
  Og: number;
  /** Cg * kh * kw: the depth of each group's matrix product */
  K: number;
  /** Ho * Wo */
  P: number;
}

function geometry(xShape: readonly number[], wShape: readonly number[], p: Conv2dParams, out?: readonly [number, number]): Geometry {
  const [N, , H, W] = xShape as [number, number, number, number];
  const [O, Cg, kh, kw] = wShape as [number, number, number, number];
  const [sh, sw] = p.stride,
    [ph, pw] = p.padding,
    [dh, dw] = p.dilation;
  const Ho = out ? out[0] : Math.floor((H + 2 * ph - dh * (kh - 1) - 1) / sh) + 1;
  const Wo = out ? out[1] : Math.floor((W + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
  const groups = p.groups;
  return {
    N,
    C: Cg * groups,
    H,
    W,
    O,
    kh,
    kw,
    Ho,
    Wo,
    sh,
    sw,
    ph,
    pw,
    dh,
    dw,
    groups,
    Cg,
    Og: O / groups,
    K: Cg * kh * kw,
    P: Ho * Wo,
  };
}

/**
 * a 1x1 kernel with stride 1 and no padding over an output the size of the input: x's [Cg, H*W]
 * plane is the im2col matrix itself. (The gradients are called with both sizes given: a transposed
 * convolution's output padding makes the input larger than the output, and the plane then is not.)
 */
function isPointwise(g: Geometry): boolean {
  return g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.ph === 0 && g.pw === 0 && g.Ho === g.H && g.Wo === g.W;
}

/** output rows per im2col band */
function bandRows(g: Geometry): number {
  return Math.max(1, Math.floor(COL_LIMIT / Math.max(1, g.K * g.Wo)));
}

/**
 * Walks the output rows in im2col bands (at most COL_LIMIT elements each): `body` gets the first
 * row, the row count, the band's width (rows * Wo) and a K x width scratch matrix for its col.
 */
function forEachBand(g: Geometry, body: (oy0: number, rows: number, width: number, col: Float64Array) => void): void {
  const rowsPer = bandRows(g);
  for (let oy0 = 0; oy0 < g.Ho; oy0 += rowsPer) {
    const rows = Math.min(rowsPer, g.Ho - oy0);
    const width = rows * g.Wo;
    body(oy0, rows, width, scratch(g.K * width));
  }
}

/** [lo, hi): the output columns whose tap at input column offset `off` (= j*dw - pw) lands in [0, W) */
function validRange(off: number, stride: number, size: number, outSize: number): [number, number] {
  const lo = Math.min(outSize, Math.max(0, Math.ceil(-off / stride)));
  const hi = Math.max(lo, Math.min(outSize, Math.floor((size - 1 - off) / stride) + 1));
  return [lo, hi];
}

let colBuf = new Float64Array(0);
function scratch(size: number): Float64Array {
  if (colBuf.length < size) colBuf = new Float64Array(size);
  return colBuf;
}

/** col[(c*kh + i)*kw + j, (oy - oy0)*Wo + ox] = x[xOff + c*H*W + iy*W + ix] for oy in [oy0, oy0+rows) */
function im2col(x: DataArray, xOff: number, g: Geometry, oy0: number, rows: number, col: Float64Array): void {
  const { Cg, H, W, kh, kw, Wo, sh, sw, ph, pw, dh, dw } = g;
  const width = rows * Wo;
  let r = 0;
  for (let c = 0; c < Cg; c++) {
    const plane = xOff + c * H * W;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++, r++) {
        const off = j * dw - pw;
        const [lo, hi] = validRange(off, sw, W, Wo);
        let o = r * width;
        for (let oy = oy0; oy < oy0 + rows; oy++, o += Wo) {
          const iy = oy * sh - ph + i * dh;
          if (iy < 0 || iy >= H) {
            col.fill(0, o, o + Wo);
            continue;
          }
          if (lo > 0) col.fill(0, o, o + lo);
          const src = plane + iy * W + off;
          if (sw === 1) for (let ox = lo; ox < hi; ox++) col[o + ox] = x[src + ox]!;
          else for (let ox = lo; ox < hi; ox++) col[o + ox] = x[src + ox * sw]!;
          if (hi < Wo) col.fill(0, o + hi, o + Wo);
        }
      }
    }
  }
}

/** the adjoint of im2col: dx[dxOff + c*H*W + iy*W + ix] += col[...] over the same band */
function col2im(col: Float64Array, g: Geometry, oy0: number, rows: number, dx: Float64Array, dxOff: number): void {
  const { Cg, H, W, kh, kw, Wo, sh, sw, ph, pw, dh, dw } = g;
  const width = rows * Wo;
  let r = 0;
  for (let c = 0; c < Cg; c++) {
    const plane = dxOff + c * H * W;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++, r++) {
        const off = j * dw - pw;
        const [lo, hi] = validRange(off, sw, W, Wo);
        let o = r * width;
        for (let oy = oy0; oy < oy0 + rows; oy++, o += Wo) {
          const iy = oy * sh - ph + i * dh;
          if (iy < 0 || iy >= H) continue;
          const dst = plane + iy * W + off;
          if (sw === 1) for (let ox = lo; ox < hi; ox++) dx[dst + ox] += col[o + ox]!;
          else for (let ox = lo; ox < hi; ox++) dx[dst + ox * sw] += col[o + ox]!;
        }
      }
    }
  }
}

/**
 * A float64 accumulator for one result of `size` elements per image: the result array itself
 * when it is float64 (written in place), else a zeroed scratch copied out by `flush`.
 */
function accumulator(
  dtype: DType,
  total: number,
  size: number,
): {
  out: DataArray;
  acc: Float64Array;
  base: (n: number) => number;
  flush: (n: number) => void;
} {
  const out = allocArray(dtype, total);
  if (dtype === 'float64') return { out, acc: out as Float64Array, base: (n) => n * size, flush: () => {} };
  const acc = new Float64Array(size);
  return {
    out,
    acc,
    base: () => 0,
    flush: (n) => {
      out.set(acc, n * size);
      acc.fill(0);
    },
  };
}

export function conv2d(x: View<DataArray>, w: View<DataArray>, p: Conv2dParams): DataArray {
  const g = geometry(x.shape, w.shape, p);
  const { N, C, H, W, O, Og, K, P, Wo } = g;
  if (g.Cg === 1) {
    const y = allocArray(x.dtype, N * O * P);
    for (let n = 0; n < N; n++) directForward(x.buf, n * C * H * W, w.buf, g, y, n * O * P);
    return y;
  }
  const { out, acc, base, flush } = accumulator(x.dtype, N * O * P, O * P);
  if (out.length === 0) return out;
  for (let n = 0; n < N; n++) {
    const yOff = base(n);
    for (let gi = 0; gi < g.groups; gi++) {
      const xOff = n * C * H * W + gi * g.Cg * H * W;
      const wOff = gi * Og * K;
      const yg = yOff + gi * Og * P;
      if (isPointwise(g)) {
        gemm(Og, P, K, w.buf, wOff, K, 1, x.buf, xOff, P, 1, acc, yg, P);
        continue;
      }
      forEachBand(g, (oy0, rows, width, col) => {
        im2col(x.buf, xOff, g, oy0, rows, col);
        gemm(Og, width, K, w.buf, wOff, K, 1, col, 0, width, 1, acc, yg + oy0 * Wo, P);
      });
    }
    flush(n);
  }
  return out;
}

export function conv2dInputGrad(dy: View<DataArray>, w: View<DataArray>, p: Conv2dParams, inputHW: readonly [number, number]): DataArray {
  const [N, , Ho, Wo] = dy.shape as [number, number, number, number];
  const g = geometry([N, w.shape[1]! * p.groups, inputHW[0], inputHW[1]], w.shape, p, [Ho, Wo]);
  const { C, H, W, O, Og, K, P } = g;
  if (g.Cg === 1) {
    const dx = allocArray(dy.dtype, N * C * H * W);
    if (P > 0) for (let n = 0; n < N; n++) directInputGrad(dy.buf, n * O * P, w.buf, g, dx, n * C * H * W);
    return dx;
  }
  const { out, acc, base, flush } = accumulator(dy.dtype, N * C * H * W, C * H * W);
  if (out.length === 0 || P === 0) return out;
  for (let n = 0; n < N; n++) {
    const dxOff = base(n);
    for (let gi = 0; gi < g.groups; gi++) {
      const dyOff = n * O * P + gi * Og * P;
      const wOff = gi * Og * K;
      const dxg = dxOff + gi * g.Cg * H * W;
      if (isPointwise(g)) {
        // dx_g [Cg, HW] = W_g^T [Cg, Og] . dy_g [Og, HW]
        gemm(K, P, Og, w.buf, wOff, 1, K, dy.buf, dyOff, P, 1, acc, dxg, P);
        continue;
      }
      forEachBand(g, (oy0, rows, width, col) => {
        col.fill(0, 0, K * width);
        gemm(K, width, Og, w.buf, wOff, 1, K, dy.buf, dyOff + oy0 * Wo, P, 1, col, 0, width);
        col2im(col, g, oy0, rows, acc, dxg);
      });
    }
    flush(n);
  }
  return out;
}

export function conv2dWeightGrad(x: View<DataArray>, dy: View<DataArray>, p: Conv2dParams, kernelHW: readonly [number, number]): DataArray {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [, O, Ho, Wo] = dy.shape as [number, number, number, number];
  const g = geometry(x.shape, [O, C / p.groups, kernelHW[0], kernelHW[1]], p, [Ho, Wo]);
  const { Og, K, P } = g;
  const out = allocArray(x.dtype, O * K);
  if (out.length === 0 || P === 0) return out;
  const acc = x.dtype === 'float64' ? (out as Float64Array) : new Float64Array(O * K);
  if (g.Cg === 1) {
    directWeightGrad(x.buf, dy.buf, g, acc);
  } else {
    for (let n = 0; n < N; n++) {
      for (let gi = 0; gi < g.groups; gi++) {
        const xOff = n * C * H * W + gi * g.Cg * H * W;
        const dyOff = n * O * P + gi * Og * P;
        const dwg = gi * Og * K;
        if (isPointwise(g)) {
          // dW_g [Og, Cg] += dy_g [Og, HW] . x_g^T [HW, Cg]
          gemm(Og, K, P, dy.buf, dyOff, P, 1, x.buf, xOff, 1, P, acc, dwg, K);
          continue;
        }
        forEachBand(g, (oy0, rows, width, col) => {
          im2col(x.buf, xOff, g, oy0, rows, col);
          gemm(Og, K, width, dy.buf, dyOff + oy0 * Wo, P, 1, col, 0, 1, width, acc, dwg, K);
        });
      }
    }
  }
  if (acc !== out) out.set(acc);
  return out;
}

// ---- the direct path for Cg = 1: output channel o reads input channel floor(o / Og) only ----

// The direct path's row accumulation runs in WebAssembly SIMD where the engine has it and the
// width stride is 1 (conv-simd.ts: the same float64 operations in the same order, bit-identical
// results); compiled on the first depthwise convolution, not at import.
let convSimd: ConvSimd | undefined | null = null;
let useConvSimd = true;
function simdRows(g: Geometry): ConvSimd | undefined {
  if (!useConvSimd || g.sw !== 1) return undefined;
  if (convSimd === null) convSimd = loadConvSimd();
  return convSimd;
}

/** @internal tests: run the JS row loops even where WebAssembly SIMD is available (false), or return to it (true). */
export function _useSimdConv(on: boolean): void {
  useConvSimd = on;
}

function directForward(x: DataArray, xOff: number, w: DataArray, g: Geometry, y: DataArray, yOff: number): void {
  const s = simdRows(g);
  if (s) return directForwardSimd(s, x, xOff, w, g, y, yOff);
  const { H, W, O, Og, kh, kw, Ho, Wo, sh, sw, ph, pw, dh, dw, P } = g;
  // one output row at a time, accumulated in an L1-resident float64 row: every tap is one pass
  // over a row instead of over the whole plane (11x less memory traffic for an 11-tap window)
  const acc = rowScratch(Wo);
  for (let o = 0; o < O; o++) {
    const plane = xOff + Math.floor(o / Og) * H * W;
    for (let oy = 0; oy < Ho; oy++) {
      acc.fill(0, 0, Wo);
      for (let i = 0; i < kh; i++) {
        const iy = oy * sh - ph + i * dh;
        if (iy < 0 || iy >= H) continue;
        for (let j = 0; j < kw; j++) {
          const wv = w[(o * kh + i) * kw + j]!;
          const off = j * dw - pw;
          const [lo, hi] = validRange(off, sw, W, Wo);
          const src = plane + iy * W + off;
          if (sw === 1) for (let ox = lo; ox < hi; ox++) acc[ox] += wv * x[src + ox]!;
          else for (let ox = lo; ox < hi; ox++) acc[ox] += wv * x[src + ox * sw]!;
        }
      }
      const dst = yOff + o * P + oy * Wo;
      for (let ox = 0; ox < Wo; ox++) y[dst + ox] = acc[ox]!;
    }
  }
}

function directInputGrad(dy: DataArray, dyOff: number, w: DataArray, g: Geometry, dx: DataArray, dxOff: number): void {
  const s = simdRows(g);
  if (s) return directInputGradSimd(s, dy, dyOff, w, g, dx, dxOff);
  const { H, W, C, Og, kh, kw, Ho, Wo, sh, sw, ph, pw, dh, dw, P } = g;
  // one input row at a time (as directForward): the taps whose output row lands on it add into an
  // L1-resident float64 row
  const acc = rowScratch(W);
  for (let c = 0; c < C; c++) {
    for (let iy = 0; iy < H; iy++) {
      acc.fill(0, 0, W);
      for (let o = c * Og; o < (c + 1) * Og; o++) {
        for (let i = 0; i < kh; i++) {
          const t = iy + ph - i * dh;
          if (t < 0 || t % sh !== 0) continue;
          const oy = t / sh;
          if (oy >= Ho) continue;
          const src = dyOff + o * P + oy * Wo;
          for (let j = 0; j < kw; j++) {
            const wv = w[(o * kh + i) * kw + j]!;
            const off = j * dw - pw;
            const [lo, hi] = validRange(off, sw, W, Wo);
            if (sw === 1) for (let ox = lo; ox < hi; ox++) acc[ox + off] += wv * dy[src + ox]!;
            else for (let ox = lo; ox < hi; ox++) acc[ox * sw + off] += wv * dy[src + ox]!;
          }
        }
      }
      const dst = dxOff + (c * H + iy) * W;
      for (let ix = 0; ix < W; ix++) dx[dst + ix] = acc[ix]!;
    }
  }
}

/**
 * directForward with the planes in the SIMD module's memory: the input plane at 0, the output
 * plane after it; each (output row, tap) is one axpy over the valid columns. Per output element
 * the taps add in the same (i, j) order as the JS loop.
 */
function directForwardSimd(s: ConvSimd, x: DataArray, xOff: number, w: DataArray, g: Geometry, y: DataArray, yOff: number): void {
  const { H, W, O, Og, kh, kw, Ho, Wo, sh, ph, pw, dh, dw, P } = g;
  const out = H * W;
  const mem = s.reserve(out + P);
  for (let o = 0; o < O; o++) {
    const plane = xOff + Math.floor(o / Og) * H * W;
    if (o % Og === 0) mem.set(x.subarray(plane, plane + H * W), 0);
    mem.fill(0, out, out + P);
    for (let oy = 0; oy < Ho; oy++) {
      for (let i = 0; i < kh; i++) {
        const iy = oy * sh - ph + i * dh;
        if (iy < 0 || iy >= H) continue;
        for (let j = 0; j < kw; j++) {
          const off = j * dw - pw;
          const [lo, hi] = validRange(off, 1, W, Wo);
          if (hi > lo) s.axpy(hi - lo, w[(o * kh + i) * kw + j]!, 8 * (iy * W + off + lo), 8 * (out + oy * Wo + lo));
        }
      }
    }
    y.set(mem.subarray(out, out + P), yOff + o * P);
  }
}

/** directInputGrad with the planes in the SIMD module's memory: dy at 0, the dx plane after it (per element: o, then the taps, as the JS loop) */
function directInputGradSimd(s: ConvSimd, dy: DataArray, dyOff: number, w: DataArray, g: Geometry, dx: DataArray, dxOff: number): void {
  const { H, W, C, Og, kh, kw, Ho, Wo, sh, ph, pw, dh, dw, P } = g;
  const out = P;
  const mem = s.reserve(P + H * W);
  for (let c = 0; c < C; c++) {
    mem.fill(0, out, out + H * W);
    for (let o = c * Og; o < (c + 1) * Og; o++) {
      mem.set(dy.subarray(dyOff + o * P, dyOff + (o + 1) * P), 0);
      for (let iy = 0; iy < H; iy++) {
        for (let i = 0; i < kh; i++) {
          const t = iy + ph - i * dh;
          if (t < 0 || t % sh !== 0) continue;
          const oy = t / sh;
          if (oy >= Ho) continue;
          for (let j = 0; j < kw; j++) {
            const off = j * dw - pw;
            const [lo, hi] = validRange(off, 1, W, Wo);
            if (hi > lo) s.axpy(hi - lo, w[(o * kh + i) * kw + j]!, 8 * (oy * Wo + lo), 8 * (out + iy * W + lo + off));
          }
        }
      }
    }
    dx.set(mem.subarray(out, out + H * W), dxOff + c * H * W);
  }
}

let rowBuf = new Float64Array(0);
function rowScratch(size: number): Float64Array {
  if (rowBuf.length < size) rowBuf = new Float64Array(size);
  return rowBuf;
}

function directWeightGrad(x: DataArray, dy: DataArray, g: Geometry, dwAcc: Float64Array): void {
  const { N, C, H, W, O, Og, kh, kw, Ho, Wo, sh, sw, ph, pw, dh, dw, P } = g;
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      const plane = n * C * H * W + Math.floor(o / Og) * H * W;
      const dyo = (n * O + o) * P;
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          const off = j * dw - pw;
          const [lo, hi] = validRange(off, sw, W, Wo);
          let s = 0;
          for (let oy = 0; oy < Ho; oy++) {
            const iy = oy * sh - ph + i * dh;
            if (iy < 0 || iy >= H) continue;
            const src = plane + iy * W + off;
            const d = dyo + oy * Wo;
            if (sw === 1) for (let ox = lo; ox < hi; ox++) s += dy[d + ox]! * x[src + ox]!;
            else for (let ox = lo; ox < hi; ox++) s += dy[d + ox]! * x[src + ox * sw]!;
          }
          dwAcc[(o * kh + i) * kw + j] += s;
        }
      }
    }
  }
}
