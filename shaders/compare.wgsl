// compare, where and cast: the elementwise kernels whose output dtype differs from their input.
// Entry points: `compare` (out bool), `where_select` (cond bool), `cast_values` (dense, any to any).
//
// Template parameters (packages/kernels/src/kernels/compare.ts):
//   {{T}}     storage type of the data inputs: f32 | i32 | u32 (bool is one 0/1 u32 per element)
//   {{TO}}    storage type of the output (cast only; bool -> u32)
//   {{CAST}}  one of the cast_* functions below (cast only)
//   {{OP}}    one of the cmp_* functions below (compare only)
//   {{RANK}}  rank of the coalesced output, 1..8 (compare, where)
//   {{MODE0}}, {{MODE1}}, {{MODE2}}  per input: 0 contiguous, 1 broadcast scalar, 2 strided
//   {{WG}}    workgroup size
// One file serves three pipelines: each descriptor lists the bindings its entry point uses, and
// every entry point must type-check under every specialisation (hence the {{TO}}(...) conversions).

struct Params {
  n: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
  shape: array<vec4<u32>, 2>,   // output dims (coalesced)
  s0: array<vec4<u32>, 2>,      // strides of input 0 (compare: a; where: cond; cast: unused)
  s1: array<vec4<u32>, 2>,      // strides of input 1 (compare: b; where: a)
  s2: array<vec4<u32>, 2>,      // strides of input 2 (where: b)
}

@group(0) @binding(0) var<storage, read> in0: array<{{T0}}>;
@group(0) @binding(1) var<storage, read> in1: array<{{T}}>;
@group(0) @binding(2) var<storage, read> in2: array<{{T}}>;
@group(0) @binding(3) var<storage, read_write> out: array<{{TO}}>;
@group(0) @binding(4) var<uniform> u: Params;

// One element per invocation, indexed from global_invocation_id: on lavapipe (llvmpipe) this
// is what its SIMD lanes load as vectors; 4 elements per invocation, or an index built from
// workgroup_id and local_invocation_index, ran slower (bench/README.md, "Kernel choices").

// WGSL lets compilers assume floats are never NaN, so `v != v` may fold to false (it does on
// lavapipe); test the bit pattern instead. Integers convert to non-NaN floats.
fn is_nan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }

// every comparison with a NaN is false except ne, which is true
fn ordered(x: {{T}}, y: {{T}}) -> bool { return !is_nan(f32(x)) && !is_nan(f32(y)); }
fn cmp_eq(x: {{T}}, y: {{T}}) -> bool { return ordered(x, y) && x == y; }
fn cmp_ne(x: {{T}}, y: {{T}}) -> bool { return !cmp_eq(x, y); }
fn cmp_lt(x: {{T}}, y: {{T}}) -> bool { return ordered(x, y) && x < y; }
fn cmp_le(x: {{T}}, y: {{T}}) -> bool { return ordered(x, y) && x <= y; }
fn cmp_gt(x: {{T}}, y: {{T}}) -> bool { return ordered(x, y) && x > y; }
fn cmp_ge(x: {{T}}, y: {{T}}) -> bool { return ordered(x, y) && x >= y; }

// float -> int truncates toward zero (WGSL's i32(f32) does, saturating out of range; NaN -> 0)
fn cast_f32_i32(v: f32) -> i32 { return select(i32(v), 0, is_nan(v)); }
fn cast_f32_u32(v: f32) -> u32 { return select(0u, 1u, v != 0.0 || is_nan(v)); }
fn cast_f32_f32(v: f32) -> f32 { return v; }
fn cast_i32_f32(v: i32) -> f32 { return f32(v); }
fn cast_i32_u32(v: i32) -> u32 { return select(0u, 1u, v != 0); }
fn cast_i32_i32(v: i32) -> i32 { return v; }
fn cast_u32_f32(v: u32) -> f32 { return f32(v); }
fn cast_u32_i32(v: u32) -> i32 { return i32(v); }
fn cast_u32_u32(v: u32) -> u32 { return v; }

// How each input is indexed (constants, so the compiler drops the unused paths): 0 = same layout
// as the output (index i, which lavapipe vectorises), 1 = one broadcast element, 2 = strides.
const MODE0: u32 = {{MODE0}}u;
const MODE1: u32 = {{MODE1}}u;
const MODE2: u32 = {{MODE2}}u;
fn pick(mode: u32, i: u32, strided: u32) -> u32 {
  if (mode == 0u) { return i; }
  if (mode == 1u) { return 0u; }
  return strided;
}

// Offsets of output element i in up to three inputs, from the coalesced output shape.
fn offsets(i: u32) -> vec3u {
  if (MODE0 != 2u && MODE1 != 2u && MODE2 != 2u) {
    return vec3u(pick(MODE0, i, 0u), pick(MODE1, i, 0u), pick(MODE2, i, 0u));
  }
  var rem = i;
  var o = vec3u(0u);
  for (var d = {{RANK}}u - 1u; d > 0u; d--) {
    let s = u.shape[d >> 2u][d & 3u];
    let c = rem % s;
    rem = rem / s;
    o += c * vec3u(u.s0[d >> 2u][d & 3u], u.s1[d >> 2u][d & 3u], u.s2[d >> 2u][d & 3u]);
  }
  o += rem * vec3u(u.s0[0].x, u.s1[0].x, u.s2[0].x);
  return vec3u(pick(MODE0, i, o.x), pick(MODE1, i, o.y), pick(MODE2, i, o.z));
}

@compute @workgroup_size({{WG}})
fn compare(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * (nwg.x * {{WG}}u);
  if (i >= u.n) { return; }
  let o = offsets(i);
  out[i] = {{TO}}(select(0u, 1u, {{OP}}(in1[o.y], in2[o.z])));
}

@compute @workgroup_size({{WG}})
fn where_select(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * (nwg.x * {{WG}}u);
  if (i >= u.n) { return; }
  let o = offsets(i);
  out[i] = {{TO}}(select(in2[o.z], in1[o.y], in0[o.x] != {{T0}}(0)));
}

@compute @workgroup_size({{WG}})
fn cast_values(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * (nwg.x * {{WG}}u);
  if (i >= u.n) { return; }
  out[i] = {{CAST}}(in0[i]);
}
