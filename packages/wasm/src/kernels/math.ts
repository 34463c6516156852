/**
 * Float32 math on f32x4 lanes for the fused elementwise kernels: exp, log, sin, cos, atan2 and
 * what is built on them, as WebAssembly functions (v128) -> v128.
 *
 * The polynomials and range reductions are Cephes' single-precision ones (S. L. Moshier, Cephes
 * Math Library: expf.c, logf.c, sinf.c, atanf.c, tanhf.c), accurate to about 2 ulp on their
 * domains; sin and cos are reduced by pi/4 in three parts (Cody-Waite), accurate for |x| < 8192
 * (beyond, the result stays in [-1, 1] but loses accuracy: JavaScript's exact reduction is not
 * reproduced).
 * Special values follow JavaScript's Math functions, which the CPU reference calls: NaN in, NaN
 * out; exp(+-inf) = inf, 0; log(0) = -inf, log(x < 0) = NaN; pow and atan2 have JavaScript's
 * table of special cases (pow(x, 0) = 1, pow(1, NaN) = NaN, signed zeros, infinities).
 */
import { type Code, Func, OP, V128, f32x4, i32, i32x4, simd } from '../asm.js';

// ---- a small vocabulary of f32x4 / i32x4 expressions
const op2 =
  (o: number) =>
  (a: Code, b: Code): Code => [...a, ...b, ...simd(o)];
const op1 =
  (o: number) =>
  (a: Code): Code => [...a, ...simd(o)];
export const F = {
  add: op2(OP.f32x4Add),
  sub: op2(OP.f32x4Sub),
  mul: op2(OP.f32x4Mul),
  div: op2(OP.f32x4Div),
  min: op2(OP.f32x4Min),
  max: op2(OP.f32x4Max),
  eq: op2(OP.f32x4Eq),
  ne: op2(OP.f32x4Ne),
  lt: op2(OP.f32x4Lt),
  gt: op2(OP.f32x4Gt),
  le: op2(OP.f32x4Le),
  ge: op2(OP.f32x4Ge),
  abs: op1(OP.f32x4Abs),
  neg: op1(OP.f32x4Neg),
  sqrt: op1(OP.f32x4Sqrt),
  floor: op1(OP.f32x4Floor),
  ceil: op1(OP.f32x4Ceil),
  nearest: op1(OP.f32x4Nearest),
  /** f32 lanes from i32 lanes */
  fromInt: op1(OP.f32x4ConvertI32x4S),
  c: (v: number): Code => f32x4(v),
};
export const I = {
  add: op2(OP.i32x4Add),
  sub: op2(OP.i32x4Sub),
  and: op2(OP.v128And),
  or: op2(OP.v128Or),
  andNot: op2(OP.v128AndNot),
  xor: op2(OP.v128Xor),
  not: op1(OP.v128Not),
  eq: op2(OP.i32x4Eq),
  lt: op2(OP.i32x4LtS),
  gt: op2(OP.i32x4GtS),
  shl: (a: Code, n: number): Code => [...a, ...i32(n), ...simd(OP.i32x4Shl)],
  shr: (a: Code, n: number): Code => [...a, ...i32(n), ...simd(OP.i32x4ShrS)],
  /** i32 lanes from f32 lanes (toward zero, saturating; NaN gives 0) */
  trunc: op1(OP.i32x4TruncSatF32x4S),
  c: (v: number): Code => i32x4(v),
};
/** lanes of a where the mask is set, else of b */
export const sel = (mask: Code, a: Code, b: Code): Code => [...a, ...b, ...mask, ...simd(OP.v128Bitselect)];
/** Horner: c[0] + x (c[1] + x (c[2] + ...)), highest coefficient last */
function poly(x: Code, cs: readonly number[]): Code {
  let e = F.c(cs[cs.length - 1]!);
  for (let i = cs.length - 2; i >= 0; i--) e = F.add(F.mul(e, x), F.c(cs[i]!));
  return e;
}
const SIGN = 0x80000000 | 0;
const signBit = (x: Code): Code => I.lt(x, I.c(0));
/** |mag| with the sign of s */
const copySign = (mag: Code, s: Code): Code => sel(I.c(SIGN), s, mag);
const isNan = (x: Code): Code => F.ne(x, x);

