/**
 * Dense float64 linear algebra on the host for the distribution metrics: a pivoted Cholesky
 * factor of a positive semi-definite matrix and the eigenvalues of a symmetric one. Matrices are
 * row-major `Float64Array`s. WGSL has no f64 and FID needs float64 (float32 accumulators give
 * wrong or NaN FIDs: torcheval#192, MONAI GenerativeModels#231), so this runs in plain TypeScript,
 * with loops ordered for contiguous inner strides.
 */

/** L (n x rank, row-major, rows in the input's order) with L L^T = A up to `tol`, and the rank. */
export interface PivotedCholesky {
  L: Float64Array;
  rank: number;
  /** perm[k]: the row pivoted at step k (so L restricted to rows perm is lower triangular) */
  perm: Int32Array;
}

/**
 * Pivoted (semi-definite) Cholesky, LAPACK dpstrf's algorithm in its left-looking row form: at
 * each step the largest remaining diagonal is the pivot; it stops when that falls to
 * `tol` (default n * eps * max diag, dpstrf's default), so rank-deficient covariances (fewer
 * samples than dimensions) factor exactly into their rank.
 */
export function pivotedCholesky(A: Float64Array, n: number, tol?: number): PivotedCholesky {
  const L = new Float64Array(n * n);
  const diag = new Float64Array(n);
  let maxDiag = 0;
  for (let i = 0; i < n; i++) {
    diag[i] = A[i * n + i]!;
    maxDiag = Math.max(maxDiag, diag[i]!);
  }
  const stop = tol ?? n * 2.220446049250313e-16 * maxDiag;
  const done = new Uint8Array(n);
  const perm = new Int32Array(n);
  let rank = 0;
  for (let k = 0; k < n; k++) {
    let p = -1;
    let best = -Infinity;
    for (let i = 0; i < n; i++) if (!done[i] && diag[i]! > best) best = diag[(p = i)]!;
    if (p < 0 || !(best > stop)) break;
    done[p] = 1;
    perm[k] = p;
    const lpp = Math.sqrt(best);
    const rowP = p * n;
    L[rowP + k] = lpp;
    for (let i = 0; i < n; i++) {
      if (done[i]) continue;
      const rowI = i * n;
      let s = A[rowI + p]!;
      for (let j = 0; j < k; j++) s -= L[rowI + j]! * L[rowP + j]!;
      const v = s / lpp;
      L[rowI + k] = v;
      diag[i] = diag[i]! - v * v;
    }
    rank = k + 1;
  }
  // compact to n x rank
  const out = new Float64Array(n * rank);
  for (let i = 0; i < n; i++) out.set(L.subarray(i * n, i * n + rank), i * rank);
  return { L: out, rank, perm: perm.slice(0, rank) };
}

/**
 * B^T A B for symmetric A (n x n) and B = a pivoted Cholesky factor (n x r): the r x r symmetric
 * matrix whose eigenvalues are those of (B B^T) A. B's rows are gathered in pivot order first, which
 * makes it lower triangular, so both products skip its zero half.
 */
export function congruence(A: Float64Array, n: number, f: PivotedCholesky): Float64Array {
  const r = f.rank;
  const order = new Int32Array(n);
  const seen = new Uint8Array(n);
  for (let k = 0; k < r; k++) seen[(order[k] = f.perm[k]!)] = 1;
  let q = r;
  for (let i = 0; i < n; i++) if (!seen[i]) order[q++] = i;
  // Lp: B's rows in pivot order (row j has nonzeros in columns 0..min(j, r-1))
  const Lp = new Float64Array(n * r);
  for (let j = 0; j < n; j++) Lp.set(f.L.subarray(order[j]! * r, order[j]! * r + r), j * r);
  // Y = Ap Lp with Ap = A permuted on both sides: Y[i, k] = sum_j Ap[i, j] Lp[j, k]
  const Y = new Float64Array(n * r);
  for (let i = 0; i < n; i++) {
    const rowA = order[i]! * n;
    const y = i * r;
    for (let j = 0; j < n; j++) {
      const a = A[rowA + order[j]!]!;
      if (a === 0) continue;
      const l = j * r;
      const kmax = Math.min(j + 1, r);
      for (let k = 0; k < kmax; k++) Y[y + k] += a * Lp[l + k]!;
    }
  }
  // M = Lp^T Y, lower half then mirrored: M[k, l] = sum_j Lp[j, k] Y[j, l], l <= k, j >= k
  const M = new Float64Array(r * r);
  for (let j = 0; j < n; j++) {
    const l = j * r;
    const kmax = Math.min(j + 1, r);
    for (let k = 0; k < kmax; k++) {
      const a = Lp[l + k]!;
      if (a === 0) continue;
      const m = k * r;
      for (let c = 0; c <= k; c++) M[m + c] += a * Y[l + c]!;
    }
  }
  for (let k = 0; k < r; k++) for (let c = 0; c < k; c++) M[c * r + k] = M[k * r + c]!;
  return M;
}

