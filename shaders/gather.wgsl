// gather and scatterAdd along one axis (torch.gather / torch.scatter_add semantics), int32 index.
//
// Both walk the index tensor's shape (rank R, not coalesced: the axis is special). For index
// element i with coordinates c:
//   gather:      out[i] = x[sum_{d != axis} c_d * xs_d + index[i] * xs_axis]
//   scatterAdd:  out[sum_{d != axis} c_d * os_d + index[i] * os_axis] += src[sum_d c_d * ss_d]
// scatterAdd accumulates with atomics (float: compare-and-swap on the bit pattern, since WGSL has
// no float atomics), so the order of additions into one cell is not fixed. An out-of-range index
// is clamped (WGSL cannot throw) and reported in `bad`: the count, the last bad value seen, the
// axis length and the axis; the backend reads `bad` back with the next result and throws the
// IndexError the CPU backend throws at once.
//
// Template parameters (packages/kernels/src/kernels/gather.ts):
//   {{T}}     storage type of x / src / out: f32 | i32 | u32
//   {{AT}}    atomic word type for scatter: u32 (f32 values, CAS) or i32 (int32, atomicAdd)
//   {{ADD}}   add_cas (floats) or add_int (integers)
//   {{RANK}}  rank of the index tensor, 1..8
//   {{WG}}    workgroup size

struct Params {
  n: u32,        // index elements
  axis: u32,
  alen: u32,     // length of x's (gather) / out's (scatter) axis
  pad0: u32,
  ishape: array<vec4<u32>, 2>,  // index shape
  dstrides: array<vec4<u32>, 2>, // strides of x (gather) or out (scatter)
  sstrides: array<vec4<u32>, 2>, // strides of src (scatter)
}

@group(0) @binding(0) var<storage, read> x: array<{{T}}>;
@group(0) @binding(1) var<storage, read> index: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<{{T}}>;
@group(0) @binding(3) var<storage, read> src: array<{{T}}>;
@group(0) @binding(4) var<storage, read_write> acc: array<atomic<{{AT}}>>;
@group(0) @binding(5) var<uniform> u: Params;
@group(0) @binding(6) var<storage, read_write> bad: array<atomic<u32>, 4>;

// One element per invocation, indexed from global_invocation_id: on lavapipe (llvmpipe) this
// is what its SIMD lanes load as vectors; 4 elements per invocation, or an index built from
// workgroup_id and local_invocation_index, ran slower (bench/README.md, "Kernel choices").

// offsets (into the axis-indexed tensor, into src) of index element i
fn offsets(i: u32) -> vec2u {
  let raw = index[i];
  if (raw < 0 || raw >= i32(u.alen)) {
    atomicAdd(&bad[0], 1u);
    atomicStore(&bad[1], bitcast<u32>(raw));
    atomicStore(&bad[2], u.alen);
    atomicStore(&bad[3], u.axis);
  }
  let k = u32(clamp(raw, 0, i32(u.alen) - 1));
  var rem = i;
  var o = vec2u(0u);
  for (var d = {{RANK}}u; d > 0u; d--) {
    let e = d - 1u;
    let s = u.ishape[e >> 2u][e & 3u];
    let c = rem % s;
    rem = rem / s;
    let cd = select(c, k, e == u.axis);
    o += vec2u(cd * u.dstrides[e >> 2u][e & 3u], c * u.sstrides[e >> 2u][e & 3u]);
  }
  return o;
}

fn add_cas(j: u32, v: {{T}}) {
  var old = atomicLoad(&acc[j]);
  loop {
    let r = atomicCompareExchangeWeak(&acc[j], old, bitcast<{{AT}}>(bitcast<f32>(old) + f32(v)));
    if (r.exchanged) { break; }
    old = r.old_value;
  }
}
fn add_int(j: u32, v: {{T}}) { atomicAdd(&acc[j], bitcast<{{AT}}>(i32(v))); }

@compute @workgroup_size({{WG}})
fn gather(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * (nwg.x * {{WG}}u);
  if (i >= u.n) { return; }
  out[i] = x[offsets(i).x];
}

@compute @workgroup_size({{WG}})
fn scatter_add(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * (nwg.x * {{WG}}u);
  if (i >= u.n) { return; }
  let o = offsets(i);
  {{ADD}}(o.x, src[o.y]);
}
