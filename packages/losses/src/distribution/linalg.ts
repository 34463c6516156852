/**
 * Dense float64 linear algebra on the host for the distribution metrics: a pivoted Cholesky
 * factor of a positive semi-definite matrix, the congruence L^T A L, and the eigenvalues of a
 * symmetric matrix. Matrices are row-major `Float64Array`s. WGSL has no f64 and FID needs float64
 * (float32 accumulators give wrong or NaN FIDs: torcheval#192, MONAI GenerativeModels#231), so
 * this runs in TypeScript; the cubic work goes through core's packed GEMM (`gemm`).
 */
import { gemm } from '@pixgrad/core';
import { simdWorkspace } from './linalg-simd.js';

/** Panel width of the blocked factorisations. */
const NB = 64;

/** L (n x rank, row-major, lower triangular in pivot order) with P A P^T = L L^T up to `tol`. */
export interface PivotedCholesky {
  L: Float64Array;
  rank: number;
  /** perm[i]: the row of A that became row i (the first `rank` are the pivots in order) */
  perm: Int32Array;
}

/** Swaps rows/columns i < j of a symmetric matrix held in the lower triangle of `a` (LAPACK's dsyswapr, lower). */
function swapSymmetric(a: Float64Array, n: number, i: number, j: number): void {
  const ri = i * n;
  const rj = j * n;
  let t: number;
  for (let c = 0; c < i; c++) {
    t = a[ri + c]!;
    a[ri + c] = a[rj + c]!;
    a[rj + c] = t;
  }
  t = a[ri + i]!;
  a[ri + i] = a[rj + j]!;
  a[rj + j] = t;
  for (let c = i + 1; c < j; c++) {
    t = a[c * n + i]!;
    a[c * n + i] = a[rj + c]!;
    a[rj + c] = t;
  }
  for (let r = j + 1; r < n; r++) {
    t = a[r * n + i]!;
    a[r * n + i] = a[r * n + j]!;
    a[r * n + j] = t;
  }
}

/**
 * Pivoted (semi-definite) Cholesky, LAPACK dpstrf's blocked right-looking algorithm on the lower
 * triangle: inside a panel of NB columns each step takes the largest remaining diagonal (updated
 * by the panel so far) as the pivot and forms its column with short dot products; after the panel,
 * the trailing matrix gets one GEMM update. It stops when the largest remaining diagonal falls to
 * `tol` (default n * eps * max diag, dpstrf's), so a rank-deficient covariance (fewer samples than
 * dimensions) factors into exactly its rank. Only the lower triangle of `A` is read; A is not modified.
 */
export function pivotedCholesky(A: Float64Array, n: number, tol?: number): PivotedCholesky {
  const a = Float64Array.from(A);
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, a[i * n + i]!);
  const stop = tol ?? n * 2.220446049250313e-16 * maxDiag;
  const work = new Float64Array(n); // sum of squares of the current panel's entries per row
  let rank = n;
  let panel = new Float64Array(0);
  outer: for (let k0 = 0; k0 < n; k0 += NB) {
    const k1 = Math.min(k0 + NB, n);
    work.fill(0);
    for (let k = k0; k < k1; k++) {
      let p = -1;
      let best = -Infinity;
      for (let i = k; i < n; i++) {
        const v = a[i * n + i]! - work[i]!;
        if (v > best) {
          best = v;
          p = i;
        }
      }
      if (!(best > stop)) {
        rank = k;
        // the panel's columns so far are final; the trailing update is not needed past the rank
        break outer;
      }
      if (p !== k) {
        swapSymmetric(a, n, k, p);
        [work[k], work[p]] = [work[p]!, work[k]!];
        [perm[k], perm[p]] = [perm[p]!, perm[k]!];
      }
      const lkk = Math.sqrt(best);
      const rk = k * n;
      a[rk + k] = lkk;
      for (let i = k + 1; i < n; i++) {
        const ri = i * n;
        let s = a[ri + k]!;
        for (let j = k0; j < k; j++) s -= a[ri + j]! * a[rk + j]!;
        const v = s / lkk;
        a[ri + k] = v;
        work[i] += v * v;
      }
    }
    // trailing update, lower triangle, by row blocks: A[r0:r1, k1:r1] -= L[r0:r1, k0:k1] L[k1:r1, k0:k1]^T
    const w = k1 - k0;
    if (k1 < n) {
      if (panel.length < (n - k1) * w) panel = new Float64Array((n - k1) * w);
      for (let i = k1; i < n; i++) for (let j = 0; j < w; j++) panel[(i - k1) * w + j] = -a[i * n + k0 + j]!;
      for (let r0 = k1; r0 < n; r0 += 256) {
        const r1 = Math.min(r0 + 256, n);
        gemm(r1 - r0, r1 - k1, w, panel, (r0 - k1) * w, w, 1, a, k1 * n + k0, 1, n, a, r0 * n + k1, n);
      }
    }
  }
  const L = new Float64Array(n * rank);
  for (let i = 0; i < n; i++) {
    const m = Math.min(i + 1, rank);
    for (let j = 0; j < m; j++) L[i * rank + j] = a[i * n + j]!;
  }
  return { L, rank, perm };
}

