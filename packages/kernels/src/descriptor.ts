/// <reference types="@webgpu/types" preserve="true" />
import { BackendError } from '@pixgrad/core';
import { WGSL, type ShaderName } from './wgsl.generated.js';

/**
 * Kernel descriptors: the typed half of every shader.
 *
 * Each `shaders/<name>.wgsl` is a WGSL template (`{{KEY}}` placeholders) and is paired with one
 * descriptor in `src/kernels/<name>.ts` that states, for every entry point:
 * - the bindings, in order (storage buffers read or read-write, and the `Params` uniform),
 * - the fields of the shader's `struct Params`, by name and type (packed by {@link packUniforms}),
 * - the workgroup size and how many workgroups a dispatch needs.
 *
 * To add a kernel: write `shaders/foo.wgsl`, run `npm run gen:wgsl -w @pixgrad/kernels`, write
 * `src/kernels/foo.ts` exporting a {@link KernelDescriptor} and a function that builds a
 * {@link DispatchSpec}, and call `ctx.run(spec)` from the backend. The descriptor test checks
 * that every descriptor's uniform list matches the struct in its .wgsl file.
 */

/** WGSL types allowed in a `Params` uniform struct. */
export type UniformType = 'u32' | 'i32' | 'f32' | 'vec4<u32>' | 'vec4<i32>' | 'array<vec4<u32>, 2>' | 'array<vec4<i32>, 2>' | 'array<vec4<u32>, 8>';

/** A storage buffer binding: `read` is `var<storage, read>`, `read_write` is `var<storage, read_write>`. */
export interface StorageBinding {
  readonly name: string;
  readonly binding: number;
  readonly access: 'read' | 'read_write';
}

/** One entry point of one shader file. */
export interface KernelDescriptor {
  /** op family name, shown in errors and in the PIXGRAD_DEBUG_WGSL dump */
  readonly name: string;
  /** the file in shaders/ (without .wgsl) */
  readonly shader: ShaderName;
  /** the `@compute` function */
  readonly entryPoint: string;
  /** storage bindings this entry point uses (the uniform is bound at `uniformBinding`) */
  readonly storage: readonly StorageBinding[];
  /** binding index of `var<uniform> u: Params` */
  readonly uniformBinding: number;
  /** fields of `struct Params`, in declaration order */
  readonly uniforms: readonly (readonly [string, UniformType])[];
}

/** Values for a descriptor's uniforms; arrays are padded with zeros to their declared length. */
export type UniformValues = Record<string, number | readonly number[]>;

/** Everything needed to record one dispatch. */
export interface DispatchSpec {
  readonly kernel: KernelDescriptor;
  /** template substitutions for `{{KEY}}` (WG is the workgroup size and is always required) */
  readonly defines: Readonly<Record<string, string | number>>;
  readonly uniforms: UniformValues;
  /** GPU buffers in the order of `kernel.storage` */
  readonly buffers: readonly GPUBuffer[];
  /** workgroup counts [x, y, z] */
  readonly workgroups: readonly [number, number, number];
}

interface FieldLayout {
  readonly name: string;
  readonly type: UniformType;
  readonly offset: number;
  readonly words: number;
}

const layoutCache = new WeakMap<KernelDescriptor, { fields: FieldLayout[]; size: number }>();

/** WGSL uniform layout: scalars 4-byte aligned, vec4 and arrays of vec4 16-byte aligned. */
export function uniformLayout(k: KernelDescriptor): { fields: readonly FieldLayout[]; size: number } {
  let l = layoutCache.get(k);
  if (l) return l;
  let off = 0;
  const fields: FieldLayout[] = [];
  for (const [name, type] of k.uniforms) {
    const [align, words] = type.startsWith('array') ? [16, 4 * Number(/, (\d+)>$/.exec(type)![1])] : type.startsWith('vec4') ? [16, 4] : [4, 1];
    off = Math.ceil(off / align) * align;
    fields.push({ name, type, offset: off, words });
    off += words * 4;
  }
  l = { fields, size: Math.max(16, Math.ceil(off / 16) * 16) };
  layoutCache.set(k, l);
  return l;
}

/** Writes `values` into `dst` (a 4-byte-aligned view) following the descriptor's Params layout. */
export function packUniforms(k: KernelDescriptor, values: UniformValues, dst: DataView, base: number): number {
  const { fields, size } = uniformLayout(k);
  for (const f of fields) {
    const v = values[f.name];
    if (v === undefined) {
      if (f.name.startsWith('pad')) continue;
      throw new BackendError(`kernel ${k.name}: uniform '${f.name}' has no value`);
    }
    const arr = typeof v === 'number' ? [v] : v;
    if (arr.length > f.words) throw new BackendError(`kernel ${k.name}: uniform '${f.name}' has ${arr.length} values, room for ${f.words}`);
    const isF = f.type === 'f32';
    const isI = f.type.includes('i32');
    for (let i = 0; i < f.words; i++) {
      const x = arr[i] ?? 0;
      const at = base + f.offset + 4 * i;
      if (isF) dst.setFloat32(at, x, true);
      else if (isI) dst.setInt32(at, x, true);
      else dst.setUint32(at, x, true);
    }
  }
  return size;
}

/**
 * The WGSL of one specialisation: the template with every `{{KEY}}` replaced. A placeholder left
 * without a value is a bug in the descriptor and throws, naming it.
 */
export function specialise(k: KernelDescriptor, defines: Readonly<Record<string, string | number>>): string {
  const fill = (code: string): string =>
    code.replace(/\{\{([A-Z0-9_]+)\}\}/g, (_m, key: string) => {
      const v = defines[key];
      if (v === undefined) throw new BackendError(`kernel ${k.name}: shaders/${k.shader}.wgsl needs {{${key}}} but the descriptor gave no value`);
      return String(v);
    });
  // Placeholders inside `//` comments are documentation and stay as written (WGSL has no string
  // literals, so the first `//` on a line always starts a comment).
  return WGSL[k.shader]
    .split('\n')
    .map((line) => {
      const c = line.indexOf('//');
      return c < 0 ? fill(line) : fill(line.slice(0, c)) + line.slice(c);
    })
    .join('\n');
}

/** Max workgroups along one dispatch dimension (WebGPU's guaranteed minimum limit). */
export const MAX_WORKGROUPS_PER_DIM = 65535;

/**
 * Lays `groups` workgroups on an [x, y, 1] grid: a dispatch dimension holds at most 65535
 * workgroups, so 1-D work beyond that spills into y and the shader linearises
 * `wid.y * nwg.x + wid.x` (and bounds-checks the tail).
 */
export function grid1d(groups: number): [number, number, number] {
  if (groups <= MAX_WORKGROUPS_PER_DIM) return [Math.max(groups, 0), 1, 1];
  const y = Math.ceil(groups / MAX_WORKGROUPS_PER_DIM);
  return [Math.ceil(groups / y), y, 1];
}
