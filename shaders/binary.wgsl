// Elementwise binary ops with broadcasting: out[i] = OP(a[ia], b[ib]) where ia, ib come from the
// output coordinates and per-input strides (0 on broadcast dims), so no broadcast copy is made.
//
// Template parameters (packages/kernels/src/kernels/binary.ts):
//   {{T}}     storage type of a, b, out: f32 | i32 | u32 (bool)
//   {{C}}     compute type: f32 or i32
//   {{OP}}    one of the op_* (f32) / iop_* (i32) functions below
//   {{RANK}}  rank of the (coalesced) output, 1..8
//   {{A_MODE}}, {{B_MODE}}  0 contiguous, 1 broadcast scalar, 2 strided (see pick)
//   {{WG}}    workgroup size
// The host merges dims that are contiguous in every operand first, so the common cases (same shape;
// per-channel bias) run with rank 1 or 2 and need at most one integer division per element.

struct Params {
  n: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
  shape: array<vec4<u32>, 2>,   // output dims (coalesced), dim d at [d / 4][d % 4]
  sa: array<vec4<u32>, 2>,      // element strides of a per output dim (0 = broadcast)
  sb: array<vec4<u32>, 2>,      // element strides of b
}

@group(0) @binding(0) var<storage, read> a: array<{{T}}>;
@group(0) @binding(1) var<storage, read> b: array<{{T}}>;
@group(0) @binding(2) var<storage, read_write> out: array<{{T}}>;
@group(0) @binding(3) var<uniform> u: Params;

// One element per invocation, indexed from global_invocation_id: on lavapipe (llvmpipe) this
// is what its SIMD lanes load as vectors; 4 elements per invocation, or an index built from
// workgroup_id and local_invocation_index, ran slower (bench/README.md, "Kernel choices").
// Non-finite constants live in private vars: WGSL rejects inf/NaN in constant expressions.
var<private> INF_BITS: u32 = 0x7f800000u;
var<private> NAN_BITS: u32 = 0x7fc00000u;

// WGSL lets compilers assume floats are never NaN, so `v != v` may fold to false (it does on
// lavapipe); test the bit pattern instead. Integers convert to non-NaN floats.
fn is_nan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }

fn op_add(x: f32, y: f32) -> f32 { return x + y; }
fn op_sub(x: f32, y: f32) -> f32 { return x - y; }
fn op_mul(x: f32, y: f32) -> f32 { return x * y; }
fn op_div(x: f32, y: f32) -> f32 { return x / y; }
// pow with PyTorch's (C's) conventions: negative bases allowed for integral exponents; WGSL's pow
// is undefined for x < 0.
fn op_pow(x: f32, y: f32) -> f32 {
  if (y == 0.0) { return 1.0; }
  if (is_nan(x) || is_nan(y)) { return x + y; }
  let ax = abs(x);
  var r: f32;
  let yint = floor(y) == y;
  let yodd = yint && abs(y) < 16777216.0 && (i32(abs(y)) & 1) == 1;
  if (ax == 0.0) {
    // +-0 to a power: 0 or inf, negative only for -0 and odd integral y (C's pow)
    r = select(0.0, bitcast<f32>(INF_BITS), y < 0.0);
    if (yodd && (bitcast<u32>(x) >> 31u) == 1u) { return -r; }
    return r;
  } else {
    r = exp2(y * log2(ax));
    if (ax == 1.0) { r = 1.0; }
  }
  if (x < 0.0) {
    if (!yint) { return bitcast<f32>(NAN_BITS); }
    if (yodd) { return -r; }
  }
  return r;
}
// maximum/minimum propagate NaN (PyTorch); WGSL's max/min do not promise to.
fn op_maximum(x: f32, y: f32) -> f32 { if (is_nan(x) || is_nan(y)) { return bitcast<f32>(NAN_BITS); } return max(x, y); }
fn op_minimum(x: f32, y: f32) -> f32 { if (is_nan(x) || is_nan(y)) { return bitcast<f32>(NAN_BITS); } return min(x, y); }
// atan2 with IEEE's signed-zero and infinity cases spelled out (WGSL leaves them undefined).
fn op_atan2(y: f32, x: f32) -> f32 {
  if (is_nan(x) || is_nan(y)) { return bitcast<f32>(NAN_BITS); }
  let xneg = (bitcast<u32>(x) >> 31u) == 1u;
  let pi = 3.14159265358979;
  if (y == 0.0) {
    let r = select(0.0, pi, xneg);
    return select(r, -r, (bitcast<u32>(y) >> 31u) == 1u);
  }
  let yinf = abs(y) == bitcast<f32>(INF_BITS);
  let xinf = abs(x) == bitcast<f32>(INF_BITS);
  if (yinf || xinf) {
    var r: f32;
    if (yinf && xinf) { r = select(pi / 4.0, 3.0 * pi / 4.0, xneg); }
    else if (yinf) { r = pi / 2.0; }
    else { r = select(0.0, pi, xneg); }
    return select(r, -r, y < 0.0);
  }
  return atan2(y, x);
}

fn iop_add(x: i32, y: i32) -> i32 { return x + y; }
fn iop_sub(x: i32, y: i32) -> i32 { return x - y; }
fn iop_mul(x: i32, y: i32) -> i32 { return x * y; }
// integer division truncates toward zero; division by zero gives 0 rather than WGSL's x
fn iop_div(x: i32, y: i32) -> i32 { if (y == 0) { return 0; } return x / y; }
fn iop_pow(x: i32, y: i32) -> i32 {
  // negative exponents: only 1 and -1 have integral results; everything else truncates to 0
  if (y < 0) {
    if (x == 1) { return 1; }
    if (x == -1) { return select(-1, 1, (y & 1) == 0); }
    return 0;
  }
  var r = 1;
  var base = x;
  var e = y;
  loop {
    if (e == 0) { break; }
    if ((e & 1) == 1) { r = r * base; }
    base = base * base;
    e = e >> 1u;
  }
  return r;
}
fn iop_maximum(x: i32, y: i32) -> i32 { return max(x, y); }
fn iop_minimum(x: i32, y: i32) -> i32 { return min(x, y); }

// How each input is indexed (constants, so the compiler drops the unused paths):
// 0 = same layout as the output (index i: lavapipe turns these loads into vector loads),
// 1 = a single broadcast element (index 0), 2 = general strides.
const A_MODE: u32 = {{A_MODE}}u;
const B_MODE: u32 = {{B_MODE}}u;
fn pick(mode: u32, i: u32, strided: u32) -> u32 {
  if (mode == 0u) { return i; }
  if (mode == 1u) { return 0u; }
  return strided;
}

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * (nwg.x * {{WG}}u);
  if (i >= u.n) { return; }
  var ia = i;
  var ib = i;
  if (A_MODE == 2u || B_MODE == 2u) {
    var rem = i;
    ia = 0u;
    ib = 0u;
    for (var d = {{RANK}}u - 1u; d > 0u; d--) {
      let s = u.shape[d >> 2u][d & 3u];
      let c = rem % s;
      rem = rem / s;
      ia += c * u.sa[d >> 2u][d & 3u];
      ib += c * u.sb[d >> 2u][d & 3u];
    }
    ia += rem * u.sa[0].x;
    ib += rem * u.sb[0].x;
  }
  out[i] = {{T}}({{OP}}({{C}}(a[pick(A_MODE, i, ia)]), {{C}}(b[pick(B_MODE, i, ib)])));
}
