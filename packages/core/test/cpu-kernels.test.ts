/**
 * CPU backend matmul and conv2d (forward, input gradient, weight gradient), called directly
 * against naive references (a triple loop; a direct 7-loop cross-correlation and its adjoints
 * written as scatters), on fast-check generated geometries, plus hand-computed cases.
 *
 * Values are small integers in most properties: every sum is then exact in float64 whatever the
 * order of accumulation, so the blocked kernels must match the naive loops exactly (===), which
 * catches any misplaced element; float32 and random-float cases check rounding with a tolerance.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Conv2dParams } from '../src/backend.js';
import type { DType } from '../src/dtype.js';
import { cpu, floats, ints, maxRelErr, ravel, sizeOf, unravel, view } from './cpu-helpers.js';

const RUNS = { numRuns: 80 };

// ------------------------------------------------------------------------------------- matmul

/** out[b, i, j] = sum_p A[b, i, p] B[b, p, j] with numpy batch broadcasting, by the definition */
function refMatmul(a: number[], aShape: number[], b: number[], bShape: number[], transA: boolean, transB: boolean): { out: number[]; shape: number[] } {
  const m = aShape[aShape.length - (transA ? 1 : 2)]!,
    k = aShape[aShape.length - (transA ? 2 : 1)]!;
  const n = bShape[bShape.length - (transB ? 2 : 1)]!;
  const ab = aShape.slice(0, -2),
    bb = bShape.slice(0, -2);
  const rank = Math.max(ab.length, bb.length);
  const batch = Array.from({ length: rank }, (_, i) => {
    const x = ab[i - rank + ab.length] ?? 1,
      y = bb[i - rank + bb.length] ?? 1;
    return x === 1 ? y : x;
  });
  const shape = [...batch, m, n];
  const out = Array.from({ length: sizeOf(shape) }, (_, o) => {
    const idx = unravel(o, shape);
    const bi = idx.slice(0, rank),
      i = idx[rank]!,
      j = idx[rank + 1]!;
    const pick = (own: number[]) => own.map((d, q) => (d === 1 ? 0 : bi[q - own.length + rank]!));
    // the first element of each operand's matrix for this batch index
    const a0 = ravel([...pick(ab), 0, 0], aShape),
      b0 = ravel([...pick(bb), 0, 0], bShape);
    let s = 0;
    for (let p = 0; p < k; p++) {
      const av = a[a0 + (transA ? p * m + i : i * k + p)]!;
      const bv = b[b0 + (transB ? j * k + p : p * n + j)]!;
      s += av * bv;
    }
    return s;
  });
  return { out, shape };
}

/** batch shapes that broadcast: each operand keeps a suffix of the batch and sets some dims to 1 */
const matmulCase = fc
  .record({
    batch: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 3 }),
    dropA: fc.nat(3),
    dropB: fc.nat(3),
    onesA: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
    onesB: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
    // sizes straddle the 4x4 register tile and (with k) the packing depth
    m: fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 10, max: 70 })),
    n: fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 10, max: 70 })),
    k: fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 250, max: 300 })),
    transA: fc.boolean(),
    transB: fc.boolean(),
    seed: fc.nat(),
  })
  .map((c) => {
    const own = (drop: number, ones: boolean[]) => c.batch.slice(Math.min(drop, c.batch.length)).map((d, i) => (ones[i] ? 1 : d));
    const ba = own(c.dropA, c.onesA),
      bb = own(c.dropB, c.onesB);
    return {
      ...c,
      aShape: [...ba, ...(c.transA ? [c.k, c.m] : [c.m, c.k])],
      bShape: [...bb, ...(c.transB ? [c.n, c.k] : [c.k, c.n])],
    };
  });

