// concat: copies one input into its slot of the output, one dispatch per input.
// The input is viewed as [outer, len] with len = (its axis length) * inner; its element (o, j)
// goes to out[o * ostride + offset + j], where ostride = (output axis length) * inner and offset
// = (sum of earlier inputs' axis lengths) * inner. When outer is 1 the host uses a plain buffer copy.
//
// Template parameters (packages/kernels/src/kernels/concat.ts):
//   {{T}}   storage type: f32 | i32 | u32
//   {{WG}}  workgroup size

struct Params {
  n: u32,        // input elements (outer * len)
  len: u32,
  ostride: u32,
  offset: u32,
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
  let o = i / u.len;
  out[o * u.ostride + u.offset + (i - o * u.len)] = x[i];
}
