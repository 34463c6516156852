// Reductions (sum, max, min, prod) over any set of axes of a dense tensor.
//
// The host splits the input's dims into kept dims (the output, coalesced: kshape/kstrides) and
// reduced dims (coalesced: rshape/rstrides); R is the number of reduced elements per output.
// Two entry points:
//   reduce_rows  one invocation per output, a sequential loop over R that walks the reduced dims
//                with an odometer (no divisions). Used when there are many outputs.
//   reduce_wg    one workgroup per (output, chunk): WG invocations stride over the chunk, then a
//                shared-memory tree combines them. With P chunks per output the result is
//                [O, P] partials, reduced again by the host (two passes keep both cores busy when
//                a few outputs reduce millions of elements).
// Sums are compensated (Kahan) per invocation and combined pairwise by the tree, so a sum of 10^6
// float32 values keeps about 7 significant digits. max/min propagate NaN, as PyTorch does.
//
// Template parameters (packages/kernels/src/kernels/reduce.ts):
//   {{T}}      storage/compute type: f32 | i32 | u32 (bool)
//   {{OP}}     sum | max | min | prod, selecting acc_{{OP}} / merge via acc_{{OP}}
//   {{KAHAN}}  true for f32 sums (compensated), false otherwise
//   {{MAX_INIT_BITS}}, {{MIN_INIT_BITS}}  bit patterns of the max/min identities for T (-inf / +inf for f32)
//   {{KRANK}}  rank of kshape (1..8);  {{RRANK}} rank of rshape (1..8)
//   {{INPUTS}} the input binding(s): `x` at binding 0, or a fused program's buffers (kernels/fused.ts)
//   {{OUT_BINDING}}, {{U_BINDING}}  bindings of `out` and of the uniform (1 and 2 for a plain x)
//   {{LIBRARY}}, {{LOAD}}  functions and body of `load(i)`, the value at logical index i: `x[i]`,
//              or a fused elementwise program evaluated there (its producer, so no buffer is made)
//   {{WG}}     workgroup size

struct Params {
  nout: u32,     // outputs (product of kshape)
  r: u32,        // reduced elements per output (product of rshape)
  chunk: u32,    // reduce_wg: elements per chunk
  parts: u32,    // reduce_wg: chunks per output (P)
  kshape: array<vec4<u32>, 2>,
  kstrides: array<vec4<u32>, 2>,
  rshape: array<vec4<u32>, 2>,
  rstrides: array<vec4<u32>, 2>,
  k: array<vec4<u32>, 8>,   // a fused producer's constants as bit patterns (kernels/fused.ts); unused otherwise
}

{{INPUTS}}
@group(0) @binding({{OUT_BINDING}}) var<storage, read_write> out: array<{{T}}>;
@group(0) @binding({{U_BINDING}}) var<uniform> u: Params;

{{LIBRARY}}

fn load(i: u32) -> {{T}} { {{LOAD}} }

// running value and Kahan compensation (c is 0 for every op but an f32 sum)
struct Acc { v: {{T}}, c: {{T}} }

fn init_sum() -> {{T}} { return {{T}}(0); }
fn init_prod() -> {{T}} { return {{T}}(1); }
// private vars, not constants: WGSL rejects +-inf in constant expressions
var<private> MAX_INIT: u32 = {{MAX_INIT_BITS}}u;
var<private> MIN_INIT: u32 = {{MIN_INIT_BITS}}u;
fn init_max() -> {{T}} { return bitcast<{{T}}>(MAX_INIT); }
fn init_min() -> {{T}} { return bitcast<{{T}}>(MIN_INIT); }


// WGSL lets compilers assume floats are never NaN, so `v != v` may fold to false (it does on
// lavapipe); test the bit pattern instead. Integers convert to non-NaN floats.
fn is_nan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }

