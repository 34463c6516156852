// conv2d forward (cross-correlation, as PyTorch) as an implicit GEMM with register tiles:
// each invocation computes TO output channels x 4 consecutive output pixels (flattened over
// Ho*Wo) of one image, looping over (kh, kw) and then the group's input channels. Pixel positions
// and padding masks are computed once per (kh, kw) and reused for every input channel, so the
// inner loop is loads and FMAs only. Padding reads as 0; stride, dilation and groups (including
// depthwise, where TO = 1) are uniforms.
//
// x [N, C, H, W], w [O, C/groups, KH, KW], out [N, O, Ho, Wo].
// Template parameters (packages/kernels/src/kernels/conv2d.ts):
//   {{TO}}            output channels per invocation: 4 when O/groups is a multiple of 4, else 1
//   {{WG_X}}, {{WG_Y}} workgroup size (x over pixel tiles, y over channel tiles)

struct Params {
  c: u32, h: u32, w: u32, o: u32,
  kh: u32, kw: u32, ho: u32, wo: u32,
  sh: u32, sw: u32, ph: u32, pw: u32,
  dh: u32, dw: u32, cg: u32, og: u32,   // cg = C / groups, og = O / groups
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> wt: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> u: Params;

@compute @workgroup_size({{WG_X}}, {{WG_Y}}, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let npix = u.ho * u.wo;
  let p0 = gid.x * 4u;
  let o0 = gid.y * {{TO}}u;
  let n = gid.z;
  if (p0 >= npix || o0 >= u.o) { return; }
  let g = o0 / u.og;
  let hw = u.h * u.w;
  let xbase = (n * u.c + g * u.cg) * hw;
  let ksz = u.kh * u.kw;
  let wstride = u.cg * ksz;          // between output channels in wt
  // top-left input corner of each of the 4 output pixels
  var iy0: vec4<i32>;
  var ix0: vec4<i32>;
  for (var q = 0u; q < 4u; q++) {
    let p = min(p0 + q, npix - 1u);
    let oy = p / u.wo;
    iy0[q] = i32(oy * u.sh) - i32(u.ph);
    ix0[q] = i32((p - oy * u.wo) * u.sw) - i32(u.pw);
  }
  var acc: array<vec4<f32>, {{TO}}>;
  for (var ky = 0u; ky < u.kh; ky++) {
    let iy = iy0 + vec4<i32>(i32(ky * u.dh));
    let vy = (iy >= vec4<i32>(0)) & (iy < vec4<i32>(i32(u.h)));
    for (var kx = 0u; kx < u.kw; kx++) {
      let ix = ix0 + vec4<i32>(i32(kx * u.dw));
      let valid = vy & (ix >= vec4<i32>(0)) & (ix < vec4<i32>(i32(u.w)));
      let off = vec4<u32>(select(vec4<i32>(0), iy * i32(u.w) + ix, valid));
      var wi = o0 * wstride + ky * u.kw + kx;
      var xi = xbase;
      for (var ci = 0u; ci < u.cg; ci++) {
        let xv = select(vec4<f32>(0.0), vec4<f32>(x[xi + off.x], x[xi + off.y], x[xi + off.z], x[xi + off.w]), valid);  // not * 0/1: inf at the clamped address
        for (var t = 0u; t < {{TO}}u; t++) {
          acc[t] += wt[wi + t * wstride] * xv;
        }
        xi += hw;
        wi += ksz;
      }
    }
  }
  for (var t = 0u; t < {{TO}}u; t++) {
    let oc = o0 + t;
    if (oc < u.o) {
      let ob = (n * u.o + oc) * npix + p0;
      for (var q = 0u; q < 4u; q++) {
        if (p0 + q < npix) { out[ob + q] = acc[t][q]; }
      }
    }
  }
}
