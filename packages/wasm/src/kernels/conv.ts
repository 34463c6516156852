import type { Conv2dParams, View } from '@pixgrad/core';
import type { WasmBackend, WasmBuf } from '../backend.js';
import type { Gemm } from './linalg.js';
import { MR, NR } from './gemm.js';
import { DEPTHWISE_FUNCS, depthwiseModule } from './depthwise.js';
import { copyModule } from './copy.js';
import type { KernelModule } from '../runtime.js';

/**
 * conv2d and its gradients on the wasm device, as GEMMs with no im2col.
 *
 * The input of one (image, group) is laid out once as the stride's s x s phase images of its
 * padded planes (phase (a, b) holds rows a, a+s, ... and columns b, b+s, ...; for stride 1 that is
 * the padded plane). Output pixel (oy, ox) of tap (i, j) then reads phase ((i*dh) mod s,
 * (j*dw) mod s) at (oy + floor(i*dh/s), ox + floor(j*dw/s)): on a grid of Ho rows of the phase
 * width Wq, a tap is the phase image shifted by a constant, so B of the GEMM is that image read in
 * place with one byte offset per tap (gemm.ts's taps), and K is (tap, channel). The grid's
 * columns past Wo are computed and dropped.
 *
 * - forward: y_g [Og, Ho x Wq] = W_g [Og, (tap, Cg)] . phases(x padded)
 * - input gradient: the stride-1 convolution of dy (upsampled by the stride, padded by
 *   (k-1)*d - p) with the flipped, transposed weights
 * - weight gradient: for each tap, dW_tap^T [Cg, Og] = sum over images of the phase image at the
 *   tap's offset [Cg, Ho x Wq] . dy^T [Ho x Wq, Og] (dy on the grid with zeros past Wo), A read in
 *   place (strided), B packed.
 */
export class Conv {
  private readonly dw: KernelModule;
  private readonly copy: KernelModule;
  /**
   * Packed weights by weight buffer and use (buffers never change, and a frozen network's weights
   * are read on every call): freed with the buffer (forget). Packing a 512x512x3x3 weight costs
   * several milliseconds of JavaScript.
   */
  private readonly packed = new Map<WasmBuf, Map<string, number>>();
  constructor(
    private readonly be: WasmBackend,
    private readonly gemm: Gemm,
  ) {
    this.dw = gemm.rt.compile(depthwiseModule(gemm.rt.memoryImport), DEPTHWISE_FUNCS);
    this.copy = gemm.rt.compile(copyModule(gemm.rt.memoryImport), ['copy3']);
  }

  /**
   * A depthwise convolution (one input plane per output channel, plane o / Og) of every image of
   * src laid out by l, into out [N, O, outH, outW]; `weights` is [O, ntaps] floats.
   */
  private depthwise(
    src: View<WasmBuf>,
    l: PhaseLayout,
    k: { kh: number; kw: number; dh: number; dw: number },
    O: number,
    Og: number,
    outH: number,
    outW: number,
    weights: number,
  ): WasmBuf {
    const [N, C, H, W] = src.shape as [number, number, number, number];
    const out = this.be.alloc(N * O * outH * outW, 'float32');
    const layout = l.sh * l.sw * C * l.Hq * l.Wq;
    // the kernel reads exactly the taps' rows and columns: an unpadded stride-1 input is its own layout
    const direct = isPlain(l, H, W);
    const xp = direct ? 0 : this.rt.alloc((layout + l.Wq + k.kw * k.dw + NR) * 4);
    const taps = this.taps(k.kh, k.kw, k.dh, k.dw, l, C);
    const threads = this.rt.threadsFor(O * outH * outW * k.kh * k.kw);
    try {
      for (let n = 0; n < N; n++) {
        if (!direct) this.phases(src.buf.ptr, n, C, 0, C, H, W, l, xp, threads);
        const from = direct ? src.buf.ptr + n * layout * 4 : xp;
        const args = [O, outH, outW, Og, from, l.Hq * l.Wq * 4, l.Wq * 4, taps, k.kh * k.kw, weights, out.ptr + n * O * outH * outW * 4];
        this.rt.run(this.dw, 'dwconv', args, threads);
      }
    } finally {
      if (xp) this.rt.free_(xp);
      this.rt.free_(taps);
    }
    return out;
  }

  private get rt() {
    return this.gemm.rt;
  }

