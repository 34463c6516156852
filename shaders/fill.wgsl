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

const VPT: u32 = 4u;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let base = (wid.y * nwg.x + wid.x) * ({{WG}}u * VPT) + lid;
  let v = bitcast<{{T}}>(u.bits);
  for (var k = 0u; k < VPT; k++) {
    let i = base + k * {{WG}}u;
    if (i < u.n) { y[i] = v; }
  }
}