export type MathFn = 'exp' | 'log' | 'log1p' | 'expm1' | 'sin' | 'cos' | 'tanh' | 'sigmoid' | 'pow' | 'atan2';
/** what each function calls */
export const MATH_DEPS: Record<MathFn, readonly MathFn[]> = {
  exp: [],
  log: [],
  log1p: ['log'],
  expm1: ['exp', 'log'],
  sin: [],
  cos: [],
  tanh: ['exp'],
  sigmoid: ['exp'],
  pow: ['exp', 'log'],
  atan2: [],
};
export const MATH_ARITY: Record<MathFn, 1 | 2> = { exp: 1, log: 1, log1p: 1, expm1: 1, sin: 1, cos: 1, tanh: 1, sigmoid: 1, pow: 2, atan2: 2 };

/** A math function's body; `call(name)` is the call instruction of another one in the module. */
export function mathFunc(name: MathFn, type: number, call: (f: MathFn) => Code): { f: Func; code: Code } {
  const params: [string, number][] =
    MATH_ARITY[name] === 1
      ? [['x', V128]]
      : [
          ['a', V128],
          ['b', V128],
        ];
  const f = new Func(type, params);
  const v = (n: string) => f.get(n, V128);
  const let_ = (n: string, e: Code) => f.set(n, e, V128);
  const x = v('x');
  switch (name) {
    case 'exp': {
      // x = n ln2 + r, |r| <= ln2/2; e^r by a degree-7 polynomial; 2^n applied in two halves so n = 128 and n = -150 stay representable
      const code = [
        ...let_('t', F.min(F.max(x, F.c(-104)), F.c(88.72283935546875))),
        ...let_('n', F.nearest(F.mul(v('t'), F.c(Math.LOG2E)))),
        ...let_('r', F.sub(F.sub(v('t'), F.mul(v('n'), F.c(0.693359375))), F.mul(v('n'), F.c(-2.1219444e-4)))),
        ...let_(
          'p',
          F.add(
            F.add(
              F.mul(F.mul(poly(v('r'), [5.0000001201e-1, 1.6666665459e-1, 4.1665795894e-2, 8.3334519073e-3, 1.3981999507e-3, 1.98756915e-4]), v('r')), v('r')),
              v('r'),
            ),
            F.c(1),
          ),
        ),
        ...let_('k', I.trunc(v('n'))),
        ...let_('k1', I.shr(v('k'), 1)),
        ...let_('p', F.mul(v('p'), I.shl(I.add(v('k1'), I.c(127)), 23))),
        ...let_('p', F.mul(v('p'), I.shl(I.add(I.sub(v('k'), v('k1')), I.c(127)), 23))),
        ...sel(F.gt(x, F.c(88.72283935546875)), F.c(Infinity), v('p')),
      ];
      return { f, code };
    }
    case 'log': {
      // x = m 2^e with m in [sqrt(1/2), sqrt(2)); log(m) by Cephes' polynomial in m - 1
      const code = [
        // subnormals: scale by 2^23 first
        ...let_('tiny', F.lt(F.abs(x), F.c(1.1754943508222875e-38))),
        ...let_('s', sel(v('tiny'), F.mul(x, F.c(8388608)), x)),
        ...let_('e', I.sub(I.and(I.shr(v('s'), 23), I.c(255)), sel(v('tiny'), I.c(127 + 23), I.c(127)))),
        ...let_('m', I.or(I.and(v('s'), I.c(0x7fffff)), I.c(0x3f800000))),
        ...let_('big', F.gt(v('m'), F.c(1.41421356237))),
        ...let_('m', sel(v('big'), F.mul(v('m'), F.c(0.5)), v('m'))),
        ...let_('e', I.sub(v('e'), v('big'))), // a set mask is -1: e + 1
        ...let_('fe', F.fromInt(v('e'))),
        ...let_('g', F.sub(v('m'), F.c(1))),
        ...let_('z', F.mul(v('g'), v('g'))),
        ...let_(
          'y',
          F.mul(
            F.mul(
              poly(
                v('g'),
                [
                  3.3333331174e-1, -2.4999993993e-1, 2.0000714765e-1, -1.6668057665e-1, 1.4249322787e-1, -1.242014084e-1, 1.167699874e-1, -1.151461031e-1,
                  7.0376836292e-2,
                ],
              ),
              v('g'),
            ),
            v('z'),
          ),
        ),
        ...let_('y', F.add(v('y'), F.mul(v('fe'), F.c(-2.1219444e-4)))),
        ...let_('y', F.sub(v('y'), F.mul(v('z'), F.c(0.5)))),
        ...let_('y', F.add(F.add(v('g'), v('y')), F.mul(v('fe'), F.c(0.693359375)))),
        ...let_('y', sel(F.eq(x, F.c(0)), F.c(-Infinity), v('y'))),
        ...let_('y', sel(F.eq(x, F.c(Infinity)), x, v('y'))),
        ...sel(I.or(F.lt(x, F.c(0)), isNan(x)), F.c(NaN), v('y')),
      ];
      return { f, code };
    }
    case 'log1p': {
      // log(u) * x / (u - 1) with u = 1 + x: the rounding of 1 + x cancels (Goldberg, What every computer scientist should know about floating-point arithmetic, thm. 4)
      const code = [
        ...let_('u', F.add(x, F.c(1))),
        ...let_('d', F.sub(v('u'), F.c(1))),
        ...let_('y', F.mul(F.div([...v('u'), ...call('log')], v('d')), x)),
        ...let_('y', sel(F.eq(v('d'), F.c(0)), x, v('y'))),
        ...sel(F.eq(x, F.c(Infinity)), x, v('y')),
      ];
      return { f, code };
    }
    case 'expm1': {
      // (u - 1) x / log(u) with u = e^x (Kahan)
      const code = [
        ...let_('u', [...x, ...call('exp')]),
        ...let_('d', F.sub(v('u'), F.c(1))),
        ...let_('y', F.mul(v('d'), F.div(x, [...v('u'), ...call('log')]))),
        ...let_('y', sel(F.eq(v('d'), F.c(0)), x, v('y'))),
        ...let_('y', sel(F.eq(v('d'), F.c(-1)), v('d'), v('y'))),
        ...sel(F.gt(x, F.c(88.72283935546875)), F.c(Infinity), v('y')),
      ];
      return { f, code };
    }
    case 'sin':
    case 'cos': {
      // j = nearest even multiple of pi/4 below |x|*4/pi, r = |x| - j pi/4 in three parts; the octant picks the polynomial and the sign
      const code = [
        ...let_('ax', F.abs(x)),
        ...let_('j', I.trunc(F.mul(v('ax'), F.c(1.27323954473516)))),
        ...let_('j', I.and(I.add(v('j'), I.c(1)), I.c(~1))),
        ...let_('y', F.fromInt(v('j'))),
        ...let_(
          'r',
          F.sub(F.sub(F.sub(v('ax'), F.mul(v('y'), F.c(0.78515625))), F.mul(v('y'), F.c(2.4187564849853515625e-4))), F.mul(v('y'), F.c(3.774894977445941e-8))),
        ),
        // past Cephes' bound (|x| < 8192) the reduction loses digits: keep r in range so the result stays in [-1, 1]
        ...let_('r', F.min(F.max(v('r'), F.c(-0.7853982)), F.c(0.7853982))),
        ...let_('z', F.mul(v('r'), v('r'))),
        ...let_('ps', F.add(F.mul(F.mul(poly(v('z'), [-1.6666654611e-1, 8.3321608736e-3, -1.9515295891e-4]), v('z')), v('r')), v('r'))),
        ...let_(
          'pc',
          F.add(
            F.sub(F.mul(F.mul(poly(v('z'), [4.166664568298827e-2, -1.388731625493765e-3, 2.443315711809948e-5]), v('z')), v('z')), F.mul(v('z'), F.c(0.5))),
            F.c(1),
          ),
        ),
      ];
      if (name === 'sin') {
        // octants 2, 3 (mod 4) use the cosine polynomial; sign flips in octants 4..7 and for x < 0
        code.push(...let_('swap', I.eq(I.and(v('j'), I.c(2)), I.c(2))));
        code.push(...let_('y', sel(v('swap'), v('pc'), v('ps'))));
        code.push(...let_('neg', I.xor(I.shl(I.and(v('j'), I.c(4)), 29), I.and(x, I.c(SIGN)))));
        code.push(...I.xor(v('y'), v('neg')));
      } else {
        code.push(...let_('swap', I.eq(I.and(v('j'), I.c(2)), I.c(2))));
        code.push(...let_('y', sel(v('swap'), v('ps'), v('pc'))));
        // sign flips in octants 2..5: ((j + 2) & 4)
        code.push(...I.xor(v('y'), I.shl(I.and(I.add(v('j'), I.c(2)), I.c(4)), 29)));
      }
      return { f, code };
    }
    case 'tanh': {
      // small |x|: Cephes' odd polynomial; else 1 - 2 / (e^{2|x|} + 1), with x's sign
      const code = [
        ...let_('ax', F.abs(x)),
        ...let_('z', F.mul(x, x)),
        ...let_(
          'p',
          F.add(F.mul(F.mul(poly(v('z'), [-3.33332819422e-1, 1.33314422036e-1, -5.37397155531e-2, 2.06390887954e-2, -5.70498872745e-3]), v('z')), x), x),
        ),
        ...let_('e', [...F.mul(v('ax'), F.c(2)), ...call('exp')]),
        ...let_('q', copySign(F.sub(F.c(1), F.div(F.c(2), F.add(v('e'), F.c(1)))), x)),
        ...sel(F.lt(v('ax'), F.c(0.625)), v('p'), v('q')),
      ];
      return { f, code };
    }
    case 'sigmoid': {
      // e = e^{-|x|} never overflows: 1 / (1 + e) for x >= 0, e / (1 + e) below (as the CPU's two branches)
      const code = [
        ...let_('e', [...F.neg(F.abs(x)), ...call('exp')]),
        ...let_('d', F.add(v('e'), F.c(1))),
        ...sel(F.ge(x, F.c(0)), F.div(F.c(1), v('d')), F.div(v('e'), v('d'))),
      ];
      return { f, code };
    }
    case 'pow': {
      const a = v('a');
      const b = v('b');
      const code = [
        // |a|^b = e^{b log|a|}
        ...let_('y', [...F.mul(b, [...F.abs(a), ...call('log')]), ...call('exp')]),
        ...let_('int', F.eq(F.floor(b), b)),
        // odd integer exponent: b/2 not an integer, and b small enough to have a units digit
        ...let_('odd', I.and(I.and(v('int'), F.ne(F.floor(F.mul(b, F.c(0.5))), F.mul(b, F.c(0.5)))), F.lt(F.abs(b), F.c(16777216)))),
        ...let_('y', sel(I.and(signBit(a), v('odd')), F.neg(v('y')), v('y'))),
        // a negative finite base with a non-integer exponent has no real power
        ...let_('y', sel(I.and(I.and(F.lt(a, F.c(0)), F.gt(a, F.c(-Infinity))), I.not(v('int'))), F.c(NaN), v('y'))),
        ...sel(F.eq(b, F.c(0)), F.c(1), v('y')),
      ];
      return { f, code };
    }
    case 'atan2': {
      const y = v('a');
      const xx = v('b');
      const code = [
        ...let_('ay', F.abs(y)),
        ...let_('ax', F.abs(xx)),
        ...let_('mx', F.max(v('ay'), v('ax'))),
        ...let_('mn', F.min(v('ay'), v('ax'))),
        ...let_('t', F.div(v('mn'), v('mx'))),
        ...let_('t', sel(F.eq(v('mx'), F.c(0)), F.c(0), v('t'))),
        ...let_('t', sel(F.eq(v('mn'), F.c(Infinity)), F.c(1), v('t'))),
        // t > tan(pi/8): atan(t) = pi/4 + atan((t - 1) / (t + 1))
        ...let_('hi', F.gt(v('t'), F.c(0.414213562373095))),
        ...let_('u', sel(v('hi'), F.div(F.sub(v('t'), F.c(1)), F.add(v('t'), F.c(1))), v('t'))),
        ...let_('z', F.mul(v('u'), v('u'))),
        ...let_('r', F.add(F.mul(F.mul(poly(v('z'), [-3.33329491539e-1, 1.99777106478e-1, -1.38776856032e-1, 8.05374449538e-2]), v('z')), v('u')), v('u'))),
        ...let_('r', sel(v('hi'), F.add(v('r'), F.c(Math.PI / 4)), v('r'))),
        ...let_('r', sel(F.gt(v('ay'), v('ax')), F.sub(F.c(Math.PI / 2), v('r')), v('r'))),
        ...let_('r', sel(signBit(xx), F.sub(F.c(Math.PI), v('r')), v('r'))),
        ...copySign(v('r'), y),
      ];
      return { f, code };
    }
  }
}