  /**
   * Lays out channels [c0, c0 + C) of image n of x [N, Ctot, H, W] (at byte address x) as phases
   * at dst: the virtual plane is x upsampled by `up` (a value every up-th row and column) and
   * shifted by (top, left), Hp x Wp, split into s x s phases of Hq x Wq each. Stride 1 without
   * upsampling (nearly every convolution) is one copy3 of the rows' runs; the rest gathers in
   * JavaScript.
   */
  private phases(x: number, n: number, Ctot: number, c0: number, C: number, H: number, W: number, l: PhaseLayout, dst: number, threads: number): void {
    const { sh, sw, uh, uw, top, left, Hq, Wq } = l;
    const plane = H * W;
    const src = x + (n * Ctot + c0) * plane * 4;
    // rows i with 0 <= i - top < H, columns j with 0 <= j - left < W
    const [i0, i1] = [Math.max(0, top), Math.min(Hq, H + top)];
    const [j0, j1] = [Math.max(0, left), Math.min(Wq, W + left)];
    if (sh === 1 && sw === 1 && uh === 1 && uw === 1 && i1 > i0 && j1 > j0) {
      // the runs with their left and right padding zeroed by copy3; the rows above and below here
      const out = this.rt.f32(dst, C * Hq * Wq);
      for (let c = 0; c < C; c++) {
        out.fill(0, c * Hq * Wq, (c * Hq + i0) * Wq);
        out.fill(0, (c * Hq + i1) * Wq, (c + 1) * Hq * Wq);
      }
      const from = src + ((i0 - top) * W + (j0 - left)) * 4;
      this.copy3([C, i1 - i0, from, plane * 4, W * 4, dst + (i0 * Wq + j0) * 4, Hq * Wq * 4, Wq * 4, (j1 - j0) * 4, j0 * 4, (Wq - j1) * 4], threads);
      return;
    }
    this.rt.f32(dst, sh * sw * C * Hq * Wq).fill(0);
    if (sh === 1 && sw === 1 && uh === 1 && uw === 1) return; // no input pixel lands in the layout
    const xv = this.rt.f32(src, C * plane);
    const out = this.rt.f32(dst, sh * sw * C * Hq * Wq);
    for (let a = 0; a < sh; a++) {
      for (let b = 0; b < sw; b++) {
        const pbase = (a * sw + b) * C * Hq * Wq;
        for (let c = 0; c < C; c++) {
          const cbase = pbase + c * Hq * Wq;
          for (let i = 0; i < Hq; i++) {
            const vy = i * sh + a - top;
            if (vy < 0 || vy % uh !== 0) continue;
            const y = vy / uh;
            if (y >= H) continue;
            const row = c * plane + y * W;
            const drow = cbase + i * Wq;
            for (let j = 0; j < Wq; j++) {
              const vx = j * sw + b - left;
              if (vx < 0 || vx % uw !== 0) continue;
              const xx = vx / uw;
              if (xx < W) out[drow + j] = xv[row + xx]!;
            }
          }
        }
      }
    }
  }

  /** copy3 (copy.ts) of [P, R, src, srcPlane, srcRow, dst, dstPlane, dstRow, run, before, after], on threads only when it moves megabytes */
  private copy3(args: readonly number[], threads: number): void {
    const bytes = args[0]! * args[1]! * args[8]!;
    this.rt.run(this.copy, 'copy3', args, bytes >= COPY_THREADS_BYTES ? threads : 1);
  }

