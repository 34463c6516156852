// Gradient of conv2d with respect to its input (a transposed convolution), gathered per input
// pixel so no atomics are needed:
//   dx[n, c, iy, ix] = sum over o in c's group, (ky, kx) with oy = (iy + ph - ky*dh) / sh and
//                      ox = (ix + pw - kx*dw) / sw exact and in range, of dy[n, o, oy, ox] * w[o, c - g*cg, ky, kx]
// Each invocation computes TC input channels x 4 consecutive input pixels; the output-position
// tests (including the divisibility by the stride) are done once per (ky, kx) and reused for
// every output channel of the group.
//
// dy [N, O, Ho, Wo], w [O, C/groups, KH, KW], dx [N, C, H, W].
// Template parameters (packages/kernels/src/kernels/conv2d.ts):
//   {{TC}}            input channels per invocation: 4 when C/groups is a multiple of 4, else 1
//   {{WG_X}}, {{WG_Y}} workgroup size

struct Params {
  c: u32, h: u32, w: u32, o: u32,
  kh: u32, kw: u32, ho: u32, wo: u32,
  sh: u32, sw: u32, ph: u32, pw: u32,
  dh: u32, dw: u32, cg: u32, og: u32,
}

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> wt: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> u: Params;

@compute @workgroup_size({{WG_X}}, {{WG_Y}}, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let npix = u.h * u.w;
  let p0 = gid.x * 4u;
  let c0 = gid.y * {{TC}}u;
  let n = gid.z;
  if (p0 >= npix || c0 >= u.c) { return; }
  let g = c0 / u.cg;
  let cl = c0 - g * u.cg;            // channel index inside the group (w's dim 1)
  let ksz = u.kh * u.kw;
  let nout = u.ho * u.wo;
  let dybase = (n * u.o + g * u.og) * nout;
  var py: vec4<i32>;
  var px: vec4<i32>;
  for (var q = 0u; q < 4u; q++) {
    let p = min(p0 + q, npix - 1u);
    let yy = p / u.w;
    py[q] = i32(yy + u.ph);
    px[q] = i32(p - yy * u.w + u.pw);
  }
  let s_h = vec4<i32>(i32(u.sh));
  let s_w = vec4<i32>(i32(u.sw));
  var acc: array<vec4<f32>, {{TC}}>;
  for (var ky = 0u; ky < u.kh; ky++) {
    let ty = py - vec4<i32>(i32(ky * u.dh));
    let oy = ty / s_h;
    let vy = (ty >= vec4<i32>(0)) & (oy * s_h == ty) & (oy < vec4<i32>(i32(u.ho)));
    for (var kx = 0u; kx < u.kw; kx++) {
      let tx = px - vec4<i32>(i32(kx * u.dw));
      let ox = tx / s_w;
      let valid = vy & (tx >= vec4<i32>(0)) & (ox * s_w == tx) & (ox < vec4<i32>(i32(u.wo)));
      let off = vec4<u32>(select(vec4<i32>(0), oy * i32(u.wo) + ox, valid));
      var di = dybase;
      var wi = (g * u.og * u.cg + cl) * ksz + ky * u.kw + kx;
      for (var oi = 0u; oi < u.og; oi++) {
        let dv = select(vec4<f32>(0.0), vec4<f32>(dy[di + off.x], dy[di + off.y], dy[di + off.z], dy[di + off.w]), valid);  // not * 0/1: inf at the clamped address
        for (var t = 0u; t < {{TC}}u; t++) {
          acc[t] += wt[wi + t * ksz] * dv;
        }
        di += nout;
        wi += u.cg * ksz;
      }
    }
  }
  for (var t = 0u; t < {{TC}}u; t++) {
    let cc = c0 + t;
    if (cc < u.c) {
      let ob = (n * u.c + cc) * npix + p0;
      for (var q = 0u; q < 4u; q++) {
        if (p0 + q < npix) { dx[ob + q] = acc[t][q]; }
      }
    }
  }
}
