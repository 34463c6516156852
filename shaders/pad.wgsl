// Constant padding: out[c] = x[c - before] inside the input, `value` outside.
//
// Template parameters (packages/kernels/src/kernels/pad.ts):
//   {{T}}     storage type: f32 | i32 | u32
//   {{RANK}}  rank after merging unpadded neighbouring dims, 1..8
//   {{WG}}    workgroup size

struct Params {
  n: u32,
  bits: u32,    // pad value's bit pattern as T
  pad0: u32,
  pad1: u32,
  oshape: array<vec4<u32>, 2>,   // output dims
  ishape: array<vec4<u32>, 2>,   // input dims
  before: array<vec4<u32>, 2>,   // leading pad per dim
  istrides: array<vec4<u32>, 2>, // input strides
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
  var off = 0u;
  var inside = true;
  for (var d = {{RANK}}u; d > 0u; d--) {
    let e = d - 1u;
    let s = u.oshape[e >> 2u][e & 3u];
    let c = rem % s;
    rem = rem / s;
    // unsigned wrap makes c < before land far above ishape, so one comparison checks both ends
    let ci = c - u.before[e >> 2u][e & 3u];
    inside = inside && ci < u.ishape[e >> 2u][e & 3u];
    off += ci * u.istrides[e >> 2u][e & 3u];
  }
  out[i] = select(bitcast<{{T}}>(u.bits), x[select(0u, off, inside)], inside);
}
