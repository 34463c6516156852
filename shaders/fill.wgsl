// fill: every element of a buffer set to one value. The value travels as its 32-bit pattern so
// NaN, infinities and int32 values all arrive exactly.
//
// Template parameters (packages/kernels/src/kernels/fill.ts):
//   {{T}}   storage type: f32 | i32 | u32
//   {{WG}}  workgroup size

struct Params {
  n: u32,
  bits: u32,   // the value's bit pattern as {{T}}
  pad0: u32,
  pad1: u32,
}

@group(0) @binding(0) var<storage, read_write> y: array<{{T}}>;
@group(0) @binding(1) var<uniform> u: Params;

// One element per invocation, indexed from global_invocation_id: on lavapipe (llvmpipe) this
// is what its SIMD lanes load as vectors; 4 elements per invocation, or an index built from
// workgroup_id and local_invocation_index, ran slower (bench/README.md, "Kernel choices").

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * (nwg.x * {{WG}}u);
  let v = bitcast<{{T}}>(u.bits);
  if (i < u.n) { y[i] = v; }
}
