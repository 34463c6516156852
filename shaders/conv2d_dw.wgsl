// Depthwise conv2d (one input channel per output channel, any channel multiplier) as a sliding
// window, used on adapters with 8-wide subgroups (llvmpipe/lavapipe). Each invocation computes {{T}}
// adjacent outputs along one axis (the "line": x for kernels at least as wide as tall, y for
// SSIM's 11x1 pass), with stride 1 and dilation 1 along it. Per tap of the other ("cross") axis it
// loads the T inputs under its outputs into a register window, and per line tap multiplies the
// window by the tap's weight, slides it by one and loads a single new input: T FMAs per 2 loads
// (input + weight) instead of 2 loads per FMA. The tap count is a runtime loop, so one pipeline
// serves every kernel size (a version specialised on the tap count ran faster but compiled for
// seconds per kernel size on llvmpipe: bench/README.md, "Kernel choices"). Out-of-range inputs load a clamped address and are replaced by 0 with select.
// Workgroups of 8 invocations (llvmpipe's SIMD width); no subgroup operations are needed.
//
//   dst[n, oc, line l, cross c] = sum over m < mcount, cross taps xt < xk, line taps k < lk of
//     src[n, ic, l - lp + k, c*xs - xp + xt*xd] * wt[wrow*ksz + wl0 + k*wl + wx0 + xt*wx]
//   with ic = (oc / div) * mul + m and wrow = oc (forward) or ic (input grad).
//
// Forward: src = x, dst = out, div = O/C (the multiplier), mul = 1, mcount = 1, wrow = oc.
// Input gradient for stride 1 (a conv of dy with the flipped kernel): src = dy, dst = dx,
// div = 1, mul = O/C, mcount = O/C, wrow = ic, padding (K-1)*d - p (may be negative), wl and wx
// negative (flipped taps).
//
// Template parameters (packages/kernels/src/kernels/conv2d.ts): {{T}} outputs per invocation,
// {{LANES}} lanes_line | lanes_cross (where the 8 lanes sit side by side), {{WG}} 8.

struct Params {
  lines: u32, cross: u32, in_l: u32, in_x: u32,     // dst extents along line/cross; src extents
  src_l: u32, src_x: u32, dst_l: u32, dst_x: u32,               // element strides: src line/cross, dst line/cross
  lp: i32, xs: u32, xp: i32, xd: u32,               // line padding; cross stride, padding, dilation
  xk: u32, ksz: u32, wl0: i32, wl: i32,             // cross taps; taps per weight row; line tap offset/step
  wx0: i32, wx: i32, dstc: u32, srcc: u32,          // cross tap offset/step; channels of dst, src
  div: u32, mul: u32, mcount: u32, wsel: u32,       // ic = (oc / div) * mul + m; wsel 1: wrow = ic
  lk: u32, pad0: u32, pad1: u32, pad2: u32,         // line taps
}

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read> wt: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@group(0) @binding(3) var<uniform> u: Params;

fn lanes_line(w: vec2u, lane: u32) -> vec2u { return vec2u(w.x * 8u + lane, w.y); }
fn lanes_cross(w: vec2u, lane: u32) -> vec2u { return vec2u(w.x, w.y * 8u + lane); }

const T = {{T}}u;

// src along the line at position li of the row starting at rowbase, 0 outside (or when !ok)
fn ld(rowbase: u32, li: i32, ok: bool) -> f32 {
  let inl = i32(u.in_l);
  return select(0.0, src[rowbase + u32(clamp(li, 0, inl - 1)) * u.src_l], ok && li >= 0 && li < inl);
}

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  // {{LANES}}: lanes_line puts the 8 lanes side by side along the line, lanes_cross along the
  // cross axis (then a gather of 8 lanes reads neighbours in memory when the line runs along y)
  let pos = {{LANES}}(wid.xy, lane);
  let l0 = pos.x * T;
  let cq = pos.y;
  let c = min(cq, u.cross - 1u);
  let plane = wid.z;                   // n * dstc + oc
  let n = plane / u.dstc;
  let oc = plane - n * u.dstc;
  let li0 = i32(l0) - u.lp;
  var acc: array<f32, T>;
  for (var m = 0u; m < u.mcount; m++) {
    let ic = (oc / u.div) * u.mul + m;
    let wrow = select(oc, ic, u.wsel == 1u) * u.ksz;
    let sbase = (n * u.srcc + ic) * u.in_l * u.in_x;
    for (var xt = 0u; xt < u.xk; xt++) {
      let ci = i32(c * u.xs + xt * u.xd) - u.xp;
      let cvalid = ci >= 0 && ci < i32(u.in_x);
      let rowbase = sbase + u32(clamp(ci, 0, i32(u.in_x) - 1)) * u.src_x;
      let wxo = i32(wrow) + u.wx0 + i32(xt) * u.wx;
      var win: array<f32, T>;
      for (var t = 0u; t < T; t++) { win[t] = ld(rowbase, li0 + i32(t), cvalid); }
      var nxt = li0 + i32(T);
      var wi = wxo + u.wl0;
      for (var k = 0u; k < u.lk; k++) {
        let wk = wt[u32(wi)];
        for (var t = 0u; t < T; t++) { acc[t] = fma(wk, win[t], acc[t]); }
        for (var t = 0u; t + 1u < T; t++) { win[t] = win[t + 1u]; }
        win[T - 1u] = ld(rowbase, nxt, cvalid);
        nxt++;
        wi += u.wl;
      }
    }
  }
  let obase = plane * u.lines * u.cross + c * u.dst_x;
  for (var t = 0u; t < T; t++) {
    if (l0 + t < u.lines && cq < u.cross) { dst[obase + (l0 + t) * u.dst_l] = acc[t]; }
  }
}
