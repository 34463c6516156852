import { isFloat } from '../dtype.js';
import { ValueError, fmtShape } from '../errors.js';
import { type Prim, apply } from '../prim.js';
import { type Tensor, assertUsable } from '../tensor.js';
import { reshape } from './reshape.js';
import { slice } from './slice.js';

interface PadParams {
  readonly pads: readonly (readonly [number, number])[];
  readonly value: number;
}

/**
 * Constant padding: out.shape[d] = before[d] + x.shape[d] + after[d]; x sits at offset
 * `before` and every other cell holds `value`. VJP: the slice of the cotangent where x sits.
 */
/** @internal registered in registry.ts */
export const padPrim: Prim<PadParams> = {
  name: 'pad',
  forward: (backend, [x], { pads, value }) => ({
    buf: backend.pad(x!, pads, value),
    shape: x!.shape.map((n, d) => pads[d]![0] + n + pads[d]![1]),
    dtype: x!.dtype,
  }),
  vjp: (g, { inputs, params }) => [
    slice(
      g,
      params.pads.map(([b], d) => [b, b + inputs[0]!.shape[d]!] as const),
    ),
  ],
};

/**
 * Pads every dimension d of x with `pads[d] = [before, after]` cells (non-negative integers, one
 * pair per dimension, first dimension first) of `value`. The building block of `pad`, whose
 * `pads` argument follows torch.nn.functional.pad's last-dimension-first order instead.
 * @example constantPad(tensor([1, 2]), [[1, 2]], 0) // [0, 1, 2, 0, 0]
 */
export function constantPad(x: Tensor, pads: readonly (readonly [number, number])[], value = 0): Tensor {
  assertUsable(x, 'constantPad');
  if (pads.length !== x.rank) {
    throw new ValueError(`constantPad: got ${pads.length} [before, after] pairs for a tensor of rank ${x.rank} ${fmtShape(x.shape)}; give one per dimension`);
  }
  for (const p of pads) {
    if (!Array.isArray(p) || p.length !== 2 || !p.every((v) => Number.isInteger(v) && v >= 0)) {
      throw new ValueError(
        `constantPad: every pad must be a pair of non-negative integers, got [${pads.map((q) => `[${q}]`).join(', ')}] for shape ${fmtShape(x.shape)}`,
      );
    }
  }
  if (!isFloat(x.dtype) && !Number.isFinite(value)) {
    throw new ValueError(`constantPad: value ${value} cannot be stored in a ${x.dtype} tensor`);
  }
  if (pads.every(([b, a]) => b === 0 && a === 0)) return reshape(x, x.shape);
  return apply(padPrim, [x], { pads: pads.map(([b, a]) => [b, a] as const), value });
}
