/**
 * Depthwise convolutions (each output channel reads one input plane: groups = C, SSIM's and
 * MS-SSIM's Gaussian windows, Sobel filters), where the GEMM has one row per group and would waste
 * three of its four. Over the same stride-phase layout as conv.ts, so an output row reads each
 * tap as a contiguous run:
 *
 * - dwconv: out[o, y, x] = sum_t w[o, t] * src[o / Og, tap t shifted] (8, then 4, outputs per
 *   step in f32x4 lanes, the last 0-3 one at a time); threads split the output rows.
 * - dwgrad: dw[o, t] = sum_{y, x} dy[o, y, x] * src[o / Og, tap t shifted]: a dot product per
 *   (o, t), f32x4 lanes per row and a float64 sum over rows; threads split the (o, t) pairs.
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
  fadd,
  fmul,
  forLoop,
  i32,
  loadF32,
  loadI32,
  loadV,
  mul,
  moduleOf,
  splatLoad,
  storeF32,
  storeV,
  sub,
  whileLoop,
} from '../asm.js';

const names = (...n: string[]) => n.map((x) => [x, I32] as const);

/** dwconv(tid, nth, O, Ho, Wo, Og, src, plane, row, taps, ntaps, w, dst) */
function dwconv(): { f: Func; code: Code } {
  const f = new Func(0, names('tid', 'nth', 'O', 'Ho', 'Wo', 'Og', 'src', 'plane', 'row', 'taps', 'ntaps', 'w', 'dst'));
  const g = (n: string) => f.get(n);
  const v = (n: string) => f.get(n, V128);
  const rows = mul(g('O'), g('Ho'));
  // the inner sum over taps for `lanes` outputs at x (vectors of 4, or one scalar)
  const sum = (width: 8 | 4 | 1): Code => {
    const c: Code = [];
    if (width === 1) c.push(...f.set('s', [0x43, 0, 0, 0, 0], F32));
    else c.push(...f.set('a0', [0xfd, 0x0c, ...new Array<number>(16).fill(0)], V128), ...f.set('a1', [0xfd, 0x0c, ...new Array<number>(16).fill(0)], V128));
    const at = add(add(g('base'), loadI32(add(g('taps'), mul(g('t'), i32(4))))), mul(g('x'), i32(4)));
    const body: Code = [...f.set('p', at)];
    if (width === 1) {
      body.push(...f.set('s', [...f.get('s', F32), ...loadF32(add(g('wrow'), mul(g('t'), i32(4)))), ...loadF32(g('p')), OP.f32Mul, OP.f32Add], F32));
    } else {
      body.push(...f.set('wv', splatLoad(add(g('wrow'), mul(g('t'), i32(4)))), V128));
      body.push(...f.set('a0', fadd(v('a0'), fmul(v('wv'), loadV(g('p')))), V128));
      if (width === 8) body.push(...f.set('a1', fadd(v('a1'), fmul(v('wv'), loadV(g('p'), 16))), V128));
    }
    c.push(...forLoop(f, 't', i32(0), g('ntaps'), i32(1), body));
    const out = add(g('orow'), mul(g('x'), i32(4)));
    if (width === 1) c.push(...storeF32(out, f.get('s', F32)));
    else {
      c.push(...storeV(out, v('a0')));
      if (width === 8) c.push(...storeV(out, v('a1'), 16));
    }
    return c;
  };
  const row: Code = [
    ...f.set('o', divU(g('r'), g('Ho'))),
    ...f.set('y', sub(g('r'), mul(g('o'), g('Ho')))),
    ...f.set('base', add(add(g('src'), mul(divU(g('o'), g('Og')), g('plane'))), mul(g('y'), g('row')))),
    ...f.set('wrow', add(g('w'), mul(mul(g('o'), g('ntaps')), i32(4)))),
    ...f.set('orow', add(g('dst'), mul(mul(g('r'), g('Wo')), i32(4)))),
    ...f.set('x', i32(0)),
    // x advances by 8 while 8 remain, then 4, then 1 (forLoop re-reads its bound: Wo - 7 and Wo - 3)
    ...whileLoop(f, 'x', sub(g('Wo'), i32(7)), 8, sum(8)),
    ...whileLoop(f, 'x', sub(g('Wo'), i32(3)), 4, sum(4)),
    ...whileLoop(f, 'x', g('Wo'), 1, sum(1)),
  ];
  const code: Code = [
    ...f.set('r0', divU(mul(g('tid'), rows), g('nth'))),
    ...f.set('r1', divU(mul(add(g('tid'), i32(1)), rows), g('nth'))),
    ...forLoop(f, 'r', g('r0'), g('r1'), i32(1), row),
  ];
  return { f, code };
}

