/** Every error pixgrad throws on purpose is a PixgradError, so callers can tell them from bugs. */
export class PixgradError extends Error {
  override name = 'PixgradError';
}
/** Shapes that do not fit an op. The message names the op and every shape involved. */
export class ShapeError extends PixgradError {
  override name = 'ShapeError';
}
/** A dtype an op does not accept, or two dtypes that cannot be combined. */
export class DTypeError extends PixgradError {
  override name = 'DTypeError';
}
/** An axis outside [-rank, rank), or repeated. */
export class AxisError extends PixgradError {
  override name = 'AxisError';
}
/** An index outside its dimension (gather, indexSelect, oneHot). */
export class IndexError extends PixgradError {
  override name = 'IndexError';
}
/** A bad argument value (negative stride, unknown mode, ...). */
export class ValueError extends PixgradError {
  override name = 'ValueError';
}
/** A tensor used after dispose(). */
export class DisposedError extends PixgradError {
  override name = 'DisposedError';
}
/** Misuse of autodiff: backward on a non-scalar without a gradient, through a released graph, ... */
export class AutodiffError extends PixgradError {
  override name = 'AutodiffError';
}
/** gradcheck found a mismatch (with throwOnFailure) or a non-finite value. */
export class GradcheckError extends PixgradError {
  override name = 'GradcheckError';
}
/** A backend failed or is unavailable (no adapter, device lost, out of memory, shader error). */
export class BackendError extends PixgradError {
  override name = 'BackendError';
}

export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