/**
 * L^T B L for symmetric B (n x n) and a pivoted Cholesky factor L of another matrix A (n x r): the
 * r x r symmetric matrix whose eigenvalues are the non-zero eigenvalues of A B. B is permuted like
 * A, which makes L lower triangular, so both GEMMs skip its zero half (about n^3 / 3 + n^3 flops).
 */
export function congruence(B: Float64Array, n: number, f: PivotedCholesky): Float64Array {
  const r = f.rank;
  const L = f.L;
  const Bp = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const src = f.perm[i]! * n;
    const dst = i * n;
    for (let j = 0; j < n; j++) Bp[dst + j] = B[src + f.perm[j]!]!;
  }
  // Y = Bp L, column block [c0, c1) reads only rows c0.. of L
  const Y = new Float64Array(n * r);
  for (let c0 = 0; c0 < r; c0 += NB) {
    const c1 = Math.min(c0 + NB, r);
    gemm(n, c1 - c0, n - c0, Bp, c0, n, 1, L, c0 * r + c0, r, 1, Y, c0, r);
  }
  // M = L^T Y, lower triangle by row blocks: M[c0:c1, 0:c1] = L[c0:, c0:c1]^T Y[c0:, 0:c1]
  const M = new Float64Array(r * r);
  for (let c0 = 0; c0 < r; c0 += NB) {
    const c1 = Math.min(c0 + NB, r);
    gemm(c1 - c0, c1, n - c0, L, c0 * r + c0, 1, r, Y, c0 * r, r, 1, M, c0 * r, r);
  }
  for (let i = 0; i < r; i++) for (let j = 0; j < i; j++) M[j * r + i] = M[i * r + j]!;
  return M;
}

/**
 * p[m..n) = A[m.., m..] v for symmetric A held in its lower triangle (rows i >= m, columns m..i).
 * Four rows at a time: each v[c] and p[c] is loaded once per four rows, and the row dots and the
 * column scatters (the upper half by symmetry) share the loads of A.
 */