describe('cpu matmul', () => {
  it('matches the triple loop exactly on generated shapes (broadcast batch, transposes)', () => {
    fc.assert(
      fc.property(matmulCase, (c) => {
        const a = ints(sizeOf(c.aShape), c.seed),
          b = ints(sizeOf(c.bShape), c.seed + 1);
        const ref = refMatmul(a, c.aShape, b, c.bShape, c.transA, c.transB);
        const out = cpu.matmul(view(a, c.aShape), view(b, c.bShape), c.transA, c.transB, ref.shape);
        expect(Array.from(out)).toEqual(ref.out);
      }),
      { numRuns: 60 },
    );
  });

  it('float32 results are the float64 sums rounded once', () => {
    fc.assert(
      fc.property(matmulCase, (c) => {
        const a = floats(sizeOf(c.aShape), c.seed).map(Math.fround),
          b = floats(sizeOf(c.bShape), c.seed + 1).map(Math.fround);
        const ref = refMatmul(a, c.aShape, b, c.bShape, c.transA, c.transB);
        const out = cpu.matmul(view(a, c.aShape, 'float32'), view(b, c.bShape, 'float32'), c.transA, c.transB, ref.shape);
        expect(out).toBeInstanceOf(Float32Array);
        // the float64 sums may differ in their last bits by order; rounding to float32 hides that
        expect(maxRelErr(out, ref.out.map(Math.fround))).toBeLessThan(2 ** -23);
      }),
      { numRuns: 30 },
    );
  });

  it('hand-computed', () => {
    const a = view([1, 2, 3, 4, 5, 6], [2, 3]),
      b = view([7, 8, 9, 10, 11, 12], [3, 2]);
    expect(Array.from(cpu.matmul(a, b, false, false, [2, 2]))).toEqual([58, 64, 139, 154]);
    // A^T: a read as [3, 2] -> [[1, 4], [2, 5], [3, 6]] . [[1, 2], [3, 4]]
    expect(Array.from(cpu.matmul(a, view([1, 2, 3, 4], [2, 2]), true, false, [3, 2]))).toEqual([13, 18, 17, 24, 21, 30]);
    // broadcast: [2, 1, 2] batch of row vectors times one shared [2, 2]
    expect(Array.from(cpu.matmul(view([1, 0, 0, 1], [2, 1, 2]), view([1, 2, 3, 4], [2, 2]), false, false, [2, 1, 2]))).toEqual([1, 2, 3, 4]);
    // k = 0: zeros
    expect(Array.from(cpu.matmul(view([], [2, 0]), view([], [0, 3]), false, false, [2, 3]))).toEqual([0, 0, 0, 0, 0, 0]);
  });
});

// ------------------------------------------------------------------------------------- conv2d

interface ConvCase {
  N: number;
  C: number;
  H: number;
  W: number;
  O: number;
  kh: number;
  kw: number;
  p: Conv2dParams;
  Ho: number;
  Wo: number;
  seed: number;
}

const outSize = (n: number, k: number, s: number, p: number, d: number) => Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;

function makeCase(c: Omit<ConvCase, 'Ho' | 'Wo'>): ConvCase {
  const [sh, sw] = c.p.stride,
    [ph, pw] = c.p.padding,
    [dh, dw] = c.p.dilation;
  return { ...c, Ho: outSize(c.H, c.kh, sh, ph, dh), Wo: outSize(c.W, c.kw, sw, pw, dw) };
}

/** odd sizes, stride/dilation/padding combos incl. padding larger than the kernel, groups, depthwise */
const convCase: fc.Arbitrary<ConvCase> = fc
  .record({
    N: fc.integer({ min: 1, max: 2 }),
    groups: fc.integer({ min: 1, max: 3 }),
    Cg: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 4 })),
    Og: fc.integer({ min: 1, max: 3 }),
    H: fc.integer({ min: 1, max: 9 }),
    W: fc.integer({ min: 1, max: 9 }),
    kh: fc.integer({ min: 1, max: 4 }),
    kw: fc.integer({ min: 1, max: 4 }),
    sh: fc.integer({ min: 1, max: 3 }),
    sw: fc.integer({ min: 1, max: 3 }),
    ph: fc.integer({ min: 0, max: 5 }),
    pw: fc.integer({ min: 0, max: 5 }),
    dh: fc.integer({ min: 1, max: 3 }),
    dw: fc.integer({ min: 1, max: 3 }),
    seed: fc.nat(),
  })
  .map((r) =>
    makeCase({
      N: r.N,
      C: r.Cg * r.groups,
      H: r.H,
      W: r.W,
      O: r.Og * r.groups,
      kh: r.kh,
      kw: r.kw,
      seed: r.seed,
      p: { stride: [r.sh, r.sw], padding: [r.ph, r.pw], dilation: [r.dh, r.dw], groups: r.groups },
    }),
  )
  .filter((c) => c.Ho >= 1 && c.Wo >= 1);

