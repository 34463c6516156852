import { ValueError } from '../errors.js';
import { Tensor, assertUsable } from '../tensor.js';

const describe = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);

/**
 * Checks the operands of an elementwise op: each a live Tensor or a JS number (a scalar), so that
 * a string or an array never turns silently into NaN. Names the op and the argument.
 */
export function checkOperands(op: string, names: readonly string[], ...values: unknown[]): void {
  values.forEach((v, i) => {
    if (v instanceof Tensor) assertUsable(v, op);
    else if (typeof v !== 'number') throw new ValueError(`${op}: ${names[i]} must be a Tensor or a number, got ${describe(v)}`);
  });
}

/** Checks an optional scalar parameter: a finite number (or, with allowInfinite, ±Infinity), or undefined/null. */
export function checkScalarParam(op: string, name: string, v: unknown, allowInfinite = false): void {
  if (v === undefined || v === null) return;
  if (typeof v !== 'number' || Number.isNaN(v) || (!allowInfinite && !Number.isFinite(v))) {
    throw new ValueError(`${op}: ${name} must be a ${allowInfinite ? '' : 'finite '}number, got ${typeof v === 'number' ? v : describe(v)}`);
  }
}
