// Strided copy: out[i] = x[offset + sum_d c_d * strides[d]] where c is i's coordinate in the
// (coalesced) output shape. Permute, expand (stride 0), slice with steps and flip (negative
// strides) are all this one kernel. Strides are signed, the offset points at the first element.
//
// Template parameters (packages/kernels/src/kernels/strided.ts):
//   {{T}}     storage type: f32 | i32 | u32
//   {{RANK}}  rank of the coalesced output, 1..8
//   {{WG}}    workgroup size

struct Params {
  n: u32,
  offset: i32,
  pad0: u32,
  pad1: u32,
  shape: array<vec4<u32>, 2>,
  strides: array<vec4<i32>, 2>,
}

@group(0) @binding(0) var<storage, read> x: array<{{T}}>;
@group(0) @binding(1) var<storage, read_write> out: array<{{T}}>;
@group(0) @binding(2) var<uniform> u: Params;

// One element per invocation, indexed from global_invocation_id: on lavapipe (llvmpipe) this
// is what its SIMD lanes load as vectors; 4 elements per invocation, or an index built from
// workgroup_id and local_invocation_index, ran slower (bench/README.md, "Kernel choices").

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * (nwg.x * {{WG}}u);
  if (i >= u.n) { return; }
  var rem = i;
  var off = u.offset;
  for (var d = {{RANK}}u - 1u; d > 0u; d--) {
    let s = u.shape[d >> 2u][d & 3u];
    off += i32(rem % s) * u.strides[d >> 2u][d & 3u];
    rem = rem / s;
  }
  off += i32(rem) * u.strides[0].x;
  out[i] = x[u32(off)];
}