/**
 * Every (n, o, oy, ox, c, i, j) term of the cross-correlation, by the definition; the forward sums
 * them into y, the two gradients scatter dy * w into dx and dy * x into dw (their adjoints).
 */
function refConv(c: ConvCase, x: number[], w: number[], dy: number[]): { y: number[]; dx: number[]; dw: number[] } {
  const { N, C, H, W, O, kh, kw, Ho, Wo } = c;
  const {
    stride: [sh, sw],
    padding: [ph, pw],
    dilation: [dh, dwl],
    groups,
  } = c.p;
  const Cg = C / groups,
    Og = O / groups;
  const y = new Array<number>(N * O * Ho * Wo).fill(0);
  const dx = new Array<number>(N * C * H * W).fill(0);
  const dw = new Array<number>(O * Cg * kh * kw).fill(0);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++)
      for (let oy = 0; oy < Ho; oy++)
        for (let ox = 0; ox < Wo; ox++) {
          const yi = ((n * O + o) * Ho + oy) * Wo + ox;
          for (let ci = 0; ci < Cg; ci++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const iy = oy * sh - ph + i * dh,
                  ix = ox * sw - pw + j * dwl;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                const xi = ((n * C + Math.floor(o / Og) * Cg + ci) * H + iy) * W + ix;
                const wi = ((o * Cg + ci) * kh + i) * kw + j;
                y[yi]! += w[wi]! * x[xi]!;
                dx[xi]! += w[wi]! * dy[yi]!;
                dw[wi]! += x[xi]! * dy[yi]!;
              }
        }
  return { y, dx, dw };
}

function runConv(c: ConvCase, x: number[], w: number[], dy: number[], dtype: DType) {
  const xv = view(x, [c.N, c.C, c.H, c.W], dtype);
  const wv = view(w, [c.O, c.C / c.p.groups, c.kh, c.kw], dtype);
  const dyv = view(dy, [c.N, c.O, c.Ho, c.Wo], dtype);
  return {
    y: cpu.conv2d(xv, wv, c.p),
    dx: cpu.conv2dInputGrad(dyv, wv, c.p, [c.H, c.W]),
    dw: cpu.conv2dWeightGrad(xv, dyv, c.p, [c.kh, c.kw]),
  };
}

function inputs(c: ConvCase, gen: (n: number, seed: number) => number[]) {
  return {
    x: gen(c.N * c.C * c.H * c.W, c.seed),
    w: gen(c.O * (c.C / c.p.groups) * c.kh * c.kw, c.seed + 1),
    dy: gen(c.N * c.O * c.Ho * c.Wo, c.seed + 2),
  };
}

function expectExact(c: ConvCase): void {
  const { x, w, dy } = inputs(c, ints);
  const ref = refConv(c, x, w, dy);
  const got = runConv(c, x, w, dy, 'float64');
  expect(Array.from(got.y)).toEqual(ref.y);
  expect(Array.from(got.dx)).toEqual(ref.dx);
  expect(Array.from(got.dw)).toEqual(ref.dw);
}

