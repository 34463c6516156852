/**
 * The GEMM of the wasm device: C (+)= A B in float32, 4x8 register tiles of f32x4 accumulators.
 *
 * A is packed (`pack`: 4 rows interleaved per k, so a k step reads A with one load-and-splat per
 * row at constant offsets). B is read in place through a row stride (an 8-column strip is two
 * vector loads per k) or packed the same way into 8-column strips; either way the micro-kernel
 * reads B as (pointer, row stride). The K dimension may be split into taps, each with its own byte
 * offset into B: a convolution's K is (tap, input channel), and a tap of a stride-1 convolution is
 * the padded input shifted by that tap's offset, so the convolution is this GEMM with no im2col
 * (conv.ts).
 *
 * Blocking (macro kernel `gemm`): K in blocks of KC (L2: MC x KC of packed A; L1: one KC x 8
 * strip of B), then blocks of MC rows, then the 8-column strips of this thread's share of N, then
 * the 4-row strips. Tiles past M or N are computed into a scratch tile and their valid part
 * copied. Threads split the column strips (tid of nthreads).
 */
import {
  type Code,
  F32,
  Func,
  I32,
  type MemoryImport,
  OP,
  V128,
  add,
  divU,
  f32,
  fadd,
  forLoop,
  i32,
  ifElse,
  loadF32,
  loadI32,
  loadV,
  ltS,
  madd,
  minS,
  moduleOf,
  mul,
  splatLoad,
  storeF32,
  storeV,
  sub,
} from '../asm.js';

export const MR = 4;
export const NR = 8;
/** rows of packed A per L2 block */
export const MC = 64;
/** K per block when there are no taps */
export const KC = 256;

/**
 * micro(ntaps, taps, kc, pa, lda, arows, pb, ldb, c, ldc, add): the 4x8 tile at c (row stride ldc
 * bytes) (+)= A panel x B strip over ntaps x kc. A is packed (4 rows interleaved per k) or, with
 * `strided`, read in place: row r at pa + min(r, arows - 1) * lda, k contiguous.
 */
function micro(type: number, fused: boolean, strided: boolean): { f: Func; code: Code } {
  const f = new Func(type, [
    ['ntaps', I32],
    ['taps', I32],
    ['kc', I32],
    ['pa', I32],
    ['lda', I32],
    ['arows', I32],
    ['pb', I32],
    ['ldb', I32],
    ['c', I32],
    ['ldc', I32],
    ['add', I32],
  ]);
  const acc = (r: number, h: number) => f.get(`acc${r}${h}`, V128);
  const step: Code = [...f.set('b0', loadV(f.get('p')), V128), ...f.set('b1', loadV(f.get('p'), 16), V128)];
  for (let r = 0; r < MR; r++) {
    step.push(...f.set('a', strided ? splatLoad(f.get(`a${r}`)) : splatLoad(f.get('pa'), 4 * r), V128));
    for (const h of [0, 1]) step.push(...f.set(`acc${r}${h}`, madd(f.get('a'), f.get(`b${h}`), acc(r, h), fused)));
  }
  if (strided) for (let r = 0; r < MR; r++) step.push(...f.set(`a${r}`, add(f.get(`a${r}`), i32(4))));
  else step.push(...f.set('pa', add(f.get('pa'), i32(16))));
  step.push(...f.set('p', add(f.get('p'), f.get('ldb'))));
  // the row pointers of a strided A (rows past the last one re-read it: their results are dropped)
  const rows: Code = [];
  if (strided) for (let r = 0; r < MR; r++) rows.push(...f.set(`a${r}`, add(f.get('pa'), mul(minS(i32(r), sub(f.get('arows'), i32(1))), f.get('lda')))));
  const kLoop: Code = [
    ...f.set('k', f.get('kc')),
    OP.block,
    OP.void,
    ...f.get('k'),
    OP.i32Eqz,
    OP.brIf,
    0,
    OP.loop,
    OP.void,
    ...step,
    ...f.set('k', sub(f.get('k'), i32(1))),
    ...f.get('k'),
    OP.brIf,
    0,
    OP.end,
    OP.end,
  ];
  const tapLoop = forLoop(f, 't', i32(0), f.get('ntaps'), i32(1), [
    ...f.set('p', add(f.get('pb'), loadI32(add(f.get('taps'), mul(f.get('t'), i32(4)))))),
    ...kLoop,
  ]);
  const stores: Code = [];
  for (let r = 0; r < MR; r++) {
    const row = r === 0 ? f.get('c') : add(f.get('c'), mul(f.get('ldc'), i32(r)));
    stores.push(...f.set('q', row));
    for (const h of [0, 1]) {
      stores.push(...ifElse(f.get('add'), storeV(f.get('q'), fadd(loadV(f.get('q'), 16 * h), acc(r, h)), 16 * h), storeV(f.get('q'), acc(r, h), 16 * h)));
    }
  }
  return { f, code: [...rows, ...tapLoop, ...stores] };
}

