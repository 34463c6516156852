import type { Conv2dParams, Shape } from '@pixgrad/core';
import type { DispatchSpec, KernelDescriptor } from '../descriptor.js';
import { BackendError } from '@pixgrad/core';
import { MAX_WORKGROUPS_PER_DIM } from '../descriptor.js';

/** Every size a conv2d kernel needs (all three kernels share it). */
export interface ConvGeometry {
  n: number;
  c: number;
  h: number;
  w: number;
  o: number;
  kh: number;
  kw: number;
  ho: number;
  wo: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  dh: number;
  dw: number;
  groups: number;
  cg: number;
  og: number;
}

/** Geometry from x's and w's shapes; `outHW` overrides the computed output size (gradients pass dy's). */
export function convGeometry(xShape: Shape, wShape: Shape, p: Conv2dParams, op: string, outHW?: readonly [number, number]): ConvGeometry {
  const [n, c, h, w] = xShape as [number, number, number, number];
  const [o, , kh, kw] = wShape as [number, number, number, number];
  const [sh, sw] = p.stride;
  const [ph, pw] = p.padding;
  const [dh, dw] = p.dilation;
  const ho = outHW ? outHW[0] : Math.floor((h + 2 * ph - dh * (kh - 1) - 1) / sh) + 1;
  const wo = outHW ? outHW[1] : Math.floor((w + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
  if (n > MAX_WORKGROUPS_PER_DIM) throw new BackendError(`webgpu ${op}: batch ${n} exceeds ${MAX_WORKGROUPS_PER_DIM}; split the batch`);
  return { n, c, h, w, o, kh, kw, ho: Math.max(ho, 0), wo: Math.max(wo, 0), sh, sw, ph, pw, dh, dw, groups: p.groups, cg: c / p.groups, og: o / p.groups };
}

const CONV_UNIFORMS: KernelDescriptor['uniforms'] = (['c', 'h', 'w', 'o', 'kh', 'kw', 'ho', 'wo', 'sh', 'sw', 'ph', 'pw', 'dh', 'dw', 'cg', 'og'] as const).map(
  (k) => [k, 'u32'] as const,
);

/** shaders/conv2d.wgsl: forward, TO output channels x 4 pixels per invocation. */
export const CONV2D: KernelDescriptor = {
  name: 'conv2d',
  shader: 'conv2d',
  entryPoint: 'main',
  storage: [
    { name: 'x', binding: 0, access: 'read' },
    { name: 'wt', binding: 1, access: 'read' },
    { name: 'out', binding: 2, access: 'read_write' },
  ],
  uniformBinding: 3,
  uniforms: CONV_UNIFORMS,
};

/** shaders/conv2d_input_grad.wgsl: dx gathered per input pixel. */
export const CONV2D_INPUT_GRAD: KernelDescriptor = {
  name: 'conv2dInputGrad',
  shader: 'conv2d_input_grad',
  entryPoint: 'main',
  storage: [
    { name: 'dy', binding: 0, access: 'read' },
    { name: 'wt', binding: 1, access: 'read' },
    { name: 'dx', binding: 2, access: 'read_write' },
  ],
  uniformBinding: 3,
  uniforms: CONV_UNIFORMS,
};

/** shaders/conv2d_weight_grad.wgsl: dw with the reduction split S ways. */
export const CONV2D_WEIGHT_GRAD: KernelDescriptor = {
  name: 'conv2dWeightGrad',
  shader: 'conv2d_weight_grad',
  entryPoint: 'main',
  storage: [
    { name: 'x', binding: 0, access: 'read' },
    { name: 'dy', binding: 1, access: 'read' },
    { name: 'out', binding: 2, access: 'read_write' },
  ],
  uniformBinding: 3,
  uniforms: [...CONV_UNIFORMS, ['n', 'u32'], ['rows', 'u32'], ['pad0', 'u32'], ['pad1', 'u32']],
};

/** src, weight and dst bindings of conv2d_sg.wgsl and conv2d_dw.wgsl */
const CONV_SRC_W_DST: KernelDescriptor['storage'] = [
  { name: 'src', binding: 0, access: 'read' },
  { name: 'wt', binding: 1, access: 'read' },
  { name: 'dst', binding: 2, access: 'read_write' },
];

/**
 * shaders/conv2d_sg.wgsl: forward and input gradient as an implicit GEMM for 8-wide subgroups,
 * an R x 32 (rows x pixels) tile per subgroup.
 */
export const CONV2D_SG: KernelDescriptor = {
  name: 'conv2d',
  shader: 'conv2d_sg',
  entryPoint: 'main',
  storage: [...CONV_SRC_W_DST, { name: 'wt4', binding: 4, access: 'read' }],
  uniformBinding: 3,
  uniforms: (['m', 'kcn', 'npix', 'ow', 'ih', 'iw', 'kh', 'kw', 'sh', 'sw', 'ph', 'pw', 'dh', 'dw', 'rs', 'ks', 'tiles', 'srcc', 'dstc', 'ts'] as const).map(
    (k) => [k, 'u32'] as const,
  ),
};

/**
 * The weight with the GEMM's reduction channel innermost, for conv2d_sg's vec4 weight loads:
 * the permutation of w [O, C/groups, kh, kw] that the backend materialises (`strided`) when
 * {@link conv2dSpec} / {@link conv2dInputGradSpec} ask for it. Forward: [O, kh, kw, C/groups]; input
 * gradient: [groups, C/groups, kh, kw, O/groups].
 */
export interface ChannelsLastWeight {
  shape: number[];
  /** w's strides in the order of `shape` */
  strides: number[];
}

/** The channels-innermost layout of the conv weight for conv2d_sg (forward or input gradient). */
export function channelsLastWeight(g: ConvGeometry, bwd: boolean): ChannelsLastWeight {
  const ksz = g.kh * g.kw;
  return bwd
    ? { shape: [g.groups, g.cg, g.kh, g.kw, g.og], strides: [g.og * g.cg * ksz, ksz, g.kw, 1, g.cg * ksz] }
    : { shape: [g.o, g.kh, g.kw, g.cg], strides: [g.cg * ksz, g.kw, 1, ksz] };
}

/**
 * The conv2d_sg.wgsl dispatch for `rows` rows per group over a dstH x dstW grid, or undefined (see
 * `sgTile`). When the reduction channels come in 4s, `channelsLast` is called for the weight in the
 * {@link channelsLastWeight} layout, read with vec4 loads.
 */
function sgSpec(
  bwd: boolean,
  src: GPUBuffer,
  w: GPUBuffer,
  dst: GPUBuffer,
  g: ConvGeometry,
  rows: number,
  dstH: number,
  dstW: number,
  uniforms: Record<string, number>,
  subgroupSize: number,
  channelsLast?: () => GPUBuffer,
): DispatchSpec | undefined {
  const sg = sgTile(rows, uniforms['kcn']!, dstH * dstW, g.groups, subgroupSize);
  if (!sg) return undefined;
  const kcn = uniforms['kcn']!;
  const w4 = channelsLast && kcn % 4 === 0 ? channelsLast() : undefined;
  const ksz = g.kh * g.kw;
  return {
    kernel: CONV2D_SG,
    defines: { AT: bwd ? 'at_bwd' : 'at_fwd', LOADW: w4 ? 'w_4' : 'w_1', R: sg.r, WG: 8 },
    uniforms: { ...uniforms, tiles: sg.tiles, ...(w4 ? { rs: ksz * kcn, ks: 1, ts: kcn } : { ts: 1 }) },
    buffers: w4 ? [src, w4, dst, w4] : [src, w, dst, w],
    workgroups: [sg.x, sg.tiles * g.groups, g.n],
  };
}

/** shaders/conv2d_weight_grad_sg.wgsl: dw as a GEMM of dy with the on-the-fly im2col of x, 8-wide subgroups. */
export const CONV2D_WEIGHT_GRAD_SG: KernelDescriptor = {
  name: 'conv2dWeightGrad',
  shader: 'conv2d_weight_grad_sg',
  entryPoint: 'main',
  storage: CONV2D_WEIGHT_GRAD.storage,
  uniformBinding: 3,
  uniforms: [...CONV_UNIFORMS, ['n', 'u32'], ['rows', 'u32'], ['tiles', 'u32'], ['pad0', 'u32']],
};

/** shaders/conv2d_dw.wgsl: depthwise forward / stride-1 input grad as a sliding register window (picked on 8-wide-subgroup adapters). */
export const CONV2D_DW: KernelDescriptor = {
  name: 'conv2d',
  shader: 'conv2d_dw',
  entryPoint: 'main',
  storage: CONV_SRC_W_DST,
  uniformBinding: 3,
  uniforms: [
    ['lines', 'u32'],
    ['cross', 'u32'],
    ['in_l', 'u32'],
    ['in_x', 'u32'],
    ['src_l', 'u32'],
    ['src_x', 'u32'],
    ['dst_l', 'u32'],
    ['dst_x', 'u32'],
    ['lp', 'i32'],
    ['xs', 'u32'],
    ['xp', 'i32'],
    ['xd', 'u32'],
    ['xk', 'u32'],
    ['ksz', 'u32'],
    ['wl0', 'i32'],
    ['wl', 'i32'],
    ['wx0', 'i32'],
    ['wx', 'i32'],
    ['dstc', 'u32'],
    ['srcc', 'u32'],
    ['div', 'u32'],
    ['mul', 'u32'],
    ['mcount', 'u32'],
    ['wsel', 'u32'],
    ['lk', 'u32'],
    ['pad0', 'u32'],
    ['pad1', 'u32'],
    ['pad2', 'u32'],
  ] as const,
};

/** A weight gradient's dispatches, and the partial buffer (slices of the reduction) the caller sums, if any. */
export interface WeightGradPlan {
  specs: DispatchSpec[];
  partial?: { buffer: GPUBuffer; parts: number };
}

/** Outputs per invocation of conv2d_dw (a register window of as many inputs). */
const DW_T = 16;

/**
 * The depthwise sliding-window dispatch (conv2d_dw.wgsl), or undefined when it does not apply (no
 * 8-wide subgroups, not depthwise, no axis with stride 1 and dilation 1 to slide along, a grid
 * beyond the limits). `grad` builds the stride-1 input gradient: dst = dx [N, C, H, W] from
 * src = dy [N, O, Ho, Wo] with the flipped kernel and padding (K-1)*d - p.
 */
function depthwiseSpec(src: GPUBuffer, w: GPUBuffer, dst: GPUBuffer, g: ConvGeometry, grad: boolean, subgroupSize: number): DispatchSpec | undefined {
  if (subgroupSize !== 8 || g.cg !== 1 || g.groups !== g.c) return undefined;
  if (grad && (g.sh !== 1 || g.sw !== 1)) return undefined;
  const xOk = g.sw === 1 && g.dw === 1;
  const yOk = g.sh === 1 && g.dh === 1;
  if (!xOk && !yOk) return undefined;
  // slide along the axis with more taps (x on ties)
  const xLine = xOk && (!yOk || g.kw >= g.kh);
  // src and dst sizes (dst is the output, or dx for the gradient)
  const [sH, sW, dH, dW] = grad ? [g.ho, g.wo, g.h, g.w] : [g.h, g.w, g.ho, g.wo];
  const [dstc, srcc] = grad ? [g.c, g.o] : [g.o, g.c];
  const ph = grad ? (g.kh - 1) * g.dh - g.ph : g.ph;
  const pw = grad ? (g.kw - 1) * g.dw - g.pw : g.pw;
  const lines = xLine ? dW : dH;
  const cross = xLine ? dH : dW;
  const planes = g.n * dstc;
  if (lines * cross === 0 || planes === 0) return undefined;
  // lanes side by side along x either way: for a y line they sit on the cross axis, so a gather of
  // 8 lanes reads 8 neighbouring floats (11x1 at 512^2: ~1.5x less CPU time than lanes along y)
  const laneCross = !xLine;
  const wx = laneCross ? Math.ceil(lines / DW_T) : Math.ceil(lines / (8 * DW_T));
  const wy = laneCross ? Math.ceil(cross / 8) : cross;
  if (wx > MAX_WORKGROUPS_PER_DIM || wy > MAX_WORKGROUPS_PER_DIM || planes > MAX_WORKGROUPS_PER_DIM) return undefined;
  // weight taps: line step and cross step in w[., 0, ky, kx]; the gradient walks them backwards
  const [lk, xk, lStep, xStep] = xLine ? [g.kw, g.kh, 1, g.kw] : [g.kh, g.kw, g.kw, 1];
  const flip = grad ? -1 : 1;
  return {
    kernel: CONV2D_DW,
    defines: { T: DW_T, LANES: laneCross ? 'lanes_cross' : 'lanes_line', WG: 8 },
    uniforms: {
      lines,
      cross,
      in_l: xLine ? sW : sH,
      in_x: xLine ? sH : sW,
      src_l: xLine ? 1 : sW,
      src_x: xLine ? sW : 1,
      dst_l: xLine ? 1 : dW,
      dst_x: xLine ? dW : 1,
      lp: xLine ? pw : ph,
      xs: grad ? 1 : xLine ? g.sh : g.sw,
      xp: xLine ? ph : pw,
      xd: xLine ? g.dh : g.dw,
      xk,
      ksz: g.kh * g.kw,
      wl0: grad ? (lk - 1) * lStep : 0,
      wl: flip * lStep,
      wx0: grad ? (xk - 1) * xStep : 0,
      wx: flip * xStep,
      dstc,
      srcc,
      div: grad ? 1 : g.og,
      mul: grad ? g.og : 1,
      mcount: grad ? g.og : 1,
      wsel: grad ? 1 : 0,
      lk,
    },
    buffers: [src, w, dst],
    workgroups: [wx, wy, planes],
  };
}

/** shaders/conv2d_dw_weight_grad.wgsl: depthwise weight grad, a sliding register window of taps (picked on 8-wide-subgroup adapters). */
export const CONV2D_DW_WEIGHT_GRAD: KernelDescriptor = {
  name: 'conv2dWeightGrad',
  shader: 'conv2d_dw_weight_grad',
  entryPoint: 'main',
  storage: CONV2D_WEIGHT_GRAD.storage,
  uniformBinding: 3,
  uniforms: (
    [
      'lines',
      'cross',
      'in_l',
      'in_x',
      'x_l',
      'x_x',
      'dy_l',
      'dy_x',
      'lp',
      'xs',
      'xp',
      'xd',
      'xk',
      'lk',
      'wl',
      'wx',
      'o',
      'c',
      'div',
      'kb',
      'n',
      'splits',
      'rows',
      'ksz',
    ] as const
  ).map((k) => [k, k === 'lp' || k === 'xp' ? 'i32' : 'u32'] as const),
};

/**
 * The depthwise weight-gradient dispatch (conv2d_dw_weight_grad.wgsl), or undefined when it does
 * not apply (as `depthwiseSpec`). Rows are split until there are >= 512 invocations; with more than one
 * split the partials go to a buffer from `alloc` that the caller sums.
 */
function depthwiseWeightGradSpec(
  x: GPUBuffer,
  dy: GPUBuffer,
  out: GPUBuffer,
  g: ConvGeometry,
  alloc: (elements: number) => GPUBuffer,
  subgroupSize: number,
): WeightGradPlan | undefined {
  if (subgroupSize !== 8 || g.cg !== 1 || g.groups !== g.c) return undefined;
  const xOk = g.sw === 1 && g.dw === 1;
  const yOk = g.sh === 1 && g.dh === 1;
  if (!xOk && !yOk) return undefined;
  const xLine = xOk && (!yOk || g.kw >= g.kh);
  const [lk, xk, wl, wx] = xLine ? [g.kw, g.kh, 1, g.kw] : [g.kh, g.kw, g.kw, 1];
  const lines = xLine ? g.wo : g.ho;
  const cross = xLine ? g.ho : g.wo;
  const kb = Math.ceil(lk / DW_T);
  const per = xk * kb; // invocations per output channel and split
  // split the rows until there are >= 512 invocations
  const split = planSplit(g.n * cross, Math.ceil(512 / (per * g.o)));
  const { rows, used } = split;
  const wgx = Math.ceil((per * used) / 8);
  if (wgx > MAX_WORKGROUPS_PER_DIM || g.o > MAX_WORKGROUPS_PER_DIM) return undefined;
  return splitDispatch(split, g.o * g.kh * g.kw, out, alloc, (target) => ({
    kernel: CONV2D_DW_WEIGHT_GRAD,
    defines: { T: DW_T, WG: 8 },
    uniforms: {
      lines,
      cross,
      in_l: xLine ? g.w : g.h,
      in_x: xLine ? g.h : g.w,
      x_l: xLine ? 1 : g.w,
      x_x: xLine ? g.w : 1,
      dy_l: xLine ? 1 : g.wo,
      dy_x: xLine ? g.wo : 1,
      lp: xLine ? g.pw : g.ph,
      xs: xLine ? g.sh : g.sw,
      xp: xLine ? g.ph : g.pw,
      xd: xLine ? g.dh : g.dw,
      xk,
      lk,
      wl,
      wx,
      o: g.o,
      c: g.c,
      div: g.og,
      kb,
      n: g.n,
      splits: used,
      rows,
      ksz: g.kh * g.kw,
    },
    buffers: [x, dy, target],
    workgroups: [wgx, g.o, 1],
  }));
}

/**
 * The subgroup implicit GEMM for `rows` output rows per group (forward: O/groups, input grad:
 * C/groups) with `kcn` channels per group in the reduction (forward: C/groups, input grad:
 * O/groups, weight grad: C/groups) over `npix` pixels, or undefined when it does not apply: no
 * 8-wide subgroups, a grid beyond the dispatch limits, or fewer than 8 rows and fewer than 8
 * reduction channels. Fewer than 8 rows leave tile rows idle, but with a long reduction the tile
 * still loads less per useful FMA than the register-tile kernels; with both short (depthwise with
 * a stride on both axes) it is slower than the register tiles (bench/README.md, "Kernel choices").
 * Depthwise geometries conv2d_dw covers go there first.
 */
function sgTile(rows: number, kcn: number, npix: number, groups: number, subgroupSize: number): { r: number; tiles: number; x: number } | undefined {
  if (subgroupSize !== 8 || rows < 1 || (rows < 8 && kcn < 8)) return undefined;
  const r = rows >= 16 ? 16 : 8;
  const tiles = Math.ceil(rows / r);
  const x = Math.ceil(npix / 32);
  if (x > MAX_WORKGROUPS_PER_DIM || tiles * groups > MAX_WORKGROUPS_PER_DIM) return undefined;
  return { r, tiles, x };
}

// One channel tile per workgroup (y = 1): the channel index then comes from workgroup_id alone,
// so weight loads are the same for every invocation, which llvmpipe turns into one scalar load
// instead of a per-lane gather.
const WG_X = 64;
const WG_Y = 1;

function uniformsOf(g: ConvGeometry): Record<string, number> {
  const { c, h, w, o, kh, kw, ho, wo, sh, sw, ph, pw, dh, dw, cg, og } = g;
  return { c, h, w, o, kh, kw, ho, wo, sh, sw, ph, pw, dh, dw, cg, og };
}

/** The forward conv dispatch; on 8-wide subgroups `channelsLast` supplies the weight in {@link channelsLastWeight}(g, false) when it is used. */
export function conv2dSpec(x: GPUBuffer, w: GPUBuffer, out: GPUBuffer, g: ConvGeometry, subgroupSize = 0, channelsLast?: () => GPUBuffer): DispatchSpec {
  const depthwise = depthwiseSpec(x, w, out, g, false, subgroupSize);
  if (depthwise) return depthwise;
  const ksz = g.kh * g.kw;
  const sg =
    g.ho * g.wo > 0
      ? sgSpec(
          false,
          x,
          w,
          out,
          g,
          g.og,
          g.ho,
          g.wo,
          {
            m: g.og,
            kcn: g.cg,
            npix: g.ho * g.wo,
            ow: g.wo,
            ih: g.h,
            iw: g.w,
            kh: g.kh,
            kw: g.kw,
            sh: g.sh,
            sw: g.sw,
            ph: g.ph,
            pw: g.pw,
            dh: g.dh,
            dw: g.dw,
            rs: g.cg * ksz,
            ks: ksz,
            srcc: g.c,
            dstc: g.o,
          },
          subgroupSize,
          channelsLast,
        )
      : undefined;
  if (sg) return sg;
  const to = g.og % 4 === 0 ? 4 : 1;
  const npix = g.ho * g.wo;
  return {
    kernel: CONV2D,
    defines: { TO: to, WG_X, WG_Y, WG: WG_X * WG_Y },
    uniforms: uniformsOf(g),
    buffers: [x, w, out],
    workgroups: npix === 0 || g.o === 0 ? [0, 0, 0] : [Math.ceil(npix / 4 / WG_X), Math.ceil(g.o / to / WG_Y), g.n],
  };
}

/** The input-gradient dispatch; `channelsLast` as for {@link conv2dSpec}, in {@link channelsLastWeight}(g, true). */
export function conv2dInputGradSpec(
  dy: GPUBuffer,
  w: GPUBuffer,
  dx: GPUBuffer,
  g: ConvGeometry,
  subgroupSize = 0,
  channelsLast?: () => GPUBuffer,
): DispatchSpec {
  const depthwise = depthwiseSpec(dy, w, dx, g, true, subgroupSize);
  if (depthwise) return depthwise;
  const ksz = g.kh * g.kw;
  const sg =
    g.h * g.w > 0 && g.ho * g.wo > 0
      ? sgSpec(
          true,
          dy,
          w,
          dx,
          g,
          g.cg,
          g.h,
          g.w,
          {
            m: g.cg,
            kcn: g.og,
            npix: g.h * g.w,
            ow: g.w,
            ih: g.ho,
            iw: g.wo,
            kh: g.kh,
            kw: g.kw,
            sh: g.sh,
            sw: g.sw,
            ph: g.ph,
            pw: g.pw,
            dh: g.dh,
            dw: g.dw,
            rs: ksz,
            ks: g.cg * ksz,
            srcc: g.o,
            dstc: g.c,
          },
          subgroupSize,
          channelsLast,
        )
      : undefined;
  if (sg) return sg;
  const tc = g.cg % 4 === 0 ? 4 : 1;
  const npix = g.h * g.w;
  return {
    kernel: CONV2D_INPUT_GRAD,
    defines: { TC: tc, WG_X, WG_Y, WG: WG_X * WG_Y },
    uniforms: uniformsOf(g),
    buffers: [dy, w, dx],
    workgroups: npix === 0 || g.c === 0 ? [0, 0, 0] : [Math.ceil(npix / 4 / WG_X), Math.ceil(g.c / tc / WG_Y), g.n],
  };
}

/**
 * The dispatches for dw. When outputs are few relative to the reduction the work is split S ways
 * into a partial buffer (allocated with `alloc`) that the caller sums over S.
 */
export function conv2dWeightGradSpec(
  x: GPUBuffer,
  dy: GPUBuffer,
  out: GPUBuffer,
  g: ConvGeometry,
  alloc: (elements: number) => GPUBuffer,
  subgroupSize = 0,
): WeightGradPlan {
  const to = g.og % 4 === 0 ? 4 : 1;
  const ncol = g.cg * g.kh * g.kw;
  const count = g.o * ncol;
  const totalRows = g.n * g.ho;
  if (count === 0) return { specs: [] };
  if (totalRows === 0 || g.wo === 0) {
    return { specs: [zeroSpec(x, dy, out, g, to)] };
  }
  const depthwise = depthwiseWeightGradSpec(x, dy, out, g, alloc, subgroupSize);
  if (depthwise) return depthwise;
  const sg = sgTile(g.og, g.cg, ncol, g.groups, subgroupSize);
  if (sg) {
    // split the reduction until there are >= 64 workgroups, keeping >= 1024 steps per split
    const wgs = sg.x * sg.tiles * g.groups;
    const split = planSplit(totalRows, Math.min(Math.ceil(64 / wgs), Math.floor((totalRows * g.wo) / 1024)));
    return splitDispatch(split, count, out, alloc, (target) => ({
      kernel: CONV2D_WEIGHT_GRAD_SG,
      defines: { R: sg.r, WG: 8 },
      uniforms: { ...uniformsOf(g), n: g.n, rows: split.rows, tiles: sg.tiles },
      buffers: [x, dy, target],
      workgroups: [sg.x, sg.tiles * g.groups, split.used],
    }));
  }
  const invocations = Math.ceil(ncol / 4) * Math.ceil(g.o / to);
  // aim for >= 4096 invocations and >= ~8k multiply-adds per invocation per split
  const byParallelism = Math.ceil(4096 / invocations);
  const byWork = Math.floor((totalRows * g.wo) / 2048);
  const split = planSplit(totalRows, Math.min(byParallelism, byWork));
  return splitDispatch(split, count, out, alloc, (target) => ({
    kernel: CONV2D_WEIGHT_GRAD,
    defines: { TO: to, WG_X, WG_Y, WG: WG_X * WG_Y },
    uniforms: { ...uniformsOf(g), n: g.n, rows: split.rows },
    buffers: [x, dy, target],
    workgroups: [Math.ceil(ncol / 4 / WG_X), Math.ceil(g.o / to / WG_Y), split.used],
  }));
}

/** How a weight gradient's reduction over rows is cut: rows per slice and the slices used. */
interface Split {
  rows: number;
  used: number;
}

/** Splits a reduction over `totalRows` rows into at most `parts` slices (1..256, at least one row each). */
function planSplit(totalRows: number, parts: number): Split {
  const rows = Math.ceil(totalRows / Math.max(1, Math.min(parts, totalRows, 256)));
  return { rows, used: Math.ceil(totalRows / rows) };
}

/** The weight-gradient dispatches over a split: one slice writes the output, more write a partial buffer of `count` elements per slice that the caller sums. */
function splitDispatch(
  split: Split,
  count: number,
  out: GPUBuffer,
  alloc: (elements: number) => GPUBuffer,
  spec: (target: GPUBuffer) => DispatchSpec,
): WeightGradPlan {
  const target = split.used > 1 ? alloc(split.used * count) : out;
  return split.used > 1 ? { specs: [spec(target)], partial: { buffer: target, parts: split.used } } : { specs: [spec(target)] };
}

/** An empty reduction (no output pixels): the same kernel with zero rows writes zeros. */
function zeroSpec(x: GPUBuffer, dy: GPUBuffer, out: GPUBuffer, g: ConvGeometry, to: number): DispatchSpec {
  const ncol = g.cg * g.kh * g.kw;
  return {
    kernel: CONV2D_WEIGHT_GRAD,
    defines: { TO: to, WG_X, WG_Y, WG: WG_X * WG_Y },
    uniforms: { ...uniformsOf(g), n: g.n, rows: 0 },
    buffers: [x, dy, out],
    workgroups: [Math.ceil(ncol / 4 / WG_X), Math.ceil(g.o / to / WG_Y), 1],
  };
}