function symmetricMatVecLower(A: Float64Array, n: number, m: number, v: Float64Array, p: Float64Array): void {
  p.fill(0, m, n);
  let i = m;
  for (; i + 3 < n; i += 4) {
    const r0 = i * n;
    const r1 = r0 + n;
    const r2 = r1 + n;
    const r3 = r2 + n;
    const v0 = v[i]!;
    const v1 = v[i + 1]!;
    const v2 = v[i + 2]!;
    const v3 = v[i + 3]!;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let c = m; c < i; c++) {
      const a0 = A[r0 + c]!;
      const a1 = A[r1 + c]!;
      const a2 = A[r2 + c]!;
      const a3 = A[r3 + c]!;
      const x = v[c]!;
      s0 += a0 * x;
      s1 += a1 * x;
      s2 += a2 * x;
      s3 += a3 * x;
      p[c] += a0 * v0 + a1 * v1 + a2 * v2 + a3 * v3;
    }
    // the 4x4 diagonal block (lower part)
    const a10 = A[r1 + i]!;
    const a20 = A[r2 + i]!;
    const a21 = A[r2 + i + 1]!;
    const a30 = A[r3 + i]!;
    const a31 = A[r3 + i + 1]!;
    const a32 = A[r3 + i + 2]!;
    p[i] += s0 + A[r0 + i]! * v0 + a10 * v1 + a20 * v2 + a30 * v3;
    p[i + 1] += s1 + a10 * v0 + A[r1 + i + 1]! * v1 + a21 * v2 + a31 * v3;
    p[i + 2] += s2 + a20 * v0 + a21 * v1 + A[r2 + i + 2]! * v2 + a32 * v3;
    p[i + 3] += s3 + a30 * v0 + a31 * v1 + a32 * v2 + A[r3 + i + 3]! * v3;
  }
  for (; i < n; i++) {
    const r = i * n;
    const vi = v[i]!;
    let s = 0;
    for (let c = m; c < i; c++) {
      const a = A[r + c]!;
      s += a * v[c]!;
      p[c] += a * vi;
    }
    p[i] += s + A[r + i]! * vi;
  }
}

/**
 * Eigenvalues of a symmetric n x n matrix (ascending), from its lower triangle: Householder
 * reduction to tridiagonal form, blocked as LAPACK's dsytrd/dlatrd (Golub and Van Loan, 8.3.1 and
 * 5.2.3): within a panel of NB columns each reflector's A v is a read-only symmetric matrix-vector
 * product with the matrix as it was at the panel's start, corrected by the panel's earlier
 * reflectors (V W^T + W V^T); the trailing matrix is then updated once per panel by two GEMMs on
 * its lower triangle. Then the implicit QL iteration (EISPACK tql1). The matrix-vector products
 * run in WebAssembly SIMD where it exists (linalg-simd.ts; the matrix is copied into its memory),
 * else in the 4-row JS loop. `input` may be overwritten.
 */
