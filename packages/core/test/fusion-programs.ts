/**
 * Random programs for the fusion tests (core on the CPU, kernels on WebGPU): elementwise ops,
 * scalar operands, compare/where, casts, views (permute, flip, slice with steps, expand, reshape)
 * and reductions over a pool of tensors made from fast-check data, with the awkward values (-0,
 * NaN, infinities, ties, huge and tiny) and shapes (rank 0-4, size-1 dims, broadcast operands).
 */
import fc from 'fast-check';
import { type DType, type Tensor, type DataArray, type UnaryOp, UNARY_OPS, BINARY_OPS, COMPARE_OPS, tensor, tidy, where } from '@pixgrad/core';

type Step =
  | { k: 'unary'; op: UnaryOp; x: number }
  | { k: 'binary'; op: (typeof BINARY_OPS)[number]; a: number; b: number }
  | { k: 'scalar'; op: (typeof BINARY_OPS)[number]; a: number; value: number; left: boolean }
  | { k: 'compareWhere'; op: (typeof COMPARE_OPS)[number]; a: number; b: number; x: number; y: number }
  | { k: 'cast'; x: number; dtype: DType }
  | { k: 'permute'; x: number; seed: number }
  | { k: 'flip'; x: number; axis: number }
  | { k: 'slice'; x: number; axis: number; start: number; step: number }
  | { k: 'expandBack'; x: number }
  | { k: 'reshapeFlat'; x: number }
  | { k: 'pad'; x: number; pads: number[]; value: number }
  | { k: 'sliceSum'; x: number; axis: number }
  | { k: 'reduce'; op: 'sum' | 'max' | 'min' | 'prod' | 'mean'; x: number; axis: number; keep: boolean };

const special = [0, -0, 1, -1, 0.5, -0.5, 2, 1e-30, -1e30, 3.4e38, Infinity, -Infinity, NaN, 7, 1e-7];
const value = fc.oneof(fc.constantFrom(...special), fc.double({ min: -8, max: 8, noNaN: true }));

const arbShape = fc.array(fc.constantFrom(1, 1, 2, 3, 5), { minLength: 0, maxLength: 4 });
const pick = fc.nat(1000);
const arbStep: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ k: fc.constant('unary' as const), op: fc.constantFrom(...UNARY_OPS), x: pick }),
  fc.record({ k: fc.constant('binary' as const), op: fc.constantFrom(...BINARY_OPS), a: pick, b: pick }),
  fc.record({ k: fc.constant('scalar' as const), op: fc.constantFrom(...BINARY_OPS), a: pick, value, left: fc.boolean() }),
  fc.record({ k: fc.constant('compareWhere' as const), op: fc.constantFrom(...COMPARE_OPS), a: pick, b: pick, x: pick, y: pick }),
  fc.record({ k: fc.constant('cast' as const), x: pick, dtype: fc.constantFrom<DType>('int32', 'bool', 'float32', 'float64') }),
  fc.record({ k: fc.constant('permute' as const), x: pick, seed: pick }),
  fc.record({ k: fc.constant('flip' as const), x: pick, axis: pick }),
  fc.record({ k: fc.constant('slice' as const), x: pick, axis: pick, start: fc.integer({ min: -3, max: 3 }), step: fc.constantFrom(1, 2, -1, -2) }),
  fc.record({ k: fc.constant('expandBack' as const), x: pick }),
  fc.record({ k: fc.constant('reshapeFlat' as const), x: pick }),
  fc.record({ k: fc.constant('pad' as const), x: pick, pads: fc.array(fc.nat(2), { minLength: 2, maxLength: 4 }), value: fc.constantFrom(0, -1.5, Infinity) }),
  fc.record({ k: fc.constant('sliceSum' as const), x: pick, axis: pick }),
  fc.record({
    k: fc.constant('reduce' as const),
    op: fc.constantFrom('sum' as const, 'max' as const, 'min' as const, 'prod' as const, 'mean' as const),
    x: pick,
    axis: pick,
    keep: fc.boolean(),
  }),
);

/** Inputs: a full-shape tensor and broadcastable ones (some dims 1, some leading dims dropped). */
/** A case; `dtypes` are the float dtypes to draw from (WebGPU has no float64). */
export const arbCase = (dtypes: DType[] = ['float32', 'float64']) =>
  arbShape.chain((shape) =>
    fc.record({
      shape: fc.constant(shape),
      dtype: fc.constantFrom<DType>(...dtypes),
      masks: fc.array(fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }), { minLength: 1, maxLength: 3 }),
      drops: fc.array(fc.nat(shape.length), { minLength: 3, maxLength: 3 }),
      data: fc.array(value, { minLength: 4 * 125, maxLength: 4 * 125 }),
      steps: fc.array(arbStep, { minLength: 1, maxLength: 14 }),
    }),
  );

const PARAMS: Partial<Record<UnaryOp, (t: Tensor) => Tensor>> = {
  leakyRelu: (t) => t.leakyRelu(0.2),
  softplus: (t) => t.softplus({ beta: 2, threshold: 5 }),
  clamp: (t) => t.clamp(-0.5, 2),
};

export type Case = ReturnType<typeof arbCase> extends fc.Arbitrary<infer T> ? T : never;