describe('cpu conv2d and its gradients', () => {
  it('match the direct loops exactly on generated geometries', () => {
    fc.assert(fc.property(convCase, expectExact), RUNS);
  });

  it('match on pointwise (1x1, stride 1, unpadded) geometries, which skip im2col', () => {
    const pointwise = fc
      .record({
        N: fc.integer({ min: 1, max: 2 }),
        groups: fc.integer({ min: 1, max: 3 }),
        Cg: fc.integer({ min: 1, max: 6 }),
        Og: fc.integer({ min: 1, max: 6 }),
        H: fc.integer({ min: 1, max: 7 }),
        W: fc.integer({ min: 1, max: 7 }),
        seed: fc.nat(),
      })
      .map((r) =>
        makeCase({
          N: r.N,
          C: r.Cg * r.groups,
          O: r.Og * r.groups,
          H: r.H,
          W: r.W,
          kh: 1,
          kw: 1,
          seed: r.seed,
          p: { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: r.groups },
        }),
      );
    fc.assert(fc.property(pointwise, expectExact), { numRuns: 50 });
  });

  it('match on depthwise geometries (groups = C, channel multipliers), the direct path', () => {
    const depthwise = fc
      .record({
        N: fc.integer({ min: 1, max: 2 }),
        C: fc.integer({ min: 1, max: 4 }),
        mult: fc.integer({ min: 1, max: 3 }),
        H: fc.integer({ min: 1, max: 12 }),
        W: fc.integer({ min: 1, max: 12 }),
        k: fc.integer({ min: 1, max: 11 }),
        s: fc.integer({ min: 1, max: 3 }),
        pad: fc.integer({ min: 0, max: 6 }),
        d: fc.integer({ min: 1, max: 2 }),
        seed: fc.nat(),
      })
      .map((r) =>
        makeCase({
          N: r.N,
          C: r.C,
          O: r.C * r.mult,
          H: r.H,
          W: r.W,
          kh: r.k,
          kw: r.k,
          seed: r.seed,
          p: { stride: [r.s, r.s], padding: [r.pad, r.pad], dilation: [r.d, r.d], groups: r.C },
        }),
      )
      .filter((c) => c.Ho >= 1 && c.Wo >= 1);
    fc.assert(fc.property(depthwise, expectExact), { numRuns: 50 });
  });

  it('float32 results round the float64 sums once; random floats', () => {
    fc.assert(
      fc.property(convCase, (c) => {
        const { x, w, dy } = inputs(c, (n, s) => floats(n, s).map(Math.fround));
        const ref = refConv(c, x, w, dy);
        const got = runConv(c, x, w, dy, 'float32');
        expect(got.y).toBeInstanceOf(Float32Array);
        expect(maxRelErr(got.y, ref.y.map(Math.fround))).toBeLessThan(2 ** -23);
        expect(maxRelErr(got.dx, ref.dx.map(Math.fround))).toBeLessThan(2 ** -23);
        expect(maxRelErr(got.dw, ref.dw.map(Math.fround))).toBeLessThan(2 ** -23);
      }),
      { numRuns: 40 },
    );
  });

  it('match on a layer large enough to be split into several im2col bands', () => {
    // K = 64*3*3 = 576, Wo = 40: the 2^20-element band holds 45 output rows, so Ho = 100 takes 3 bands
    const c = makeCase({ N: 1, C: 64, H: 100, W: 40, O: 3, kh: 3, kw: 3, seed: 5, p: { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 } });
    expectExact(c);
  });

  it('hand-computed: a 2x2 kernel over a 3x3 image, padding 1, stride 2', () => {
    const p: Conv2dParams = { stride: [2, 2], padding: [1, 1], dilation: [1, 1], groups: 1 };
    const x = view([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]);
    const w = view([1, 10, 100, 1000], [1, 1, 2, 2]);
    // windows start at (-1,-1), (-1,1), (1,-1), (1,1); out-of-image taps read 0
    // y00 = 1000*1; y01 = 100*2 + 1000*3; y10 = 10*4 + 1000*7; y11 = 1*5 + 10*6 + 100*8 + 1000*9
    expect(Array.from(cpu.conv2d(x, w, p))).toEqual([1000, 3200, 7040, 9865]);
    // dy all ones: each x pixel gets the sum of the weights whose taps reach it
    const dy = view([1, 1, 1, 1], [1, 1, 2, 2]);
    expect(Array.from(cpu.conv2dInputGrad(dy, w, p, [3, 3]))).toEqual([1000, 100, 1000, 10, 1, 10, 1000, 100, 1000]);
    // dw[i][j] = sum of the x values tap (i, j) sees: (1,1) sees 1,3,7,9; (0,0) sees only 5
    expect(Array.from(cpu.conv2dWeightGrad(x, dy, p, [2, 2]))).toEqual([5, 4 + 6, 2 + 8, 1 + 3 + 7 + 9]);
  });

  it('hand-computed: groups split channels into consecutive blocks', () => {
    // C = 2, O = 2, groups = 2, 1x1 kernels [2] and [3]: y0 = 2 x0, y1 = 3 x1
    const p: Conv2dParams = { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 2 };
    expect(Array.from(cpu.conv2d(view([1, 2, 3, 4], [1, 2, 1, 2]), view([2, 3], [2, 1, 1, 1]), p))).toEqual([2, 4, 9, 12]);
  });
});

