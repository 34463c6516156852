// Gradient of conv2d with respect to its weight, for adapters with 8-wide subgroups, as a GEMM of
// dy (rows o, reduction over n, oy, ox) with the on-the-fly im2col of x (columns j = (cl, ky, kx)):
//   dw[g*og + o, cl, ky, kx] = sum over n, oy, ox of dy[n, g*og + o, oy, ox] * x[n, g*cg + cl, oy*sh - ph + ky*dh, ox*sw - pw + kx*dw]
// One workgroup is one subgroup of 8 invocations computing an {{R}}-row x 32-column tile; each
// invocation holds {{R}} rows x 4 consecutive columns. The tile's rows of dy are loaded once per
// subgroup (lane l loads rows l, l + 8, ...) and handed to every lane with subgroupShuffle. Each
// lane's 4 columns keep their channel offset and tap fixed, so per reduction step only the
// position moves; out-of-range taps load a clamped address replaced by 0 with select.
// The reduction (rows r = n*Ho + oy) is split: split s handles [s*rows, (s+1)*rows) and writes
// partials [S, O, cg*KH*KW] that the host sums (S = 1 writes dw directly).
//
// x [N, C, H, W], dy [N, O, Ho, Wo], out [S, O, C/groups, KH, KW].
// Template parameters (packages/kernels/src/kernels/conv2d.ts): {{R}} rows per tile (8 or 16),
// {{WG}} 8 (the subgroup size).

enable subgroups;

struct Params {
  c: u32, h: u32, w: u32, o: u32,
  kh: u32, kw: u32, ho: u32, wo: u32,
  sh: u32, sw: u32, ph: u32, pw: u32,
  dh: u32, dw: u32, cg: u32, og: u32,
  n: u32, rows: u32, tiles: u32, pad0: u32,   // images; reduction rows per split; row tiles per group
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> u: Params;

const R = {{R}}u;
const H = R / 8u;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(subgroup_invocation_id) sl: u32) {
  let ksz = u.kh * u.kw;
  let ncol = u.cg * ksz;
  let j0 = (wid.x * 8u + sl) * 4u;
  let g = wid.y / u.tiles;
  let i0 = (wid.y - g * u.tiles) * R;
  let split = wid.z;
  let hw = u.h * u.w;
  let nout = u.ho * u.wo;
  // per column: input channel offset and kernel tap
  var coff: vec4<i32>;
  var tapy: vec4<i32>;
  var tapx: vec4<i32>;
  for (var q = 0u; q < 4u; q++) {
    let jj = min(j0 + q, ncol - 1u);
    let cl = jj / ksz;
    let kk = jj - cl * ksz;
    let ky = kk / u.kw;
    coff[q] = i32((g * u.cg + cl) * hw);
    tapy[q] = i32(ky * u.dh) - i32(u.ph);
    tapx[q] = i32((kk - ky * u.kw) * u.dw) - i32(u.pw);
  }
  var orow: array<u32, H>;
  for (var h = 0u; h < H; h++) { orow[h] = g * u.og + min(i0 + h * 8u + sl, u.og - 1u); }
  let hv = vec4<i32>(i32(u.h));
  let wv = vec4<i32>(i32(u.w));
  var acc: array<vec4<f32>, R>;
  let r0 = split * u.rows;
  let r1 = min(r0 + u.rows, u.n * u.ho);
  for (var r = r0; r < r1; r++) {
    let n = r / u.ho;
    let oy = r - n * u.ho;
    let iy = vec4<i32>(i32(oy * u.sh)) + tapy;
    let vy = (iy >= vec4<i32>(0)) & (iy < hv);
    let xrow = coff + vec4<i32>(i32(n * u.c * hw)) + clamp(iy, vec4<i32>(0), hv - 1) * wv;
    var di: array<u32, H>;
    for (var h = 0u; h < H; h++) { di[h] = (n * u.o + orow[h]) * nout + oy * u.wo; }
    var ix = tapx;
    let step = vec4<i32>(i32(u.sw));
    // 4 positions at a time, rows outermost: each accumulator is loaded and stored once per 4
    // FMAs (R x 4 accumulators do not fit in registers and spill)
    let wo4 = u.wo & ~3u;
    for (var ox = 0u; ox < wo4; ox += 4u) {
      var xv: array<vec4<f32>, 4>;
      var a: array<vec4<f32>, H>;
      for (var kk = 0u; kk < 4u; kk++) {
        let valid = vy & (ix >= vec4<i32>(0)) & (ix < wv);
        let xi = vec4<u32>(xrow + clamp(ix, vec4<i32>(0), wv - 1));
        xv[kk] = select(vec4<f32>(0.0), vec4<f32>(x[xi.x], x[xi.y], x[xi.z], x[xi.w]), valid);
        for (var h = 0u; h < H; h++) { a[h][kk] = dy[di[h] + ox + kk]; }
        ix += step;
      }
      for (var rr = 0u; rr < R; rr++) {
        let ar = subgroupShuffle(a[rr / 8u], rr % 8u);
        var t = acc[rr];
        t = fma(vec4<f32>(ar.x), xv[0], t);
        t = fma(vec4<f32>(ar.y), xv[1], t);
        t = fma(vec4<f32>(ar.z), xv[2], t);
        t = fma(vec4<f32>(ar.w), xv[3], t);
        acc[rr] = t;
      }
    }
    for (var ox = wo4; ox < u.wo; ox++) {
      let valid = vy & (ix >= vec4<i32>(0)) & (ix < wv);
      let xi = vec4<u32>(xrow + clamp(ix, vec4<i32>(0), wv - 1));
      let xv = select(vec4<f32>(0.0), vec4<f32>(x[xi.x], x[xi.y], x[xi.z], x[xi.w]), valid);
      var a: array<f32, H>;
      for (var h = 0u; h < H; h++) { a[h] = dy[di[h] + ox]; }
      for (var rr = 0u; rr < R; rr++) {
        acc[rr] = fma(vec4<f32>(subgroupShuffle(a[rr / 8u], rr % 8u)), xv, acc[rr]);
      }
      ix += step;
    }
  }
  let sbase = split * u.o * ncol;
  for (var rr = 0u; rr < R; rr++) {
    let row = i0 + rr;
    if (row < u.og) {
      let ob = sbase + (g * u.og + row) * ncol + j0;
      for (var q = 0u; q < 4u; q++) {
        if (j0 + q < ncol) { out[ob + q] = acc[rr][q]; }
      }
    }
  }
}
