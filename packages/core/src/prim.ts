import { ARG_REDUCE_OPS, BINARY_OPS, COMPARE_OPS, UNARY_OPS, type Backend, type View } from './backend.js';
import { type DType, isFloat } from './dtype.js';
import { getBackend, isGradEnabled } from './engine.js';
import { ValueError } from './errors.js';
import type { Shape } from './shape.js';
import { Storage, Tensor, assertUsable } from './tensor.js';

/** What a primitive's forward produces: a new buffer, or an alias of one input's buffer (reshape). */
export type ForwardResult = { buf: unknown; shape: Shape; dtype: DType; extra?: View[] } | { alias: number; shape: Shape };

/** What a VJP sees: the primitive's inputs, its output, its params and any extra tensors forward saved. */
export interface VjpContext<P> {
  readonly inputs: readonly Tensor[];
  readonly out: Tensor;
  readonly params: P;
  readonly extra: readonly Tensor[];
  /** needs[i]: whether input i requires a gradient (a VJP may skip work for the others) */
  readonly needs: readonly boolean[];
}

/**
 * Every primitive, by name: the closed set the engine is built from. Tables keyed by primitive
 * (the registry in prims/registry.ts, the gradient and WebGPU-vs-CPU test tables) are `Record`s
 * over this set, so a new name without its primitive, its gradient test or its kernel test does
 * not compile.
 */
export const PRIM_NAMES = [
  ...UNARY_OPS,
  ...BINARY_OPS,
  ...COMPARE_OPS,
  ...ARG_REDUCE_OPS,
  'cast',
  'clone',
  'concat',
  'conv2d',
  'conv2dInputGrad',
  'conv2dWeightGrad',
  'expand',
  'gather',
  'matmul',
  'max',
  'min',
  'maxPool2d',
  'pad',
  'permute',
  'prod',
  'reshape',
  'scatterAdd',
  'slice',
  'sum',
  'where',
] as const;
export type PrimName = (typeof PRIM_NAMES)[number];

/** A primitive's vector-Jacobian product: one cotangent per input (null where none is needed). */
export type Vjp<P> = (g: Tensor, ctx: VjpContext<P>) => readonly (Tensor | null | undefined)[];

interface PrimBase<P> {
  /** a PrimName for the engine's primitives (tests build deliberately broken ones under other names) */
  readonly name: string;
  /** Validates inputs (throwing errors that name the op and every shape) and calls the backend. */
  forward(backend: Backend, inputs: readonly View[], params: P): ForwardResult;
}

/**
 * A primitive: the shape rule and backend call (forward), and either the vector-Jacobian product
 * written in differentiable ops, so that the gradient of a gradient needs no extra code, or
 * `nondiff`: why it has none (compare, argmax, floor, casts to int...). A primitive must say one
 * or the other, so a forgotten gradient is a compile error. A non-differentiable primitive's
 * output never requires grad, so no gradient flows through it (PyTorch gives zeros there).
 */
export type Prim<P> = PrimBase<P> & ({ readonly vjp: Vjp<P>; readonly nondiff?: undefined } | { readonly vjp?: undefined; readonly nondiff: string });

/** The record a differentiable result keeps of how it was made. */
export interface Node {
  readonly prim: Prim<any>;
  readonly inputs: readonly Tensor[];
  readonly params: unknown;
  readonly extra: readonly Tensor[];
  released: boolean;
}

/**
 * Runs a primitive: checks the inputs are alive and on one device, computes the result through the
 * backend, and records a graph node when grad mode is on and an input requires grad.
 */
export function apply<P>(prim: Prim<P>, inputs: readonly Tensor[], params: P): Tensor {
  if (inputs.length === 0) throw new ValueError(`${prim.name}: needs at least one input tensor`);
  for (const t of inputs) assertUsable(t, prim.name);
  const device = inputs[0]!.device;
  for (const t of inputs) {
    if (t.device !== device) {
      throw new ValueError(`${prim.name}: inputs are on different devices (${inputs.map((x) => x.device).join(', ')}); move them with .to(device)`);
    }
  }
  const backend = getBackend(device);
  const res = prim.forward(
    backend,
    inputs.map((t) => t._view()),
    params,
  );
  // only float results carry gradients (a cast to int or bool, a comparison, cut the graph)
  const outDType = 'alias' in res ? inputs[res.alias]!.dtype : res.dtype;
  const record = prim.vjp !== undefined && isFloat(outDType) && isGradEnabled() && inputs.some((t) => t.requiresGrad);

  let out: Tensor;
  let extra: Tensor[] = [];
  if ('alias' in res) {
    const src = inputs[res.alias]!;
    src._storage.refs++;
    out = new Tensor(src._storage, res.shape, src.dtype);
  } else {
    out = new Tensor(Storage.wrap(backend, res.buf, res.shape, res.dtype), res.shape, res.dtype);
    extra = (res.extra ?? []).map((v) => Tensor._internal(Storage.wrap(backend, v.buf, v.shape, v.dtype), v.shape, v.dtype));
  }
  if (record) {
    for (const t of inputs) t._refs++;
    out._node = { prim, inputs: [...inputs], params, extra, released: false };
    out._requiresGrad = true;
  } else {
    for (const e of extra) e._release();
  }
  return out;
}
