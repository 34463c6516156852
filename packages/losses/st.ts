import { congruence, pivotedCholesky, symmetricEigenvalues } from '/work/main/packages/losses/src/distribution/linalg.ts';
import { gemm } from '@pixgrad/core';
const d = Number(process.argv[2] ?? 1024);
const rankDef = process.argv[3] === 'low';
function spd(seed: number) { let s = seed; const r = () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32 - 0.5; };
  const k = rankDef ? d >> 2 : d;
  const G = new Float64Array(d * k); for (let i = 0; i < d * k; i++) G[i] = r();
  const A = new Float64Array(d * d); gemm(d, d, k, G, 0, k, 1, G, 0, 1, k, A, 0, d);
  for (let i = 0; i < d * d; i++) A[i] /= k; if (!rankDef) for (let i = 0; i < d; i++) A[i * d + i] += 1;
  return A; }
let t = performance.now(); const A = spd(1), B = spd(2); console.log('make', (performance.now() - t) | 0);
t = performance.now(); const f = pivotedCholesky(A, d); console.log('chol', (performance.now() - t) | 0, 'rank', f.rank);
// check factor: max |P A P^T - L L^T|
let err = 0; for (let i = 0; i < d; i += 7) for (let j = 0; j < d; j += 5) { let s = 0; for (let k = 0; k < f.rank; k++) s += f.L[i * f.rank + k] * f.L[j * f.rank + k]; err = Math.max(err, Math.abs(s - A[f.perm[i] * d + f.perm[j]])); }
console.log('factor err', err);
t = performance.now(); const M = congruence(B, d, f); console.log('congruence', (performance.now() - t) | 0);
const M2 = Float64Array.from(M);
t = performance.now(); const e = symmetricEigenvalues(M, f.rank); console.log('eig', (performance.now() - t) | 0, e[0], e[f.rank - 1]);
let tr = 0; for (let i = 0; i < f.rank; i++) tr += M2[i * f.rank + i]; let se = 0; for (const x of e) se += x; console.log('trace check', tr, se);
let fr = 0; for (const x of M2) fr += x * x; let se2 = 0; for (const x of e) se2 += x * x; console.log('frob check', fr, se2);