// ---------------------------------------------------------------- the two GEMM micro-kernels

describe('cpu GEMM micro-kernels: WebAssembly SIMD and JS', () => {
  it('Node 20 runs the WebAssembly SIMD micro-kernel, and it gives bit-identical results to the JS one on random floats (edges, blocks past KC and MC)', async () => {
    const { gemm, gemmKernel, _useSimdGemm } = await import('../src/backends/cpu/gemm.js');
    expect(gemmKernel()).toBe('wasm-simd');
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 23 }),
        fc.boolean(),
        fc.integer(),
        (m, k, n, transA, seed) => {
          let s = seed >>> 0 || 1;
          const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
          const a = Float64Array.from({ length: m * k }, rnd);
          const b = Float32Array.from({ length: k * n }, rnd);
          const run = () => {
            const c = Float64Array.from({ length: m * n }, (_, i) => i * 0.25);
            gemm(m, n, k, a, 0, transA ? 1 : k, transA ? m : 1, b, 0, n, 1, c, 0, n);
            return c;
          };
          const simd = run();
          _useSimdGemm(false);
          try {
            expect(gemmKernel()).toBe('js');
            expect(Array.from(simd)).toEqual(Array.from(run()));
          } finally {
            _useSimdGemm(true);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

// ---------------------------------------------------------------- depthwise rows: SIMD and JS

describe('cpu depthwise convolution rows: WebAssembly SIMD and JS', () => {
  it('forward and input gradient are bit-identical on random depthwise geometries (padding, dilation, row stride, channel multiplier, odd widths)', async () => {
    const { conv2d, conv2dInputGrad, _useSimdConv } = await import('../src/backends/cpu/conv.js');
    fc.assert(
      fc.property(
        fc.record({
          N: fc.integer({ min: 1, max: 2 }),
          C: fc.integer({ min: 1, max: 3 }),
          mult: fc.integer({ min: 1, max: 2 }),
          H: fc.integer({ min: 1, max: 13 }),
          W: fc.integer({ min: 1, max: 17 }),
          kh: fc.integer({ min: 1, max: 5 }),
          kw: fc.integer({ min: 1, max: 5 }),
          ph: fc.integer({ min: 0, max: 2 }),
          pw: fc.integer({ min: 0, max: 2 }),
          dh: fc.integer({ min: 1, max: 2 }),
          dw: fc.integer({ min: 1, max: 2 }),
          sh: fc.integer({ min: 1, max: 2 }),
          f64: fc.boolean(),
          seed: fc.integer(),
        }),
        (c) => {
          const Ho = Math.floor((c.H + 2 * c.ph - c.dh * (c.kh - 1) - 1) / c.sh) + 1;
          const Wo = c.W + 2 * c.pw - c.dw * (c.kw - 1);
          if (Ho < 1 || Wo < 1) return;
          let s = c.seed >>> 0 || 1;
          const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
          const dtype = c.f64 ? 'float64' : 'float32';
          const arr = (n: number) => (c.f64 ? Float64Array.from({ length: n }, rnd) : Float32Array.from({ length: n }, rnd));
          const O = c.C * c.mult;
          const x = { buf: arr(c.N * c.C * c.H * c.W), shape: [c.N, c.C, c.H, c.W], dtype } as const;
          const w = { buf: arr(O * c.kh * c.kw), shape: [O, 1, c.kh, c.kw], dtype } as const;
          const dy = { buf: arr(c.N * O * Ho * Wo), shape: [c.N, O, Ho, Wo], dtype } as const;
          const p = {
            stride: [c.sh, 1] as [number, number],
            padding: [c.ph, c.pw] as [number, number],
            dilation: [c.dh, c.dw] as [number, number],
            groups: c.C,
          };
          const run = () => [Array.from(conv2d(x, w, p)), Array.from(conv2dInputGrad(dy, w, p, [c.H, c.W]))];
          const simd = run();
          _useSimdConv(false);
          try {
            expect(simd).toEqual(run());
          } finally {
            _useSimdConv(true);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