/** Runs the steps (on `device`, else the default); a step that does not apply to its operands is skipped. Returns every tensor made, for the caller to read and dispose. */
export function build(c: Case, device?: 'cpu' | 'webgpu' | 'wasm'): Tensor[] {
  return tidy(() => {
    const pool: Tensor[] = [];
    let at = 0;
    const next = (shape: number[]) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const values = Array.from({ length: n }, (_, i) => c.data[(at + i) % c.data.length]!);
      const t = tensor(values, { dtype: c.dtype, ...(device ? { device } : {}) }).reshape(shape);
      at += n;
      return t;
    };
    pool.push(next(c.shape));
    c.masks.forEach((m: boolean[], i: number) =>
      pool.push(next(c.shape.map((d: number, j: number) => (m[j] ? d : 1)).slice(c.drops[i]! % (c.shape.length + 1)))),
    );
    const get = (i: number) => pool[i % pool.length]!;
    const floats = (t: Tensor) => t.dtype === 'float32' || t.dtype === 'float64';
    for (const s of c.steps) {
      try {
        switch (s.k) {
          case 'unary': {
            const x = get(s.x);
            if (!floats(x)) continue;
            pool.push(PARAMS[s.op as UnaryOp]?.(x) ?? (x as unknown as Record<string, () => Tensor>)[s.op]!());
            break;
          }
          case 'binary': {
            const a = get(s.a),
              b = get(s.b);
            if (a.dtype !== b.dtype || !floats(a)) continue;
            pool.push((a as unknown as Record<string, (b: Tensor) => Tensor>)[s.op as string]!(b));
            break;
          }
          case 'scalar': {
            const a = get(s.a);
            if (!floats(a)) continue;
            const op = s.op as (typeof BINARY_OPS)[number];
            pool.push(s.left ? tensor(s.value, { dtype: a.dtype, device: a.device })[op](a) : a[op](s.value));
            break;
          }
          case 'compareWhere': {
            const a = get(s.a),
              b = get(s.b),
              x = get(s.x),
              y = get(s.y);
            if (a.dtype !== b.dtype || x.dtype !== y.dtype) continue;
            const m = a[s.op as (typeof COMPARE_OPS)[number]](b);
            pool.push(m, where(m, x, y));
            break;
          }
          case 'cast':
            pool.push(get(s.x).cast(s.dtype));
            break;
          case 'permute': {
            const x = get(s.x);
            const axes = x.shape.map((_, i) => i).sort((i, j) => ((i * 7 + s.seed) % 5) - ((j * 7 + s.seed) % 5));
            pool.push(x.permute(axes));
            break;
          }
          case 'flip': {
            const x = get(s.x);
            if (x.rank) pool.push(x.flip(s.axis % x.rank));
            break;
          }
          case 'slice': {
            const x = get(s.x);
            if (!x.rank) continue;
            const spec = x.shape.map((_, d) => (d === s.axis % x.rank ? ([s.start, null, s.step] as [number, null, number]) : null));
            pool.push(x.slice(spec));
            break;
          }
          case 'expandBack': {
            const x = get(s.x);
            pool.push(x.unsqueeze(0).expand([2, ...x.shape]));
            break;
          }
          case 'reshapeFlat':
            pool.push(get(s.x).reshape([-1]));
            break;
          case 'pad': {
            const x = get(s.x);
            if (!x.rank) continue;
            pool.push(x.pad(s.pads.slice(0, 2 * Math.min(x.rank, s.pads.length >> 1)), { value: s.value }));
            break;
          }
          case 'sliceSum': {
            // a concat's gradient: the two halves of a dim padded back to full size and added
            const x = get(s.x);
            if (!x.rank) continue;
            const d = s.axis % x.rank;
            const n = x.shape[d]!;
            const h = n >> 1;
            const spec = (a: number, b: number) => x.shape.map((_, e) => (e === d ? ([a, b] as [number, number]) : null));
            const pads = (before: number, after: number) => x.shape.flatMap((_, e) => (x.rank - 1 - e === d ? [before, after] : [0, 0]));
            pool.push(
              x
                .slice(spec(0, h))
                .pad(pads(0, n - h))
                .add(x.slice(spec(h, n)).pad(pads(h, 0))),
            );
            break;
          }
          case 'reduce': {
            const x = get(s.x);
            if (!floats(x) || x.size === 0) continue;
            const op = s.op as 'sum' | 'max' | 'min' | 'prod' | 'mean';
            pool.push(x.rank ? x[op](s.axis % x.rank, s.keep) : x[op]());
            break;
          }
        }
      } catch (e) {
        if (!(e instanceof Error && /ShapeError|DTypeError|ValueError/.test(e.name))) throw e;
      }
    }
    return pool;
  });
}

/** Every value bit for bit ('-0' apart from '0'; NaN equal to NaN). */
export const bits = (a: DataArray): string[] => Array.from(a, (v) => (Object.is(v, -0) ? '-0' : String(v)));

/** Reads and frees the tensors of a program. */
export async function readAll(ts: Tensor[]): Promise<DataArray[]> {
  const out: DataArray[] = [];
  for (const t of ts) out.push(await t.data());
  for (const t of ts) t.dispose();
  return out;
}
