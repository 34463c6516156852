// Batched matmul for adapters with 8-wide subgroups (llvmpipe/lavapipe): one workgroup is one
// subgroup of 8 invocations and computes a {{R}}-row x 32-column tile of out = op(A) @ op(B); each
// invocation holds {{R}} x 4 accumulators. The tile's rows of A are loaded once per subgroup (lane
// l loads rows l, l + 8, ...) and handed to every lane with subgroupShuffle, so each A element is
// loaded once per subgroup instead of once per lane. On llvmpipe a storage load whose address
// varies per invocation is a loop over the 8 lanes with a bounds check per element, so loads per
// FMA decide the speed, and a vec4 load (one lane loop for 4 elements) costs far less than 4
// scalar ones: each operand is bound twice (read-only aliasing is allowed), as f32 and as
// vec4<f32>, and the vec4 view is used along its contiguous dim when that dim is a multiple of 4
// (the measurement: bench/README.md, "Kernel choices").
// Without 8-wide subgroups, matmul.wgsl's 4x4 register tile is the kernel.
//
// Layouts (no transposed copies): A is [.., m, k] or, transposed, [.., k, m]; B is [.., k, n] or,
// transposed, [.., n, k]; out is [.., m, n]. Batch dims broadcast as in matmul.wgsl. Rows past m
// and columns past n load the last row/column (clamped) and are never stored, so every lane runs
// the same loop (subgroup operations need uniform control flow).
//
// Template parameters (packages/kernels/src/kernels/matmul.ts):
//   {{ROWA}}   rowA_n4 | rowA_1   (A[i, k .. k + 3]: one vec4 load, or 4 scalar loads)
//   {{A1}}     a_n | a_t   (A normal or transposed, scalar accessor)
//   {{BLOCKB}} blockB_n4 | blockB_t4 | blockB_1   (B[k .. k + 3, j .. j + 3])
//   {{B1}}     b_n | b_t
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
@group(0) @binding(1) var<storage, read> a4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b1: array<f32>;
@group(0) @binding(3) var<storage, read> b4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<uniform> u: Params;

fn a_n(off: u32, i: u32, kk: u32) -> f32 { return a1[off + i * u.k + kk]; }
fn a_t(off: u32, i: u32, kk: u32) -> f32 { return a1[off + kk * u.m + i]; }
fn b_n(off: u32, kk: u32, j: u32) -> f32 { return b1[off + kk * u.n + j]; }
fn b_t(off: u32, kk: u32, j: u32) -> f32 { return b1[off + j * u.k + kk]; }

// A[i, k .. k + 3]
fn rowA_n4(off: u32, i: u32, k: u32) -> vec4<f32> { return a4[(off + i * u.k + k) >> 2u]; }
fn rowA_1(off: u32, i: u32, k: u32) -> vec4<f32> {
  return vec4<f32>({{A1}}(off, i, k), {{A1}}(off, i, k + 1u), {{A1}}(off, i, k + 2u), {{A1}}(off, i, k + 3u));
}

// B[k .. k + 3, jc] as a matrix whose column kk is row k + kk of B at the (clamped) columns jc.
// blockB_n4: jc.x = min(j, n - 1) with j and n multiples of 4, so the vec4 holding jc.x is
// columns j .. j + 3 (or the last 4 columns when j is past n).
fn blockB_n4(off: u32, k: u32, jc: vec4<u32>) -> mat4x4<f32> {
  let p = (off + k * u.n + jc.x) >> 2u;
  let s = u.n >> 2u;
  return mat4x4<f32>(b4[p], b4[p + s], b4[p + 2u * s], b4[p + 3u * s]);
}
fn blockB_t4(off: u32, k: u32, jc: vec4<u32>) -> mat4x4<f32> {
  return transpose(mat4x4<f32>(b4[(off + jc.x * u.k + k) >> 2u], b4[(off + jc.y * u.k + k) >> 2u],
                               b4[(off + jc.z * u.k + k) >> 2u], b4[(off + jc.w * u.k + k) >> 2u]));
}
fn blockB_1(off: u32, k: u32, jc: vec4<u32>) -> mat4x4<f32> {
  var r: mat4x4<f32>;
  for (var kk = 0u; kk < 4u; kk++) {
    r[kk] = vec4<f32>({{B1}}(off, k + kk, jc.x), {{B1}}(off, k + kk, jc.y), {{B1}}(off, k + kk, jc.z), {{B1}}(off, k + kk, jc.w));
  }
  return r;
}

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
    for (var h = 0u; h < H; h++) { av[h] = {{ROWA}}(offA, arow[h], k); }
    let bv = {{BLOCKB}}(offB, k, jc);
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
