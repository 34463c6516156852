// Gradient of a depthwise conv2d (one input channel per output channel, any channel multiplier)
// with respect to its weight, as a sliding register window; used on adapters with 8-wide
// subgroups (llvmpipe/lavapipe). Along the "line" axis (stride 1, dilation 1) the weight gradient
// is a correlation of a dy row with an x row:
//   dw[o, line tap k, cross tap xt] = sum over n, cross outputs c, line outputs l of
//     dy[n, o, l, c] * x[n, o / div, l - lp + k, c*xs - xp + xt*xd]
// Each invocation accumulates {{T}} consecutive line taps k0 .. k0 + T - 1 for one (o, xt) over
// its share of the rows (n, c): it keeps x[l - lp + k0 + t] (t < T) in a register window and per
// line output loads one dy value and one new x value for T FMAs. Invocations split the rows S
// ways and write partials [S, O, KH*KW] that the host sums (S = 1 writes dw directly).
// Out-of-range inputs load a clamped address and are replaced by 0 with select.
//
// x [N, C, H, W], dy [N, O, Ho, Wo], out [S, O, KH, KW].
// Template parameters (packages/kernels/src/kernels/conv2d.ts): {{T}} line taps per invocation,
// {{WG}} 8.

struct Params {
  lines: u32, cross: u32, in_l: u32, in_x: u32,     // dy extents along line/cross; x extents
  x_l: u32, x_x: u32, dy_l: u32, dy_x: u32,               // element strides: x line/cross, dy line/cross
  lp: i32, xs: u32, xp: i32, xd: u32,               // line padding; cross stride, padding, dilation
  xk: u32, lk: u32, wl: u32, wx: u32,               // cross and line taps; their strides in a weight row
  o: u32, c: u32, div: u32, kb: u32,                // channels of dy and x; o / div = input channel; tap blocks
  n: u32, splits: u32, rows: u32, ksz: u32,         // images; splits of the n*cross rows, rows per split; taps
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> u: Params;

const T = {{T}}u;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let gid = wid.x * 8u + lane;
  let oc = wid.y;
  let s = gid % u.splits;
  let rest = gid / u.splits;
  let kbi = rest % u.kb;
  let xtq = rest / u.kb;
  let xt = min(xtq, u.xk - 1u);
  let k0 = kbi * T;
  let ic = oc / u.div;
  let inl = i32(u.in_l);
  let r0 = s * u.rows;
  let r1 = min(r0 + u.rows, u.n * u.cross);
  var acc: array<f32, T>;
  for (var r = r0; r < r1; r++) {
    let n = r / u.cross;
    let cc = r - n * u.cross;
    let ci = i32(cc * u.xs + xt * u.xd) - u.xp;
    if (ci < 0 || ci >= i32(u.in_x)) { continue; }
    let xrow = (n * u.c + ic) * u.in_l * u.in_x + u32(ci) * u.x_x;
    let drow = (n * u.o + oc) * u.lines * u.cross + cc * u.dy_x;
    var win: array<f32, T>;
    let li0 = i32(k0) - u.lp;
    for (var t = 0u; t < T; t++) {
      let li = li0 + i32(t);
      win[t] = select(0.0, x[xrow + u32(clamp(li, 0, inl - 1)) * u.x_l], li >= 0 && li < inl);
    }
    var nxt = li0 + i32(T);
    for (var l = 0u; l < u.lines; l++) {
      let d = dy[drow + l * u.dy_l];
      for (var t = 0u; t < T; t++) { acc[t] = fma(d, win[t], acc[t]); }
      for (var t = 0u; t + 1u < T; t++) { win[t] = win[t + 1u]; }
      win[T - 1u] = select(0.0, x[xrow + u32(clamp(nxt, 0, inl - 1)) * u.x_l], nxt >= 0 && nxt < inl);
      nxt++;
    }
  }
  if (xtq < u.xk) {
    let ob = (s * u.o + oc) * u.ksz + xt * u.wx;
    for (var t = 0u; t < T; t++) {
      if (k0 + t < u.lk) { out[ob + (k0 + t) * u.wl] = acc[t]; }
    }
  }
}