export function symmetricEigenvalues(input: Float64Array, n: number): Float64Array {
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  // the matrix and the vectors of the matrix-vector products, in a wasm memory when SIMD is there
  const ws = simdWorkspace(n * n + 2 * n);
  const A = ws ? ws.memory.subarray(0, n * n) : input;
  if (ws) A.set(input.subarray(0, n * n));
  const v = ws ? ws.memory.subarray(n * n, n * n + n) : new Float64Array(n);
  const p = ws ? ws.memory.subarray(n * n + n, n * n + 2 * n) : new Float64Array(n);
  const matVec = ws
    ? (m: number) => {
        p.fill(0, m, n);
        const vBase = n * n * 8;
        const pBase = vBase + n * 8;
        for (let i = m; i < n; i++) {
          const s = ws.dotAxpy((i * n + m) * 8, vBase + m * 8, pBase + m * 8, i - m, v[i]!);
          p[i] += s + A[i * n + i]! * v[i]!;
        }
      }
    : (m: number) => symmetricMatVecLower(A, n, m, v, p);
  const V = new Float64Array(n * NB); // the panel's reflectors (row-major n x NB), zero above their start
  const W = new Float64Array(n * NB);
  const tv = new Float64Array(NB);
  const tw = new Float64Array(NB);
  for (let k0 = 0; k0 < n; k0 += NB) {
    const k1 = Math.min(k0 + NB, n);
    const nb = k1 - k0;
    V.fill(0);
    W.fill(0);
    for (let j = k0; j < k1; j++) {
      const l = j - k0;
      // column j (rows j..n-1) with the panel's earlier reflectors applied
      if (l > 0) {
        const vj = j * NB;
        for (let i = j; i < n; i++) {
          const ri = i * NB;
          let s = 0;
          for (let t = 0; t < l; t++) s += V[ri + t]! * W[vj + t]! + W[ri + t]! * V[vj + t]!;
          A[i * n + j] -= s;
        }
      }
      d[j] = A[j * n + j]!;
      const m = j + 1;
      if (m >= n) break;
      let alpha = 0;
      for (let i = m; i < n; i++) alpha += A[i * n + j]! ** 2;
      alpha = Math.sqrt(alpha);
      const x0 = A[m * n + j]!;
      if (alpha === 0 || m === n - 1) {
        e[j] = x0; // nothing to annihilate: no reflector (its V and W columns stay 0)
        continue;
      }
      const sign = x0 >= 0 ? 1 : -1;
      e[j] = -sign * alpha;
      v.fill(0, 0, m);
      for (let i = m; i < n; i++) v[i] = A[i * n + j]!;
      v[m] = x0 + sign * alpha;
      let vv = 0;
      for (let i = m; i < n; i++) vv += v[i]! * v[i]!;
      const beta = 2 / vv;
      // p = A22 v with A22 as of the panel's start, minus V (W^T v) + W (V^T v) for the panel so far
      matVec(m);
      if (l > 0) {
        tv.fill(0);
        tw.fill(0);
        for (let i = m; i < n; i++) {
          const ri = i * NB;
          const vi = v[i]!;
          for (let t = 0; t < l; t++) {
            tw[t] += W[ri + t]! * vi;
            tv[t] += V[ri + t]! * vi;
          }
        }
        for (let i = m; i < n; i++) {
          const ri = i * NB;
          let s = 0;
          for (let t = 0; t < l; t++) s += V[ri + t]! * tw[t]! + W[ri + t]! * tv[t]!;
          p[i] -= s;
        }
      }
      // w = beta p - (beta^2 p^T v / 2) v
      let pv = 0;
      for (let i = m; i < n; i++) pv += p[i]! * v[i]!;
      const c = (beta * beta * pv) / 2;
      for (let i = m; i < n; i++) {
        V[i * NB + l] = v[i]!;
        W[i * NB + l] = beta * p[i]! - c * v[i]!;
      }
    }
    // trailing update, lower triangle by row blocks: A[r0:r1, k1:r1] -= V W^T + W V^T (rows/cols >= k1)
    if (k1 < n) {
      for (let i = k1 * NB; i < n * NB; i++) {
        V[i] = -V[i]!;
      }
      for (let r0 = k1; r0 < n; r0 += 256) {
        const r1 = Math.min(r0 + 256, n);
        // (-V)[r0:r1] W[k1:r1]^T, then W[r0:r1] (-V)[k1:r1]^T
        gemm(r1 - r0, r1 - k1, nb, V, r0 * NB, NB, 1, W, k1 * NB, 1, NB, A, r0 * n + k1, n);
        gemm(r1 - r0, r1 - k1, nb, W, r0 * NB, NB, 1, V, k1 * NB, 1, NB, A, r0 * n + k1, n);
      }
    }
  }
  return tridiagonalEigenvalues(d, e, n);
}

/** Eigenvalues (ascending) of the symmetric tridiagonal matrix with diagonal d and off-diagonal e[0..n-2] (EISPACK tql1, as in JAMA). */
export function tridiagonalEigenvalues(dIn: Float64Array, eIn: Float64Array, n: number): Float64Array {
  const d = Float64Array.from(dIn.subarray(0, n));
  const e = new Float64Array(n);
  for (let i = 0; i < n - 1; i++) e[i] = eIn[i]!;
  let f = 0;
  let tst1 = 0;
  const eps = 2.220446049250313e-16;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]!) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 60) throw new Error('symmetricEigenvalues: the QL iteration did not converge (NaN or inf in the matrix?)');
        let g = d[l]!;
        let pp = (d[l + 1]! - g) / (2 * e[l]!);
        let r = Math.hypot(pp, 1);
        if (pp < 0) r = -r;
        d[l] = e[l]! / (pp + r);
        d[l + 1] = e[l]! * (pp + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        pp = d[m]!;
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1]!;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * pp;
          r = Math.hypot(pp, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = pp / r;
          pp = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
        }
        pp = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * pp;
        d[l] = c * pp;
      } while (Math.abs(e[l]!) > eps * tst1);
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
  return d.sort();
}
