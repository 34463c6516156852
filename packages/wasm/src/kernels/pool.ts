/**
 * maxpool(tid, nth, planes, H, W, Ho, Wo, kh, kw, sh, sw, ph, pw, dh, dw, src, vals, idx): max
 * pooling of each [H, W] plane with the CPU reference's rules (core backends/cpu/pool.ts): only
 * taps inside the plane count, a later tap wins when strictly greater or NaN, and the index is the
 * winner's flat position in its plane (a window with no tap inside gives -inf and its first tap
 * clamped into the plane). Scalar code: a pooling window is a few taps; threads split the output
 * rows of all planes.
 */
import { type Code, F32, Func, I32, type MemoryImport, OP, add, divU, f32, forLoop, i32, ifElse, loadF32, minS, moduleOf, mul, storeF32, sub } from '../asm.js';

const PARAMS = ['tid', 'nth', 'planes', 'H', 'W', 'Ho', 'Wo', 'kh', 'kw', 'sh', 'sw', 'ph', 'pw', 'dh', 'dw', 'src', 'vals', 'idx'] as const;

function maxpool(): { f: Func; code: Code } {
  const f = new Func(
    0,
    PARAMS.map((n) => [n, I32] as const),
  );
  const g = (n: string) => f.get(n);
  const maxS = (a: Code, b: Code): Code => [...a, ...b, ...a, ...b, OP.i32GtS, OP.select];
  /** the taps start + t*step (t < k) inside [0, size): first into `${v}0`, loop end into `${v}1` (as pool.ts's taps) */
  const taps = (v: string, start: Code, step: string, k: string, size: string): Code => [
    ...f.set('st', start),
    // first = start < 0 ? start + ceil(-start / step) * step : start
    ...f.set(`${v}0`, [
      ...f.get('st'),
      ...add(f.get('st'), mul(divU(sub(sub(g(step), i32(1)), f.get('st')), g(step)), g(step))),
      ...f.get('st'),
      ...i32(0),
      OP.i32GeS,
      OP.select,
    ]),
    ...f.set(`${v}1`, maxS(g(`${v}0`), minS(add(add(f.get('st'), mul(sub(g(k), i32(1)), g(step))), i32(1)), g(size)))),
  ];
  const tap: Code = [
    ...f.set('v', loadF32(add(g('base'), mul(add(mul(g('iy'), g('W')), g('ix')), i32(4)))), F32),
    ...ifElse(
      [...f.get('v', F32), ...f.get('best', F32), OP.f32Gt, ...f.get('v', F32), ...f.get('v', F32), OP.f32Ne, OP.i32Or],
      [...f.set('best', f.get('v', F32), F32), ...f.set('at', add(mul(g('iy'), g('W')), g('ix')))],
    ),
  ];
  const output: Code = [
    ...taps('x', sub(mul(g('ox'), g('sw')), g('pw')), 'dw', 'kw', 'W'),
    ...f.set('best', f32(-Infinity), F32),
    ...f.set('at', add(mul(minS(g('y0'), sub(g('H'), i32(1))), g('W')), minS(g('x0'), sub(g('W'), i32(1))))),
    ...forLoop(f, 'iy', g('y0'), g('y1'), g('dh'), forLoop(f, 'ix', g('x0'), g('x1'), g('dw'), tap)),
    ...f.set('o', add(mul(g('r'), g('Wo')), g('ox'))),
    ...storeF32(add(g('vals'), mul(g('o'), i32(4))), f.get('best', F32)),
    ...add(g('idx'), mul(g('o'), i32(4))),
    ...g('at'),
    OP.i32Store,
    2,
    0,
  ];
  const row: Code = [
    ...f.set('p', divU(g('r'), g('Ho'))),
    ...f.set('oy', sub(g('r'), mul(g('p'), g('Ho')))),
    ...f.set('base', add(g('src'), mul(mul(mul(g('p'), g('H')), g('W')), i32(4)))),
    ...taps('y', sub(mul(g('oy'), g('sh')), g('ph')), 'dh', 'kh', 'H'),
    ...forLoop(f, 'ox', i32(0), g('Wo'), i32(1), output),
  ];
  const rows = mul(g('planes'), g('Ho'));
  const code: Code = [
    ...f.set('r0', divU(mul(g('tid'), rows), g('nth'))),
    ...f.set('r1', divU(mul(add(g('tid'), i32(1)), rows), g('nth'))),
    ...forLoop(f, 'r', g('r0'), g('r1'), i32(1), row),
  ];
  return { f, code };
}

export function poolModule(memory: MemoryImport): Uint8Array<ArrayBuffer> {
  return moduleOf(memory, [[new Array<number>(PARAMS.length).fill(I32), []]], [maxpool()], ['maxpool']);
}
