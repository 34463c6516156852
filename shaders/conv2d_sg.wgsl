// conv2d forward and input gradient as an implicit GEMM for adapters with 8-wide subgroups
// (llvmpipe/lavapipe), in the style of matmul_sg.wgsl: one workgroup is one subgroup of 8
// invocations computing an {{R}}-row x 32-pixel tile of
//   dst[n, g*m + r, p] = sum over kc < kcn, taps (ky, kx) of A[r, kc, tap] * src[n, g*kcn + kc, at(p, tap)]
// Each invocation holds {{R}} rows x 4 consecutive (flattened) pixels of accumulators. The tile's
// rows of A (weights) are loaded once per subgroup (lane l loads rows l, l + 8, ...) and handed to
// every lane with subgroupShuffle; the im2col gather of src is done on the fly: the source offsets
// and the padding mask of a lane's 4 pixels are computed once per tap, so the loop over kc is loads
// and FMAs only. Out-of-range taps load a clamped address and are replaced by 0 with select (so
// infinities at the clamped address never leak in as NaN).
//
//   forward ({{AT}} = at_fwd):  dst = out [N, O, Ho, Wo], src = x [N, C, H, W], m = O/groups,
//     kcn = C/groups, A[r, kc, tap] = w[g*m + r, kc, tap]; source row iy = oy*sh - ph + ky*dh
//   input grad ({{AT}} = at_bwd): dst = dx [N, C, H, W], src = dy [N, O, Ho, Wo], m = C/groups,
//     kcn = O/groups, A[r, kc, tap] = w[g*kcn + kc, r, tap]; ty = iy + ph - ky*dh, source row
//     ty / sh when ty >= 0 and sh divides it (a gather formulation of the transposed conv)
// A's element (r, kc, tap) of group g is at g*m*kcn*ksz + r*rs + kc*ks + tap*ts (rs, ks, ts
// uniforms). The weight as stored has ts = 1; when kcn is a multiple of 4 the host passes a copy
// with the reduction channel innermost (ks = 1, ts = kcn), read 4 channels per vec4 load: on
// llvmpipe a load is a loop over the 8 lanes, so that is one loop instead of four (bench/README.md,
// "Kernel choices").
//
// Template parameters (packages/kernels/src/kernels/conv2d.ts):
//   {{AT}}  at_fwd | at_bwd;  {{LOADW}} w_1 | w_4;  {{R}} rows per tile (8 or 16);
//   {{WG}}  8 (the subgroup size)

enable subgroups;

struct Params {
  m: u32, kcn: u32, npix: u32, ow: u32,      // rows and reduction channels per group; dst pixels, dst width
  ih: u32, iw: u32, kh: u32, kw: u32,        // src height/width; kernel taps
  sh: u32, sw: u32, ph: u32, pw: u32,
  dh: u32, dw: u32, rs: u32, ks: u32,        // dilation; A's row and kc strides
  tiles: u32, srcc: u32, dstc: u32, ts: u32,  // row tiles per group; channels of src and dst; A's tap stride
}

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read> wt: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@group(0) @binding(3) var<uniform> u: Params;
@group(0) @binding(4) var<storage, read> wt4: array<vec4<f32>>;  // the same buffer as wt

// A[r, kc .. kc + 3, tap] from its index for kc
fn w_1(i: u32) -> vec4<f32> { return vec4<f32>(wt[i], wt[i + u.ks], wt[i + 2u * u.ks], wt[i + 3u * u.ks]); }
fn w_4(i: u32) -> vec4<f32> { return wt4[i >> 2u]; }

// source coordinate along one axis for dst coordinate q and tap t (valid when in [0, size))
fn at_fwd(q: vec4<i32>, t: u32, s: u32, p: u32, d: u32) -> vec4<i32> {
  return q * i32(s) + vec4<i32>(i32(t * d) - i32(p));
}
fn at_bwd(q: vec4<i32>, t: u32, s: u32, p: u32, d: u32) -> vec4<i32> {
  let tt = q + vec4<i32>(i32(p) - i32(t * d));
  let sv = vec4<i32>(i32(s));
  let o = tt / sv;
  // not divisible or negative: push out of range
  return select(vec4<i32>(-1), o, (tt >= vec4<i32>(0)) & (o * sv == tt));
}

