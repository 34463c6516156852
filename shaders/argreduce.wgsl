// argmax / argmin along one axis: int32 index of the winner; ties give the first index and a NaN
// wins over everything (the first NaN), as PyTorch does.
//
// The host views the input as [outer, A, inner] around the axis; one invocation per output
// (outer * inner of them) scans A.
// Template parameters (packages/kernels/src/kernels/argreduce.ts):
//   {{T}}    storage type of x: f32 | i32 | u32
//   {{CMP}}  better_max or better_min
//   {{WG}}   workgroup size

struct Params {
  nout: u32,    // outer * inner
  a: u32,       // length of the reduced axis
  inner: u32,   // product of dims after the axis
  pad: u32,
}

@group(0) @binding(0) var<storage, read> x: array<{{T}}>;
@group(0) @binding(1) var<storage, read_write> out: array<i32>;
@group(0) @binding(2) var<uniform> u: Params;

// WGSL lets compilers assume floats are never NaN, so `v != v` may fold to false (it does on
// lavapipe); test the bit pattern instead. Integers convert to non-NaN floats.
fn is_nan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }

fn better_max(v: {{T}}, best: {{T}}) -> bool { let bn = is_nan(f32(best)); return !bn && (v > best || is_nan(f32(v))); }
fn better_min(v: {{T}}, best: {{T}}) -> bool { let bn = is_nan(f32(best)); return !bn && (v < best || is_nan(f32(v))); }

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let o = (wid.y * nwg.x + wid.x) * {{WG}}u + lid;
  if (o >= u.nout) { return; }
  let outer = o / u.inner;
  let inn = o - outer * u.inner;
  var off = outer * u.a * u.inner + inn;
  var best = x[off];
  var bi = 0u;
  for (var i = 1u; i < u.a; i++) {
    off += u.inner;
    let v = x[off];
    if ({{CMP}}(v, best)) {
      best = v;
      bi = i;
    }
  }
  out[o] = i32(bi);
}