/**
 * gemm(tid, nth, M, N, K, KC, ntaps, taps, pa, lda, pb, ldb, bPacked, c, ldc, add, tmp): the macro
 * kernel over packed A (`strided`: A in place, rows lda bytes apart). With ntaps > 1, K is the
 * depth per tap and KC must be K (one block).
 */
function macro(type: number, microIndex: number, strided: boolean): { f: Func; code: Code } {
  const names = ['tid', 'nth', 'M', 'N', 'K', 'KC', 'ntaps', 'taps', 'pa', 'lda', 'pb', 'ldb', 'bPacked', 'c', 'ldc', 'add', 'tmp'];
  const f = new Func(
    type,
    names.map((n) => [n, I32] as const),
  );
  const g = (n: string) => f.get(n);
  const code: Code = [
    ...f.set('njs', divU(add(g('N'), i32(NR - 1)), i32(NR))),
    ...f.set('nis', divU(add(g('M'), i32(MR - 1)), i32(MR))),
    ...f.set('js0', divU(mul(g('tid'), g('njs')), g('nth'))),
    ...f.set('js1', divU(mul(add(g('tid'), i32(1)), g('njs')), g('nth'))),
    ...f.set('tmp', add(g('tmp'), mul(g('tid'), i32(MR * NR * 4)))),
  ];
  // one tile: full ones straight into C, edge ones through the scratch tile
  const cTile = add(add(g('c'), mul(mul(g('is'), i32(MR)), g('ldc'))), mul(g('js'), i32(NR * 4)));
  const ap = strided
    ? add(add(g('pa'), mul(mul(g('is'), i32(MR)), g('lda'))), mul(g('k0'), i32(4)))
    : add(g('aBlock'), mul(mul(g('is'), g('kc')), mul(g('ntaps'), i32(MR * 4))));
  const callMicro = (c: Code, ldc: Code, addFlag: Code): Code => [
    ...g('ntaps'),
    ...g('taps'),
    ...g('kc'),
    ...ap,
    ...g('lda'),
    ...minS(i32(MR), sub(g('M'), mul(g('is'), i32(MR)))),
    ...g('bp'),
    ...g('ldbEff'),
    ...c,
    ...ldc,
    ...addFlag,
    OP.call,
    microIndex,
  ];
  const edgeCopy: Code = [
    ...callMicro(g('tmp'), i32(NR * 4), i32(0)),
    ...f.set('rows', minS(i32(MR), sub(g('M'), mul(g('is'), i32(MR))))),
    ...f.set('cols', minS(i32(NR), sub(g('N'), mul(g('js'), i32(NR))))),
    ...f.set('ct', cTile),
    ...forLoop(
      f,
      'r',
      i32(0),
      g('rows'),
      i32(1),
      forLoop(f, 'cc', i32(0), g('cols'), i32(1), [
        ...f.set('q', add(add(g('ct'), mul(g('r'), g('ldc'))), mul(g('cc'), i32(4)))),
        ...f.set('v', loadF32(add(add(g('tmp'), mul(g('r'), i32(NR * 4))), mul(g('cc'), i32(4)))), F32),
        ...ifElse(g('addk'), f.set('v', [...loadF32(g('q')), ...g('v'), OP.f32Add], F32)),
        ...storeF32(g('q'), g('v')),
      ]),
    ),
  ];
  const full = [...ltS(add(mul(g('is'), i32(MR)), i32(MR - 1)), g('M')), ...ltS(add(mul(g('js'), i32(NR)), i32(NR - 1)), g('N')), OP.i32And];
  const tile = ifElse(full, callMicro(cTile, g('ldc'), g('addk')), edgeCopy);
  const strips = forLoop(f, 'js', g('js0'), g('js1'), i32(1), [
    ...f.set('bp', add(g('bBlock'), mul(g('js'), [...g('bPacked'), OP.if, I32, ...mul(g('kc'), i32(NR * 4)), OP.else, ...i32(NR * 4), OP.end]))),
    ...forLoop(f, 'is', g('ib'), g('ie'), i32(1), tile),
  ]);
  const rowBlocks = forLoop(f, 'ib', i32(0), g('nis'), i32(MC / MR), [...f.set('ie', minS(add(g('ib'), i32(MC / MR)), g('nis'))), ...strips]);
  code.push(
    ...f.set('ldbEff', [...g('bPacked'), OP.if, I32, ...i32(NR * 4), OP.else, ...g('ldb'), OP.end]),
    ...forLoop(f, 'k0', i32(0), g('K'), g('KC'), [
      ...f.set('kc', minS(g('KC'), sub(g('K'), g('k0')))),
      ...f.set('addk', [...g('add'), ...g('k0'), OP.i32Or]),
      ...f.set('aBlock', add(g('pa'), mul(mul(g('k0'), mul(mul(g('nis'), i32(MR)), g('ntaps'))), i32(4)))),
      ...f.set(
        'bBlock',
        add(g('pb'), [...g('bPacked'), OP.if, I32, ...mul(mul(g('k0'), mul(g('njs'), i32(NR))), i32(4)), OP.else, ...mul(g('k0'), g('ldb')), OP.end]),
      ),
      ...rowBlocks,
    ]),
  );
  return { f, code };
}

