// Elementwise unary ops on a dense buffer: y[i] = OP(x[i]).
//
// Template parameters (filled by packages/kernels/src/kernels/unary.ts):
//   {{T}}   storage type of x and y: f32 (float32), i32 (int32), u32 (bool, one 0/1 word per element)
//   {{C}}   type the op computes in: f32, or i32 for the integer-exact ops on int32 tensors
//   {{OP}}  name of one of the op_* (f32) or iop_* (i32) functions below
//   {{WG}}  workgroup size

struct Params {
  n: u32,       // element count
  p0: f32,      // slope (leakyRelu), beta (softplus), min (clamp)
  p1: f32,      // threshold (softplus), max (clamp)
  pad: u32,
}

@group(0) @binding(0) var<storage, read> x: array<{{T}}>;
@group(0) @binding(1) var<storage, read_write> y: array<{{T}}>;
@group(0) @binding(2) var<uniform> u: Params;

// One element per invocation, indexed from global_invocation_id: on lavapipe (llvmpipe) this
// is what its SIMD lanes load as vectors; 4 elements per invocation, or an index built from
// workgroup_id and local_invocation_index, ran slower (bench/README.md, "Kernel choices").

// WGSL lets compilers assume floats are never NaN, so `v != v` may fold to false (it does on
// lavapipe); test the bit pattern instead. Integers convert to non-NaN floats.
fn is_nan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }

fn op_neg(v: f32) -> f32 { return -v; }
fn op_abs(v: f32) -> f32 { return abs(v); }
fn op_sign(v: f32) -> f32 { if (is_nan(v)) { return v; } return sign(v); }
fn op_exp(v: f32) -> f32 { return exp(v); }
fn op_log(v: f32) -> f32 { return log(v); }
// log1p without cancellation (Goldberg): log(u) * x / (u - 1) with u = 1 + x.
fn op_log1p(v: f32) -> f32 {
  let w = 1.0 + v;
  if (w == 1.0) { return v; }
  if (w == 0.0) { return log(w); }
  let r = log(w) * (v / (w - 1.0));
  return select(r, log(w), v > 1e30 || is_nan(v));
}
// expm1 without cancellation (Kahan): (u - 1) * x / log(u) with u = exp(x).
fn op_expm1(v: f32) -> f32 {
  let w = exp(v);
  if (w == 1.0) { return v; }
  let wm1 = w - 1.0;
  if (wm1 == -1.0) { return -1.0; }
  if (v > 80.0 || is_nan(v)) { return wm1; }
  return wm1 * (v / log(w));
}
fn op_sqrt(v: f32) -> f32 { return sqrt(v); }
fn op_rsqrt(v: f32) -> f32 { return 1.0 / sqrt(v); }
fn op_reciprocal(v: f32) -> f32 { return 1.0 / v; }
fn op_sin(v: f32) -> f32 { return sin(v); }
fn op_cos(v: f32) -> f32 { return cos(v); }
// tanh from exp(-2|x|): never overflows, exact sign, no NaN for large |x|.
fn op_tanh(v: f32) -> f32 {
  if (is_nan(v)) { return v; }
  let e = exp(-2.0 * abs(v));
  let t = (1.0 - e) / (1.0 + e);
  return select(t, -t, v < 0.0);
}
// sigmoid evaluated on the side where exp cannot overflow.
fn op_sigmoid(v: f32) -> f32 {
  if (v >= 0.0) { return 1.0 / (1.0 + exp(-v)); }
  let e = exp(v);
  return e / (1.0 + e);
}
// select() keeps NaN flowing through (max(NaN, 0) is implementation-defined in WGSL).
fn op_relu(v: f32) -> f32 { return select(v, 0.0, v < 0.0); }
fn op_leakyRelu(v: f32) -> f32 { return select(v, v * u.p0, v < 0.0); }
// PyTorch: x where beta*x > threshold, else log1p(exp(beta*x)) / beta.
fn op_softplus(v: f32) -> f32 {
  let bx = u.p0 * v;
  if (bx > u.p1) { return v; }
  return op_log1p(exp(bx)) / u.p0;
}
fn op_floor(v: f32) -> f32 { return floor(v); }
fn op_ceil(v: f32) -> f32 { return ceil(v); }
// WGSL's round() rounds half to even, as PyTorch does.
fn op_round(v: f32) -> f32 { return round(v); }
// PyTorch's clamp: min(max(x, lo), hi), NaN stays NaN, lo > hi gives hi.
fn op_clamp(v: f32) -> f32 {
  let lo = select(v, u.p0, v < u.p0);
  return select(lo, u.p1, lo > u.p1);
}

// Integer-exact versions for int32 tensors.
fn iop_neg(v: i32) -> i32 { return -v; }
fn iop_abs(v: i32) -> i32 { return abs(v); }
fn iop_sign(v: i32) -> i32 { return sign(v); }
fn iop_relu(v: i32) -> i32 { return max(v, 0); }
fn iop_identity(v: i32) -> i32 { return v; }
fn iop_clamp(v: i32) -> i32 {
  // bounds arrive as f32; ceil/floor keep the comparison exact for integer inputs
  let lo = select(v, i32(ceil(u.p0)), f32(v) < u.p0);
  return select(lo, i32(floor(u.p1)), f32(lo) > u.p1);
}

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * (nwg.x * {{WG}}u);
  if (i < u.n) {
    y[i] = {{T}}({{OP}}({{C}}(x[i])));
  }
}