/** dwgrad(tid, nth, O, Ho, Wo, Og, src, plane, row, taps, ntaps, dy, dw) */
function dwgrad(): { f: Func; code: Code } {
  const f = new Func(0, names('tid', 'nth', 'O', 'Ho', 'Wo', 'Og', 'src', 'plane', 'row', 'taps', 'ntaps', 'dy', 'dw'));
  const g = (n: string) => f.get(n);
  const v = (n: string) => f.get(n, V128);
  const F64 = 0x7c;
  const pairs = mul(g('O'), g('ntaps'));
  const lane = (j: number): Code => [...v('a'), 0xfd, 0x1f, j, 0xbb /* f64.promote_f32 */];
  const rowBody: Code = [
    ...f.set('p', add(g('base'), mul(g('y'), g('row')))),
    ...f.set('q', add(g('dyo'), mul(mul(g('y'), g('Wo')), i32(4)))),
    ...f.set('a', [0xfd, 0x0c, ...new Array<number>(16).fill(0)], V128),
    ...f.set('x', i32(0)),
    ...whileLoop(
      f,
      'x',
      sub(g('Wo'), i32(3)),
      4,
      f.set('a', fadd(v('a'), fmul(loadV(add(g('q'), mul(g('x'), i32(4)))), loadV(add(g('p'), mul(g('x'), i32(4)))))), V128),
    ),
    ...f.set('acc', [...f.get('acc', F64), ...lane(0), 0xa0, ...lane(1), 0xa0, ...lane(2), 0xa0, ...lane(3), 0xa0], F64),
    ...whileLoop(
      f,
      'x',
      g('Wo'),
      1,
      f.set(
        'acc',
        [...f.get('acc', F64), ...loadF32(add(g('q'), mul(g('x'), i32(4)))), ...loadF32(add(g('p'), mul(g('x'), i32(4)))), OP.f32Mul, 0xbb, 0xa0],
        F64,
      ),
    ),
  ];
  const pair: Code = [
    ...f.set('o', divU(g('k'), g('ntaps'))),
    ...f.set('t', sub(g('k'), mul(g('o'), g('ntaps')))),
    ...f.set('base', add(add(g('src'), mul(divU(g('o'), g('Og')), g('plane'))), loadI32(add(g('taps'), mul(g('t'), i32(4)))))),
    ...f.set('dyo', add(g('dy'), mul(mul(mul(g('o'), g('Ho')), g('Wo')), i32(4)))),
    ...f.set('acc', [0x44, 0, 0, 0, 0, 0, 0, 0, 0], F64),
    ...forLoop(f, 'y', i32(0), g('Ho'), i32(1), rowBody),
    ...storeF32(add(g('dw'), mul(g('k'), i32(4))), [...f.get('acc', F64), 0xb6 /* f32.demote_f64 */]),
  ];
  const code: Code = [
    ...f.set('k0', divU(mul(g('tid'), pairs), g('nth'))),
    ...f.set('k1', divU(mul(add(g('tid'), i32(1)), pairs), g('nth'))),
    ...forLoop(f, 'k', g('k0'), g('k1'), i32(1), pair),
  ];
  return { f, code };
}

export const DEPTHWISE_FUNCS = ['dwconv', 'dwgrad'] as const;
export function depthwiseModule(memory: MemoryImport): Uint8Array<ArrayBuffer> {
  return moduleOf(memory, [[new Array<number>(13).fill(I32), []]], [dwconv(), dwgrad()], DEPTHWISE_FUNCS);
}
