// max pooling over [H, W] planes: values and the int32 flat index (y*W + x) of each winner in its
// plane. Padded cells never win (PyTorch pads with -inf); ties keep the first cell in scan order;
// NaN wins and a later NaN replaces it (PyTorch's CPU kernel tests `v > max || isnan(v)`).
// One invocation per output.
//
// Template parameters (packages/kernels/src/kernels/maxpool.ts):
//   {{T}}   storage type of x and values: f32 | i32
//   {{LOWEST}} bit pattern of the smallest value of T (-inf for f32)
//   {{WG}}  workgroup size

struct Params {
  planes: u32, h: u32, w: u32, pad0: u32,
  ho: u32, wo: u32, kh: u32, kw: u32,
  sh: u32, sw: u32, ph: u32, pw: u32,
  dh: u32, dw: u32, pad1: u32, pad2: u32,
}

@group(0) @binding(0) var<storage, read> x: array<{{T}}>;
@group(0) @binding(1) var<storage, read_write> values: array<{{T}}>;
@group(0) @binding(2) var<storage, read_write> indices: array<i32>;
@group(0) @binding(3) var<uniform> u: Params;

// WGSL lets compilers assume floats are never NaN, so `v != v` may fold to false (it does on
// lavapipe); test the bit pattern instead. Integers convert to non-NaN floats.
fn is_nan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }

// a private var, not a constant: WGSL rejects -inf in constant expressions
var<private> LOWEST: u32 = {{LOWEST}}u;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * {{WG}}u + lid;
  let per = u.ho * u.wo;
  if (i >= u.planes * per) { return; }
  let plane = i / per;
  let r = i - plane * per;
  let oy = r / u.wo;
  let ox = r - oy * u.wo;
  let base = plane * u.h * u.w;
  let y0 = i32(oy * u.sh) - i32(u.ph);
  let x0 = i32(ox * u.sw) - i32(u.pw);
  var best = bitcast<{{T}}>(LOWEST);
  var bi = -1;
  for (var ky = 0u; ky < u.kh; ky++) {
    let y = y0 + i32(ky * u.dh);
    if (y < 0 || y >= i32(u.h)) { continue; }
    for (var kx = 0u; kx < u.kw; kx++) {
      let xx = x0 + i32(kx * u.dw);
      if (xx < 0 || xx >= i32(u.w)) { continue; }
      let idx = y * i32(u.w) + xx;
      let v = x[base + u32(idx)];
      if (bi < 0 || v > best || is_nan(f32(v))) {
        best = v;
        bi = idx;
      }
    }
  }
  values[i] = best;
  if (bi < 0) {
    // no tap inside the plane (possible with dilation): -inf at the clamped first tap, as the CPU backend
    let yf = select(y0, y0 + ((-y0 + i32(u.dh) - 1) / i32(u.dh)) * i32(u.dh), y0 < 0);
    let xf = select(x0, x0 + ((-x0 + i32(u.dw) - 1) / i32(u.dw)) * i32(u.dw), x0 < 0);
    bi = min(yf, i32(u.h) - 1) * i32(u.w) + min(xf, i32(u.w) - 1);
  }
  indices[i] = bi;
}
