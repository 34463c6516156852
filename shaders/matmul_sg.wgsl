// Batched matmul for adapters with 8-wide subgroups (llvmpipe/lavapipe): one workgroup is one
// subgroup of 8 invocations and computes a {{R}}-row x 32-column tile of out = op(A) @ op(B); each
// invocation holds {{R}} x 4 accumulators. The tile's rows of A are loaded once per subgroup (lane
// l loads rows l, l + 8, ...) and handed to every lane with subgroupShuffle, so each A element is
// loaded once per subgroup instead of once per lane. On llvmpipe every storage load whose address
// varies per invocation costs a gather per element, so loads per FMA decide the speed: 1024^3 runs
// about 7x faster than the 4x4 register tile of matmul.wgsl, which stays the kernel for adapters
// without 8-wide subgroups.
//
// Layouts (no transposed copies): A is [.., m, k] or, transposed, [.., k, m]; B is [.., k, n] or,
// transposed, [.., n, k]; out is [.., m, n]. Batch dims broadcast as in matmul.wgsl. Rows past m
// and columns past n load the last row/column (clamped) and are never stored, so every lane runs
// the same loop (subgroup operations need uniform control flow).
//
// Template parameters (packages/kernels/src/kernels/matmul.ts):
//   {{A1}}     a_n | a_t   (A normal or transposed);  {{B1}} b_n | b_t
//   {{R}}      rows per tile (a multiple of 8)
//   {{BRANK}}  rank of the coalesced batch shape (1..8)
//   {{WG}}     workgroup size (8 = the subgroup size)

enable subgroups;

struct Params {
  m: u32,
  n: u32,
  k: u32,
  pad0: u32,
  bshape: array<vec4<u32>, 2>,   // output batch dims
  bsa: array<vec4<u32>, 2>,      // A's batch strides (elements)
  bsb: array<vec4<u32>, 2>,      // B's batch strides
}

@group(0) @binding(0) var<storage, read> a1: array<f32>;
@group(0) @binding(1) var<storage, read> b1: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> u: Params;

fn a_n(off: u32, i: u32, kk: u32) -> f32 { return a1[off + i * u.k + kk]; }
fn a_t(off: u32, i: u32, kk: u32) -> f32 { return a1[off + kk * u.m + i]; }
fn b_n(off: u32, kk: u32, j: u32) -> f32 { return b1[off + kk * u.n + j]; }
fn b_t(off: u32, kk: u32, j: u32) -> f32 { return b1[off + j * u.k + kk]; }

const R = {{R}}u;
const H = R / 8u;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(subgroup_invocation_id) sl: u32) {
  let j = (wid.x * 8u + sl) * 4u;
  let i0 = wid.y * R;
  var rem = wid.z;
  var offA = 0u;
  var offB = 0u;
  for (var d = {{BRANK}}u; d > 0u; d--) {
    let e = d - 1u;
    let s = u.bshape[e >> 2u][e & 3u];
    let c = rem % s;
    rem = rem / s;
    offA += c * u.bsa[e >> 2u][e & 3u];
    offB += c * u.bsb[e >> 2u][e & 3u];
  }
  var arow: array<u32, H>;
  for (var h = 0u; h < H; h++) { arow[h] = min(i0 + h * 8u + sl, u.m - 1u); }
  let jc = min(vec4<u32>(j, j + 1u, j + 2u, j + 3u), vec4<u32>(u.n - 1u));
  var acc: array<vec4<f32>, R>;
  let k4 = u.k & ~3u;
  for (var k = 0u; k < k4; k += 4u) {
    var av: array<vec4<f32>, H>;
    for (var h = 0u; h < H; h++) {
      av[h] = vec4<f32>({{A1}}(offA, arow[h], k), {{A1}}(offA, arow[h], k + 1u), {{A1}}(offA, arow[h], k + 2u), {{A1}}(offA, arow[h], k + 3u));
    }
    var bv: array<vec4<f32>, 4>;
    for (var kk = 0u; kk < 4u; kk++) {
      bv[kk] = vec4<f32>({{B1}}(offB, k + kk, jc.x), {{B1}}(offB, k + kk, jc.y), {{B1}}(offB, k + kk, jc.z), {{B1}}(offB, k + kk, jc.w));
    }
    // rows outermost: each accumulator is loaded and stored once per 4 FMAs (R x 4 accumulators
    // do not fit in llvmpipe's 16 vector registers and spill)
    for (var r = 0u; r < R; r++) {
      let ar = subgroupShuffle(av[r / 8u], r % 8u);
      var t = acc[r];
      t = fma(vec4<f32>(ar.x), bv[0], t);
      t = fma(vec4<f32>(ar.y), bv[1], t);
      t = fma(vec4<f32>(ar.z), bv[2], t);
      t = fma(vec4<f32>(ar.w), bv[3], t);
      acc[r] = t;
    }
  }
  for (var k = k4; k < u.k; k++) {
    var a: array<f32, H>;
    for (var h = 0u; h < H; h++) { a[h] = {{A1}}(offA, arow[h], k); }
    let bv = vec4<f32>({{B1}}(offB, k, jc.x), {{B1}}(offB, k, jc.y), {{B1}}(offB, k, jc.z), {{B1}}(offB, k, jc.w));
    for (var r = 0u; r < R; r++) {
      acc[r] = fma(vec4<f32>(subgroupShuffle(a[r / 8u], r % 8u)), bv, acc[r]);
    }
  }
  let ob = wid.z * u.m * u.n;
  for (var r = 0u; r < R; r++) {
    let row = i0 + r;
    if (row < u.m) {
      let o = ob + row * u.n + j;
      for (var c = 0u; c < 4u; c++) {
        if (j + c < u.n) { out[o + c] = acc[r][c]; }
      }
    }
  }
}
