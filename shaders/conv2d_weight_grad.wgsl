// Gradient of conv2d with respect to its weight:
//   dw[o, cl, ky, kx] = sum over n, oy, ox of dy[n, o, oy, ox] * x[n, g*cg + cl, oy*sh - ph + ky*dh, ox*sw - pw + kx*dw]
// A GEMM with a long reduction (N*Ho*Wo) and few outputs (O * cg*KH*KW), so it is split along
// the reduction: split s of S handles rows r = n*Ho + oy in [s*rows, (s+1)*rows) and writes
// partials [S, O, cg*KH*KW] that the host sums with the reduce kernel (S = 1 writes dw directly).
// Each invocation computes TO output channels x 4 consecutive (cl, ky, kx) columns.
//
// x [N, C, H, W], dy [N, O, Ho, Wo], out [S, O, C/groups, KH, KW].
// Template parameters (packages/kernels/src/kernels/conv2d.ts):
//   {{TO}}            output channels per invocation: 4 when O/groups is a multiple of 4, else 1
//   {{WG_X}}, {{WG_Y}} workgroup size

struct Params {
  c: u32, h: u32, w: u32, o: u32,
  kh: u32, kw: u32, ho: u32, wo: u32,
  sh: u32, sw: u32, ph: u32, pw: u32,
  dh: u32, dw: u32, cg: u32, og: u32,
  n: u32, rows: u32, pad0: u32, pad1: u32,   // images; reduction rows per split
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> u: Params;

@compute @workgroup_size({{WG_X}}, {{WG_Y}}, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let ksz = u.kh * u.kw;
  let ncol = u.cg * ksz;
  let j0 = gid.x * 4u;
  let o0 = gid.y * {{TO}}u;
  let split = gid.z;
  if (j0 >= ncol || o0 >= u.o) { return; }
  let g = o0 / u.og;
  let hw = u.h * u.w;
  let nout = u.ho * u.wo;
  // per column: input channel offset and kernel tap
  var coff: vec4<u32>;
  var tapy: vec4<i32>;
  var tapx: vec4<i32>;
  for (var q = 0u; q < 4u; q++) {
    let j = min(j0 + q, ncol - 1u);
    let cl = j / ksz;
    let kk = j - cl * ksz;
    let ky = kk / u.kw;
    coff[q] = (g * u.cg + cl) * hw;
    tapy[q] = i32(ky * u.dh) - i32(u.ph);
    tapx[q] = i32((kk - ky * u.kw) * u.dw) - i32(u.pw);
  }
  var acc: array<vec4<f32>, {{TO}}>;
  let r0 = split * u.rows;
  let r1 = min(r0 + u.rows, u.n * u.ho);
  for (var r = r0; r < r1; r++) {
    let n = r / u.ho;
    let oy = r - n * u.ho;
    let iy = vec4<i32>(i32(oy * u.sh)) + tapy;
    let vy = (iy >= vec4<i32>(0)) & (iy < vec4<i32>(i32(u.h)));
    let xrow = vec4<i32>(coff + vec4<u32>(n * u.c * hw)) + iy * i32(u.w);
    let dyrow = (n * u.o + o0) * nout + oy * u.wo;
    for (var ox = 0u; ox < u.wo; ox++) {
      let ix = vec4<i32>(i32(ox * u.sw)) + tapx;
      let valid = vy & (ix >= vec4<i32>(0)) & (ix < vec4<i32>(i32(u.w)));
      let xi = vec4<u32>(select(vec4<i32>(0), xrow + ix, valid));
      let xv = select(vec4<f32>(0.0), vec4<f32>(x[xi.x], x[xi.y], x[xi.z], x[xi.w]), valid);
      for (var t = 0u; t < {{TO}}u; t++) {
        acc[t] += dy[dyrow + t * nout + ox] * xv;
      }
    }
  }
  let sbase = split * u.o * ncol;
  for (var t = 0u; t < {{TO}}u; t++) {
    let oc = o0 + t;
    if (oc < u.o) {
      let ob = sbase + oc * ncol + j0;
      for (var q = 0u; q < 4u; q++) {
        if (j0 + q < ncol) { out[ob + q] = acc[t][q]; }
      }
    }
  }
}