  /** byte offsets of each tap (i, j) into a phase layout of C channels */
  private taps(kh: number, kw: number, dh: number, dw: number, l: PhaseLayout, C: number): number {
    const t = this.rt.alloc(kh * kw * 4);
    const v = this.rt.i32(t, kh * kw);
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const phase = ((i * dh) % l.sh) * l.sw + ((j * dw) % l.sw);
        v[i * kw + j] = (phase * C * l.Hq * l.Wq + Math.floor((i * dh) / l.sh) * l.Wq + Math.floor((j * dw) / l.sw)) * 4;
      }
    }
    return t;
  }

  /**
   * Packs A [rows, (tap, depth)] for the tap GEMM from the weight buffer w: element (r, t, c) is
   * w[index(r, t, c)]. (Views are made after the allocation: growing a memory that is not shared
   * detaches every earlier view of it.)
   */
  private packTapWeights(key: string, rows: number, ntaps: number, depth: number, w: WasmBuf, index: (r: number, t: number, c: number) => number): number {
    let byUse = this.packed.get(w);
    const have = byUse?.get(key);
    if (have !== undefined) return have;
    if (!byUse) this.packed.set(w, (byUse = new Map()));
    const K = ntaps * depth;
    const strips = Math.ceil(rows / MR);
    const pa = this.rt.alloc(strips * MR * K * 4);
    const a = this.rt.f32(pa, strips * MR * K);
    const wv = this.be.view(w) as Float32Array;
    a.fill(0);
    for (let r = 0; r < rows; r++) {
      const base = (r >> 2) * MR * K + (r & 3);
      for (let t = 0; t < ntaps; t++) for (let c = 0; c < depth; c++) a[base + (t * depth + c) * MR] = wv[index(r, t, c)]!;
    }
    byUse.set(key, pa);
    return pa;
  }

  /** Frees what was packed from a weight buffer (its Backend.dispose). */
  forget(w: WasmBuf): void {
    const byUse = this.packed.get(w);
    if (!byUse) return;
    for (const pa of byUse.values()) this.rt.free_(pa);
    this.packed.delete(w);
  }

  /**
   * The shared path of forward and input gradient: for each image and group, the tap GEMM over
   * the phase layout of `src`'s channels, cropped into `out` [N, groups*rows, outH, outW].
   */
  private tapConv(
    src: View<WasmBuf>,
    groups: number,
    depth: number,
    rows: number,
    l: PhaseLayout,
    k: { kh: number; kw: number; dh: number; dw: number },
    outH: number,
    outW: number,
    weight: (g: number) => number,
  ): WasmBuf {
    const [N, Ctot, H, W] = src.shape as [number, number, number, number];
    const out = this.be.alloc(N * groups * rows * outH * outW, 'float32');
    const ntaps = k.kh * k.kw;
    const layout = l.sh * l.sw * depth * l.Hq * l.Wq;
    const grid = outH * l.Wq;
    // a 1x1 unpadded stride-1 input is its own layout: the GEMM's last strip reads at most 7
    // elements past a plane, within a buffer's read slack
    const direct = isPlain(l, H, W) && k.kh === 1 && k.kw === 1;
    const xp = direct ? 0 : this.rt.alloc((layout + l.Wq + k.kw * k.dw + NR) * 4);
    const cbuf = this.rt.alloc(rows * grid * 4);
    const taps = this.taps(k.kh, k.kw, k.dh, k.dw, l, depth);
    const threads = this.rt.threadsFor(rows * grid * depth * ntaps);
    try {
      for (let g = 0; g < groups; g++) {
        const pa = weight(g);
        for (let n = 0; n < N; n++) {
          if (!direct) this.phases(src.buf.ptr, n, Ctot, g * depth, depth, H, W, l, xp, threads);
          const from = direct ? src.buf.ptr + (n * Ctot + g * depth) * H * W * 4 : xp;
          this.gemm.gemm(
            { M: rows, N: grid, K: depth, pa, wholeK: true, pb: from, bPacked: false, ldb: l.Hq * l.Wq * 4, taps, ntaps, c: cbuf, ldc: grid * 4 },
            threads,
          );
          // the grid's first outW columns of each row into the output
          const dst = out.ptr + (n * groups + g) * rows * outH * outW * 4;
          this.copy3([rows, outH, cbuf, grid * 4, l.Wq * 4, dst, outH * outW * 4, outW * 4, outW * 4, 0, 0], threads);
        }
      }
    } finally {
      if (xp) this.rt.free_(xp);
      this.rt.free_(cbuf);
      this.rt.free_(taps);
    }
    return out;
  }

  /** dW [O, 1, kh, kw] of a depthwise convolution: one dot product per (channel, tap), summed over images */
  private depthwiseWeightGrad(
    x: View<WasmBuf>,
    dy: View<WasmBuf>,
    l: PhaseLayout,
    k: { kh: number; kw: number; dh: number; dw: number },
    Og: number,
    dwOut: WasmBuf,
  ): WasmBuf {
    const [N, C, H, W] = x.shape as [number, number, number, number];
    const [, O, Ho, Wo] = dy.shape as [number, number, number, number];
    const ntaps = k.kh * k.kw;
    const layout = l.sh * l.sw * C * l.Hq * l.Wq;
    const direct = isPlain(l, H, W);
    const xp = direct ? 0 : this.rt.alloc((layout + l.Wq + k.kw * k.dw + NR) * 4);
    const part = this.rt.alloc(O * ntaps * 4);
    const taps = this.taps(k.kh, k.kw, k.dh, k.dw, l, C);
    const threads = this.rt.threadsFor(O * Ho * Wo * ntaps);
    try {
      const total = new Float64Array(O * ntaps);
      for (let n = 0; n < N; n++) {
        if (!direct) this.phases(x.buf.ptr, n, C, 0, C, H, W, l, xp, threads);
        const from = direct ? x.buf.ptr + n * layout * 4 : xp;
        this.rt.run(this.dw, 'dwgrad', [O, Ho, Wo, Og, from, l.Hq * l.Wq * 4, l.Wq * 4, taps, ntaps, dy.buf.ptr + n * O * Ho * Wo * 4, part], threads);
        const pv = this.rt.f32(part, O * ntaps);
        for (let i = 0; i < total.length; i++) total[i]! += pv[i]!;
      }
      (this.be.view(dwOut) as Float32Array).set(total);
    } finally {
      for (const b of [xp, part, taps]) if (b) this.rt.free_(b);
    }
    return dwOut;
  }

  conv2d(x: View<WasmBuf>, w: View<WasmBuf>, p: Conv2dParams): WasmBuf {
    const [, , H, W] = x.shape as [number, number, number, number];
    const [O, Cg, kh, kw] = w.shape as [number, number, number, number];
    const [sh, sw] = p.stride;
    const [ph, pw] = p.padding;
    const [dh, dw] = p.dilation;
    const Ho = Math.floor((H + 2 * ph - dh * (kh - 1) - 1) / sh) + 1;
    const Wo = Math.floor((W + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
    const Og = O / p.groups;
    const l = phaseLayout([sh, sw], [1, 1], ph, pw, H + 2 * ph, W + 2 * pw);
    if (Cg === 1) return this.depthwise(x, l, { kh, kw, dh, dw }, O, Og, Ho, Wo, w.buf.ptr);
    return this.tapConv(x, p.groups, Cg, Og, l, { kh, kw, dh, dw }, Ho, Wo, (g) =>
      this.packTapWeights(`y${g}`, Og, kh * kw, Cg, w.buf, (r, t, c) => (((g * Og + r) * Cg + c) * kh + Math.floor(t / kw)) * kw + (t % kw)),
    );
  }

  conv2dInputGrad(dy: View<WasmBuf>, w: View<WasmBuf>, p: Conv2dParams, hw: readonly [number, number]): WasmBuf {
    const [O, Cg, kh, kw] = w.shape as [number, number, number, number];
    const [H, W] = hw;
    const [dh, dw] = p.dilation;
    const Og = O / p.groups;
    const l = phaseLayout([1, 1], p.stride, (kh - 1) * dh - p.padding[0], (kw - 1) * dw - p.padding[1], H + (kh - 1) * dh, W + (kw - 1) * dw);
    if (Cg === 1 && Og === 1) {
      // each plane its own: the flipped window of each channel
      const ntaps = kh * kw;
      const flipped = this.rt.alloc(O * ntaps * 4);
      const fw = this.rt.f32(flipped, O * ntaps);
      const wv = this.be.view(w.buf) as Float32Array;
      for (let c = 0; c < O; c++) for (let t = 0; t < ntaps; t++) fw[c * ntaps + t] = wv[c * ntaps + ntaps - 1 - t]!;
      try {
        return this.depthwise(dy, l, { kh, kw, dh, dw }, O, 1, H, W, flipped);
      } finally {
        this.rt.free_(flipped);
      }
    }
    // w'[c, o, i, j] = w[o, c, kh-1-i, kw-1-j]
    return this.tapConv(dy, p.groups, Og, Cg, l, { kh, kw, dh, dw }, H, W, (g) =>
      this.packTapWeights(
        `dx${g}`,
        Cg,
        kh * kw,
        Og,
        w.buf,
        (r, t, o) => (((g * Og + o) * Cg + r) * kh + (kh - 1 - Math.floor(t / kw))) * kw + (kw - 1 - (t % kw)),
      ),
    );
  }

  conv2dWeightGrad(x: View<WasmBuf>, dy: View<WasmBuf>, p: Conv2dParams, khw: readonly [number, number]): WasmBuf {
    const [N, C, H, W] = x.shape as [number, number, number, number];
    const [, O, Ho, Wo] = dy.shape as [number, number, number, number];
    const [kh, kw] = khw;
    const [dh, dw] = p.dilation;
    const G = p.groups;
    const Cg = C / G;
    const Og = O / G;
    const ntaps = kh * kw;
    const dwOut = this.be.alloc(O * Cg * ntaps, 'float32');
    const l = phaseLayout(p.stride, [1, 1], p.padding[0], p.padding[1], H + 2 * p.padding[0], W + 2 * p.padding[1]);
    if (Cg === 1) return this.depthwiseWeightGrad(x, dy, l, { kh, kw, dh, dw }, Og, dwOut);
    const layout = l.sh * l.sw * Cg * l.Hq * l.Wq;
    const grid = Ho * l.Wq;
    const xp = this.rt.alloc((layout + l.Wq + kw * dw + NR) * 4);
    const dyq = this.rt.alloc(Og * grid * 4);
    const pb = this.rt.alloc(Math.ceil(Og / NR) * NR * grid * 4);
    const acc = this.rt.alloc(ntaps * Cg * Og * 4);
    const taps = this.taps(kh, kw, dh, dw, l, Cg);
    const threads = this.rt.threadsFor(Cg * Og * grid * ntaps);
    // A's rows run a few elements past the layout at the last taps; those meet dy's zero columns,
    // and 0 times a stale NaN would still be NaN: the slack is zeroed once
    this.rt.f32(xp + layout * 4, l.Wq + kw * dw + NR).fill(0);
    try {
      const tapOffsets = Array.from(this.rt.i32(taps, ntaps));
      for (let g = 0; g < G; g++) {
        for (let n = 0; n < N; n++) {
          this.phases(x.buf.ptr, n, C, g * Cg, Cg, H, W, l, xp, threads);
          // dy of this image and group on the grid, zero past Wo
          // the grid's columns past Wo are zero (copy3 zeroes them after each run)
          const from = dy.buf.ptr + (n * O + g * Og) * Ho * Wo * 4;
          this.copy3([Og, Ho, from, Ho * Wo * 4, Wo * 4, dyq, grid * 4, l.Wq * 4, Wo * 4, 0, (l.Wq - Wo) * 4], threads);
          this.gemm.packB(dyq, grid, Og, 4, grid * 4, pb, threads);
          for (let t = 0; t < ntaps; t++) {
            this.gemm.gemm(
              { M: Cg, N: Og, K: grid, pa: xp + tapOffsets[t]!, lda: l.Hq * l.Wq * 4, pb, bPacked: true, c: acc + t * Cg * Og * 4, ldc: Og * 4, add: n > 0 },
              threads,
            );
          }
        }
        // dW[g*Og + o, c, t] = acc[t][c][o]
        const a = this.rt.f32(acc, ntaps * Cg * Og);
        const out = this.be.view(dwOut) as Float32Array;
        for (let o = 0; o < Og; o++)
          for (let c = 0; c < Cg; c++) for (let t = 0; t < ntaps; t++) out[((g * Og + o) * Cg + c) * ntaps + t] = a[(t * Cg + c) * Og + o]!;
      }
    } finally {
      for (const b of [xp, dyq, pb, acc, taps]) this.rt.free_(b);
    }
    return dwOut;
  }
}

/** below this many bytes a copy runs on one thread (waking the others costs more) */
const COPY_THREADS_BYTES = 4 << 20;

/** How a plane is laid out as phases: the stride, the upsampling, the shift, and each phase's size. */
interface PhaseLayout {
  sh: number;
  sw: number;
  uh: number;
  uw: number;
  top: number;
  left: number;
  Hq: number;
  Wq: number;
}

/** whether a layout is the plane itself: stride 1, no upsampling, no padding */
function isPlain(l: PhaseLayout, H: number, W: number): boolean {
  return l.sh === 1 && l.sw === 1 && l.uh === 1 && l.uw === 1 && l.top === 0 && l.left === 0 && l.Hq === H && l.Wq === W;
}

function phaseLayout([sh, sw]: readonly [number, number], [uh, uw]: readonly [number, number], top: number, left: number, Hp: number, Wp: number): PhaseLayout {
  return { sh, sw, uh, uw, top, left, Hq: Math.ceil(Hp / sh), Wq: Math.ceil(Wp / sw) };
}
