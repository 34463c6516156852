// Batched matmul with per-invocation register tiles: each invocation computes a 4x4 block of
// out = op(A) @ op(B), 4 k-steps at a time as 16-FMA outer products held in registers. On a
// software rasteriser (llvmpipe) invocations are SIMD lanes of one CPU thread, so register tiles
// with vec4 loads beat shared-memory tiles with barriers by about 10x.
//
// Layouts (no transposed copies): A is [.., m, k] or, transposed, [.., k, m]; B is [.., k, n] or,
// transposed, [.., n, k]; out is [.., m, n]. Batch dims broadcast: the host passes the output's
// batch shape and each operand's batch strides (0 where it broadcasts).
// Each operand is bound twice (read-only aliasing is allowed): as f32 for scalar loads and as
// vec4<f32> for aligned loads along its contiguous dim, used when that dim is a multiple of 4.
//
// Template parameters (packages/kernels/src/kernels/matmul.ts):
//   {{LOADA}}  loadA_n4 | loadA_n1 | loadA_t4 | loadA_t1   (n = normal layout, t = transposed)
//   {{LOADB}}  loadB_n4 | loadB_n1 | loadB_t4 | loadB_t1
//   {{A1}}     a_n | a_t   (scalar accessor for the k tail);  {{B1}} b_n | b_t
//   {{BRANK}}  rank of the coalesced batch shape (1..8)
//   {{WG_X}}, {{WG_Y}}  workgroup size (x over column tiles, y over row tiles)

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

// A block as a matrix whose column r is A[i + r, k .. k + 3].
// Rows past m read whatever is there: those results are never stored.
fn loadA_n4(off: u32, i: u32, k: u32) -> mat4x4<f32> {
  let p = (off + i * u.k + k) >> 2u;
  let s = u.k >> 2u;
  return mat4x4<f32>(a4[p], a4[p + s], a4[p + 2u * s], a4[p + 3u * s]);
}
fn loadA_t4(off: u32, i: u32, k: u32) -> mat4x4<f32> {
  let p = (off + k * u.m + i) >> 2u;
  let s = u.m >> 2u;
  return transpose(mat4x4<f32>(a4[p], a4[p + s], a4[p + 2u * s], a4[p + 3u * s]));
}
fn loadA_n1(off: u32, i: u32, k: u32) -> mat4x4<f32> {
  var r: mat4x4<f32>;
  for (var c = 0u; c < 4u; c++) {
    r[c] = vec4<f32>(a_n(off, i + c, k), a_n(off, i + c, k + 1u), a_n(off, i + c, k + 2u), a_n(off, i + c, k + 3u));
  }
  return r;
}
fn loadA_t1(off: u32, i: u32, k: u32) -> mat4x4<f32> {
  var r: mat4x4<f32>;
  for (var c = 0u; c < 4u; c++) {
    r[c] = vec4<f32>(a_t(off, i + c, k), a_t(off, i + c, k + 1u), a_t(off, i + c, k + 2u), a_t(off, i + c, k + 3u));
  }
  return r;
}

// B block as a matrix whose column kk is B[k + kk, j .. j + 3].
fn loadB_n4(off: u32, k: u32, j: u32) -> mat4x4<f32> {
  let p = (off + k * u.n + j) >> 2u;
  let s = u.n >> 2u;
  return mat4x4<f32>(b4[p], b4[p + s], b4[p + 2u * s], b4[p + 3u * s]);
}
fn loadB_t4(off: u32, k: u32, j: u32) -> mat4x4<f32> {
  let p = (off + j * u.k + k) >> 2u;
  let s = u.k >> 2u;
  return transpose(mat4x4<f32>(b4[p], b4[p + s], b4[p + 2u * s], b4[p + 3u * s]));
}
fn loadB_n1(off: u32, k: u32, j: u32) -> mat4x4<f32> {
  var r: mat4x4<f32>;
  for (var c = 0u; c < 4u; c++) {
    r[c] = vec4<f32>(b_n(off, k + c, j), b_n(off, k + c, j + 1u), b_n(off, k + c, j + 2u), b_n(off, k + c, j + 3u));
  }
  return r;
}
fn loadB_t1(off: u32, k: u32, j: u32) -> mat4x4<f32> {
  var r: mat4x4<f32>;
  for (var c = 0u; c < 4u; c++) {
    r[c] = vec4<f32>(b_t(off, k + c, j), b_t(off, k + c, j + 1u), b_t(off, k + c, j + 2u), b_t(off, k + c, j + 3u));
  }
  return r;
}

@compute @workgroup_size({{WG_X}}, {{WG_Y}}, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let j = gid.x * 4u;
  let i = gid.y * 4u;
  if (i >= u.m || j >= u.n) { return; }
  // batch offsets of A and B from the output batch index
  var rem = gid.z;
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
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  let k4 = u.k & ~3u;
  for (var k = 0u; k < k4; k += 4u) {
    let A = {{LOADA}}(offA, i, k);
    let B = {{LOADB}}(offB, k, j);
    acc0 += B * A[0];
    acc1 += B * A[1];
    acc2 += B * A[2];
    acc3 += B * A[3];
  }
  for (var k = k4; k < u.k; k++) {
    let bv = vec4<f32>({{B1}}(offB, k, j), {{B1}}(offB, k, j + 1u), {{B1}}(offB, k, j + 2u), {{B1}}(offB, k, j + 3u));
    acc0 += {{A1}}(offA, i, k) * bv;
    acc1 += {{A1}}(offA, i + 1u, k) * bv;
    acc2 += {{A1}}(offA, i + 2u, k) * bv;
    acc3 += {{A1}}(offA, i + 3u, k) * bv;
  }
  let ob = gid.z * u.m * u.n;
  let accs = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
  for (var r = 0u; r < 4u; r++) {
    let row = i + r;
    if (row < u.m) {
      let o = ob + row * u.n + j;
      for (var c = 0u; c < 4u; c++) {
        if (j + c < u.n) { out[o + c] = accs[r][c]; }
      }
    }
  }
}