/**
 * pack(tid, nth, src, n, w, K, os, ks, dst): strips of w (4 or 8) along a dimension of n, each
 * K x w with the w elements of one k contiguous: dst[s][k][j] = src[(s*w + j)*os + k*ks] (element
 * strides os and ks, in bytes), 0 past n. Threads split the strips.
 */
function pack(type: number): { f: Func; code: Code } {
  const names = ['tid', 'nth', 'src', 'n', 'w', 'K', 'os', 'ks', 'dst'];
  const f = new Func(
    type,
    names.map((n) => [n, I32] as const),
  );
  const g = (n: string) => f.get(n);
  const code: Code = [
    ...f.set('ns', divU(add(g('n'), sub(g('w'), i32(1))), g('w'))),
    ...f.set('s0', divU(mul(g('tid'), g('ns')), g('nth'))),
    ...f.set('s1', divU(mul(add(g('tid'), i32(1)), g('ns')), g('nth'))),
    ...forLoop(f, 's', g('s0'), g('s1'), i32(1), [
      ...f.set('o', add(g('dst'), mul(mul(g('s'), mul(g('w'), g('K'))), i32(4)))),
      ...forLoop(f, 'k', i32(0), g('K'), i32(1), [
        ...forLoop(f, 'j', i32(0), g('w'), i32(1), [
          ...f.set('idx', add(mul(g('s'), g('w')), g('j'))),
          ...storeF32(g('o'), [
            ...ltS(g('idx'), g('n')),
            OP.if,
            F32,
            ...loadF32(add(add(g('src'), mul(g('idx'), g('os'))), mul(g('k'), g('ks')))),
            OP.else,
            ...f32(0),
            OP.end,
          ]),
          ...f.set('o', add(g('o'), i32(4))),
        ]),
      ]),
    ]),
  ];
  return { f, code };
}

/** The GEMM module's bytes (functions: micro, microS, gemm, gemmS, pack; GEMM_FUNCS) for a memory import. */
export const GEMM_FUNCS = ['micro', 'microS', 'gemm', 'gemmS', 'pack'] as const;
export function gemmModule(memory: MemoryImport, fused: boolean): Uint8Array<ArrayBuffer> {
  const funcs = [micro(0, fused, false), micro(0, fused, true), macro(1, 0, false), macro(1, 1, true), pack(2)];
  return moduleOf(
    memory,
    [
      [new Array<number>(11).fill(I32), []],
      [new Array<number>(17).fill(I32), []],
      [new Array<number>(9).fill(I32), []],
    ],
    funcs,
    GEMM_FUNCS,
  );
}
