import type { DispatchSpec, KernelDescriptor } from '../descriptor.js';
import { grid1d } from '../descriptor.js';

/** Workgroup size of the 1-D elementwise kernels; each invocation does VPT = 1 element (see shaders/unary.wgsl). */
export const EW_WG = 64;
const EW_VPT = 1;

/** Workgroup grid covering `n` elements at EW_WG * EW_VPT elements per workgroup. */
export function ewGrid(n: number): [number, number, number] {
  return grid1d(Math.ceil(n / (EW_WG * EW_VPT)));
}

/** shaders/fill.wgsl: y[i] = value (bit pattern). */
export const FILL: KernelDescriptor = {
  name: 'fill',
  shader: 'fill',
  entryPoint: 'main',
  storage: [{ name: 'y', binding: 0, access: 'read_write' }],
  uniformBinding: 1,
  uniforms: [
    ['n', 'u32'],
    ['bits', 'u32'],
    ['pad0', 'u32'],
    ['pad1', 'u32'],
  ],
};

/** Bit pattern of `value` stored as `t`. */
export function bitsOf(value: number, t: 'f32' | 'i32' | 'u32'): number {
  if (t === 'f32') return new Uint32Array(new Float32Array([value]).buffer)[0]!;
  if (t === 'i32') return value >>> 0;
  return value !== 0 ? 1 : 0;
}

export function fillSpec(out: GPUBuffer, n: number, value: number, t: 'f32' | 'i32' | 'u32'): DispatchSpec {
  return { kernel: FILL, defines: { T: t, WG: EW_WG }, uniforms: { n, bits: bitsOf(value, t) }, buffers: [out], workgroups: ewGrid(n) };
}

/**
 * How an elementwise kernel indexes one input, given its coalesced strides: 0 when it has the
 * output's layout (index i), 1 when every element reads the same one (index 0), 2 otherwise.
 */
export function indexMode(shape: readonly number[], strides: readonly number[]): 0 | 1 | 2 {
  if (strides.every((s) => s === 0)) return 1;
  if (shape.length === 1 && strides[0] === 1) return 0;
  return 2;
}