/**
 * Eigenvalues of a symmetric n x n matrix (ascending): Householder reduction to tridiagonal form
 * (Golub and Van Loan, Algorithm 8.3.1, with the rank-2 update of one step fused into the
 * matrix-vector product of the next, so each step makes one pass over the trailing block), then
 * the implicit QL iteration with Wilkinson shifts (EISPACK tql1). `A` is overwritten.
 */
export function symmetricEigenvalues(A: Float64Array, n: number): Float64Array {
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  const v = new Float64Array(n);
  const p = new Float64Array(n);
  const w = new Float64Array(n);
  // Householder: for k = 0..n-3 zero column k below the subdiagonal
  let pendingV: Float64Array | null = null;
  const prevV = new Float64Array(n);
  const prevW = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    // apply the previous step's update to row/column k+1.. first for column k (needed to build v)
    const m = k + 1;
    // column k entries below the diagonal (row k, columns m..n-1 by symmetry); update row k if pending
    if (pendingV) {
      const rk = k * n;
      const vk = prevV[k]!;
      const wk = prevW[k]!;
      for (let j = k; j < n; j++) A[rk + j] -= vk * prevW[j]! + wk * prevV[j]!;
    }
    d[k] = A[k * n + k]!;
    let alpha = 0;
    for (let j = m; j < n; j++) alpha += A[k * n + j]! * A[k * n + j]!;
    alpha = Math.sqrt(alpha);
    const x0 = A[k * n + m]!;
    if (alpha === 0) {
      // nothing to annihilate: still apply the pending update to the trailing block
      e[k] = 0;
      if (pendingV) {
        for (let i = m; i < n; i++) {
          const ri = i * n;
          const vi = prevV[i]!;
          const wi = prevW[i]!;
          for (let j = m; j < n; j++) A[ri + j] -= vi * prevW[j]! + wi * prevV[j]!;
        }
      }
      pendingV = null;
      continue;
    }
    const sign = x0 >= 0 ? 1 : -1;
    e[k] = -sign * alpha;
    // v = x + sign*alpha e1, beta = 2 / v^T v
    for (let j = 0; j < m; j++) v[j] = 0;
    for (let j = m; j < n; j++) v[j] = A[k * n + j]!;
    v[m] = x0 + sign * alpha;
    let vv = 0;
    for (let j = m; j < n; j++) vv += v[j]! * v[j]!;
    const beta = 2 / vv;
    // p = beta A' v over the trailing block, fusing the previous update A' = A - v'w'^T - w'v'^T
    for (let i = m; i < n; i++) {
      const ri = i * n;
      let s = 0;
      if (pendingV) {
        const vi = prevV[i]!;
        const wi = prevW[i]!;
        for (let j = m; j < n; j++) {
          const a = A[ri + j]! - vi * prevW[j]! - wi * prevV[j]!;
          A[ri + j] = a;
          s += a * v[j]!;
        }
      } else {
        for (let j = m; j < n; j++) s += A[ri + j]! * v[j]!;
      }
      p[i] = beta * s;
    }
    // w = p - (beta p^T v / 2) v
    let pv = 0;
    for (let j = m; j < n; j++) pv += p[j]! * v[j]!;
    const c = (beta * pv) / 2;
    for (let j = m; j < n; j++) w[j] = p[j]! - c * v[j]!;
    prevV.fill(0);
    prevW.fill(0);
    for (let j = m; j < n; j++) {
      prevV[j] = v[j]!;
      prevW[j] = w[j]!;
    }
    pendingV = prevV;
  }
  // the last 2x2 block
  for (let k = Math.max(0, n - 2); k < n; k++) {
    if (pendingV) {
      const rk = k * n;
      for (let j = k; j < n; j++) A[rk + j] -= prevV[k]! * prevW[j]! + prevW[k]! * prevV[j]!;
    }
    d[k] = A[k * n + k]!;
    if (k + 1 < n) e[k] = A[k * n + k + 1]!;
  }
  return tridiagonalEigenvalues(d, e, n);
}

/** Eigenvalues (ascending) of the symmetric tridiagonal matrix with diagonal d and off-diagonal e[0..n-2] (EISPACK tql1). */
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