fn acc_sum(a: Acc, v: {{T}}) -> Acc {
  if ({{KAHAN}}) {
    let y = v - a.c;
    let t = a.v + y;
    // (t - a.v) - y recovers the low bits lost in t; non-finite sums skip compensation
    let c = (t - a.v) - y;
    // once the sum is not finite the compensation is meaningless (inf - inf); drop it
    return Acc(t, select(c, {{T}}(0), (bitcast<u32>(f32(t)) & 0x7fffffffu) >= 0x7f800000u || is_nan(f32(c))));
  }
  return Acc(a.v + v, a.c);
}
fn acc_prod(a: Acc, v: {{T}}) -> Acc { return Acc(a.v * v, a.c); }
fn acc_max(a: Acc, v: {{T}}) -> Acc {
  if (is_nan(f32(a.v))) { return a; }
  return Acc(select(a.v, v, v > a.v || is_nan(f32(v))), a.c);
}
fn acc_min(a: Acc, v: {{T}}) -> Acc {
  if (is_nan(f32(a.v))) { return a; }
  return Acc(select(a.v, v, v < a.v || is_nan(f32(v))), a.c);
}
// combine two partial results (tree step)
fn merge(a: Acc, b: Acc) -> Acc {
  let s = acc_{{OP}}(a, b.v);
  return Acc(s.v, s.c + b.c);
}

fn kept_offset(o: u32) -> u32 {
  var rem = o;
  var off = 0u;
  for (var d = {{KRANK}}u - 1u; d > 0u; d--) {
    let s = u.kshape[d >> 2u][d & 3u];
    off += (rem % s) * u.kstrides[d >> 2u][d & 3u];
    rem = rem / s;
  }
  return off + rem * u.kstrides[0].x;
}

fn reduced_offset(r: u32) -> u32 {
  var rem = r;
  var off = 0u;
  for (var d = {{RRANK}}u - 1u; d > 0u; d--) {
    let s = u.rshape[d >> 2u][d & 3u];
    off += (rem % s) * u.rstrides[d >> 2u][d & 3u];
    rem = rem / s;
  }
  return off + rem * u.rstrides[0].x;
}

@compute @workgroup_size({{WG}})
fn reduce_rows(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
               @builtin(local_invocation_index) lid: u32) {
  let o = (wid.y * nwg.x + wid.x) * {{WG}}u + lid;
  if (o >= u.nout) { return; }
  var acc = Acc(init_{{OP}}(), {{T}}(0));
  var off = kept_offset(o);
  var c: array<u32, 8>;
  for (var i = 0u; i < u.r; i++) {
    acc = acc_{{OP}}(acc, load(off));
    // odometer step over the reduced dims
    var d = {{RRANK}}u - 1u;
    loop {
      c[d] += 1u;
      off += u.rstrides[d >> 2u][d & 3u];
      let s = u.rshape[d >> 2u][d & 3u];
      if (c[d] < s || d == 0u) { break; }
      off -= s * u.rstrides[d >> 2u][d & 3u];
      c[d] = 0u;
      d -= 1u;
    }
  }
  out[o] = acc.v;
}

var<workgroup> tree_v: array<{{T}}, {{WG}}>;
var<workgroup> tree_c: array<{{T}}, {{WG}}>;

@compute @workgroup_size({{WG}})
fn reduce_wg(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
             @builtin(local_invocation_index) lid: u32) {
  let g = wid.y * nwg.x + wid.x;
  let o = g / u.parts;
  let p = g % u.parts;
  var acc = Acc(init_{{OP}}(), {{T}}(0));
  if (o < u.nout) {
    let base = kept_offset(o);
    let start = p * u.chunk;
    let end = min(u.r, start + u.chunk);
    for (var r = start + lid; r < end; r += {{WG}}u) {
      acc = acc_{{OP}}(acc, load(base + reduced_offset(r)));
    }
  }
  tree_v[lid] = acc.v;
  tree_c[lid] = acc.c;
  workgroupBarrier();
  for (var s = {{WG}}u / 2u; s > 0u; s = s >> 1u) {
    if (lid < s) {
      let m = merge(Acc(tree_v[lid], tree_c[lid]), Acc(tree_v[lid + s], tree_c[lid + s]));
      tree_v[lid] = m.v;
      tree_c[lid] = m.c;
    }
    workgroupBarrier();
  }
  if (lid == 0u && o < u.nout) {
    out[g] = tree_v[0] - tree_c[0];
  }
}