const R = {{R}}u;
const H = R / 8u;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(subgroup_invocation_id) sl: u32) {
  let j = (wid.x * 8u + sl) * 4u;
  let g = wid.y / u.tiles;
  let i0 = (wid.y - g * u.tiles) * R;
  let n = wid.z;
  let ksz = u.kh * u.kw;
  let ihw = u.ih * u.iw;
  var abase: array<u32, H>;
  for (var h = 0u; h < H; h++) {
    abase[h] = g * u.m * u.kcn * ksz + min(i0 + h * 8u + sl, u.m - 1u) * u.rs;
  }
  let sbase = (n * u.srcc + g * u.kcn) * ihw;
  // the lane's 4 dst pixels
  var py: vec4<i32>;
  var px: vec4<i32>;
  for (var q = 0u; q < 4u; q++) {
    let p = min(j + q, u.npix - 1u);
    let yy = p / u.ow;
    py[q] = i32(yy);
    px[q] = i32(p - yy * u.ow);
  }
  let ihv = vec4<i32>(i32(u.ih));
  let iwv = vec4<i32>(i32(u.iw));
  var acc: array<vec4<f32>, R>;
  for (var ky = 0u; ky < u.kh; ky++) {
    let iy = {{AT}}(py, ky, u.sh, u.ph, u.dh);
    let vy = (iy >= vec4<i32>(0)) & (iy < ihv);
    let ry = clamp(iy, vec4<i32>(0), ihv - 1) * iwv;
    for (var kx = 0u; kx < u.kw; kx++) {
      let ix = {{AT}}(px, kx, u.sw, u.pw, u.dw);
      let valid = vy & (ix >= vec4<i32>(0)) & (ix < iwv);
      let off = vec4<u32>(ry + clamp(ix, vec4<i32>(0), iwv - 1));
      let tap = ky * u.kw + kx;
      var ai: array<u32, H>;
      for (var h = 0u; h < H; h++) { ai[h] = abase[h] + tap * u.ts; }
      var si = sbase;
      // 4 reduction channels at a time, rows outermost: each accumulator is loaded and stored
      // once per 4 FMAs (R x 4 accumulators do not fit in registers and spill)
      let kc4 = u.kcn & ~3u;
      for (var kc = 0u; kc < kc4; kc += 4u) {
        var xv: array<vec4<f32>, 4>;
        var a: array<vec4<f32>, H>;
        for (var kk = 0u; kk < 4u; kk++) {
          xv[kk] = select(vec4<f32>(0.0), vec4<f32>(src[si + off.x], src[si + off.y], src[si + off.z], src[si + off.w]), valid);
          si += ihw;
        }
        for (var h = 0u; h < H; h++) {
          a[h] = {{LOADW}}(ai[h]);
          ai[h] += 4u * u.ks;
        }
        for (var r = 0u; r < R; r++) {
          let ar = subgroupShuffle(a[r / 8u], r % 8u);
          var t = acc[r];
          t = fma(vec4<f32>(ar.x), xv[0], t);
          t = fma(vec4<f32>(ar.y), xv[1], t);
          t = fma(vec4<f32>(ar.z), xv[2], t);
          t = fma(vec4<f32>(ar.w), xv[3], t);
          acc[r] = t;
        }
      }
      for (var kc = kc4; kc < u.kcn; kc++) {
        let xv = select(vec4<f32>(0.0), vec4<f32>(src[si + off.x], src[si + off.y], src[si + off.z], src[si + off.w]), valid);
        var a: array<f32, H>;
        for (var h = 0u; h < H; h++) {
          a[h] = wt[ai[h]];
          ai[h] += u.ks;
        }
        for (var r = 0u; r < R; r++) {
          acc[r] = fma(vec4<f32>(subgroupShuffle(a[r / 8u], r % 8u)), xv, acc[r]);
        }
        si += ihw;
      }
    }
  }
  for (var r = 0u; r < R; r++) {
    let row = i0 + r;
    if (row < u.m) {
      let o = (n * u.dstc + g * u.m + row) * u.npix + j;
      for (var c = 0u; c < 4u; c++) {
        if (j + c < u.npix) { dst[o + c] = acc[r][c]; }
      }
    }
  }
}
