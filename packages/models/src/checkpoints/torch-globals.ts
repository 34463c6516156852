/**
 * The allowlist of Python globals a torch checkpoint may reference, and what calling each does.
 *
 * Modelled on PyTorch's weights-only unpickler (`torch/_weights_only_unpickler.py`,
 * `_get_allowed_globals`): `collections.OrderedDict`, the `torch._utils._rebuild_*` family, the
 * storage classes (`torch.FloatStorage`, ...), `torch.Size`, `torch.device`, torch dtype objects,
 * `torch._tensor._rebuild_from_type_v2` for Tensor/Parameter, and `_codecs.encode` (how protocol 2
 * pickles `bytes`). Names are matched as exact strings; nothing is imported or looked up, so an
 * unknown global is an error naming it and its byte offset, never code execution.
 */
import { TORCH_DTYPE_OBJECTS, TORCH_STORAGE_TYPES, type SourceDtype } from './dtypes.js';
import { fail } from '../errors.js';
import { describe, type UnpickleHooks } from './pickle.js';
import { PyDict, PyGlobal, StorageRef, TensorRef, isTuple, markTuple, type PyValue } from './pickle-values.js';

/** Callables REDUCE may apply. */
const CALLABLES = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_tensor_v3',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
  'torch._tensor._rebuild_from_type_v2',
  'torch.Size',
  'torch.device',
  '_codecs.encode',
]);

/** Marker globals: values that may appear but are never called. */
const MARKERS = new Set(['torch.Tensor', 'torch.nn.parameter.Parameter']);

const UNTYPED_STORAGE = new Set(['torch.storage.UntypedStorage', 'torch.UntypedStorage']);

export interface TorchHookContext {
  file: string | undefined;
  /** BINPERSID for this container format. */
  persistentLoad(pid: PyValue, at: number): PyValue;
  /**
   * For the tar format as burn's fixture writer produces it: a storage passed inline as a
   * `('storage', StorageType, key, location, numel)` tuple instead of a persistent id.
   */
  coerceStorage?: ((v: PyValue, at: number) => StorageRef | undefined) | undefined;
}

/** Builds the unpickler hooks for torch checkpoints. */
export function torchHooks(ctx: TorchHookContext): UnpickleHooks {
  const { file } = ctx;
  const bad = (what: string, at: number): never => fail('MalformedPickle', what, { file, offset: at });

  const int = (v: PyValue, what: string, at: number): number => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) bad(`${what} must be an integer, found ${describe(v)}`, at);
    return v as number;
  };
  const ints = (v: PyValue, what: string, at: number): number[] => {
    if (!Array.isArray(v)) bad(`${what} must be a tuple of integers, found ${describe(v)}`, at);
    return (v as PyValue[]).map((x) => int(x, what, at));
  };
  const storage = (v: PyValue, at: number): StorageRef => {
    if (v instanceof StorageRef) return v;
    const s = ctx.coerceStorage?.(v, at);
    if (s) return s;
    return bad(`expected a storage, found ${describe(v)}`, at);
  };
  const tensorFrom = (st: PyValue, off: PyValue, size: PyValue, stride: PyValue, dtype: SourceDtype | undefined, at: number): TensorRef => {
    const s = storage(st, at);
    return new TensorRef(s, dtype ?? s.dtype, int(off, 'storage offset', at), ints(size, 'size', at), ints(stride, 'stride', at), at);
  };
  const nargs = (fn: PyGlobal, args: PyValue[], min: number, max: number, at: number): void => {
    if (args.length < min || args.length > max) {
      bad(`${fn.qualname} takes ${min === max ? min : `${min}-${max}`} arguments, got ${args.length}`, at);
    }
  };

  const call = (fn: PyGlobal, args: PyValue[], at: number): PyValue => {
    switch (fn.qualname) {
      case 'collections.OrderedDict': {
        nargs(fn, args, 0, 1, at);
        const d = new PyDict('collections.OrderedDict');
        if (args.length === 1) {
          const items = args[0]!;
          if (items instanceof PyDict) {
            for (const [k, v] of items) d.set(k, v);
          } else if (Array.isArray(items)) {
            for (const kv of items as PyValue[]) {
              if (!Array.isArray(kv) || kv.length !== 2) bad(`OrderedDict items must be pairs, found ${describe(kv)}`, at);
              d.set((kv as PyValue[])[0]!, (kv as PyValue[])[1]!);
            }
          } else {
            bad(`OrderedDict of ${describe(items)}`, at);
          }
        }
        return d;
      }
      case 'torch._utils._rebuild_tensor':
        // (storage, storage_offset, size, stride): torch < 0.4, e.g. LPIPS v0.0 heads.
        nargs(fn, args, 4, 4, at);
        return tensorFrom(args[0]!, args[1]!, args[2]!, args[3]!, undefined, at);
      case 'torch._utils._rebuild_tensor_v2':
        // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
        nargs(fn, args, 6, 7, at);
        return tensorFrom(args[0]!, args[1]!, args[2]!, args[3]!, undefined, at);
      case 'torch._utils._rebuild_tensor_v3': {
        // (storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype[, metadata])
        nargs(fn, args, 7, 8, at);
        const dt = args[6];
        if (!(dt instanceof PyGlobal) || dt.dtype === undefined) bad(`_rebuild_tensor_v3 dtype must be a torch dtype, found ${describe(dt)}`, at);
        return tensorFrom(args[0]!, args[1]!, args[2]!, args[3]!, (dt as PyGlobal).dtype, at);
      }
      case 'torch._utils._rebuild_parameter':
      case 'torch._utils._rebuild_parameter_with_state': {
        // (data, requires_grad, backward_hooks[, state]): an nn.Parameter is its data here.
        nargs(fn, args, 3, 4, at);
        if (!(args[0] instanceof TensorRef)) bad(`${fn.name} expects a tensor, found ${describe(args[0])}`, at);
        return args[0]!;
      }
      case 'torch._tensor._rebuild_from_type_v2': {
        // (func, new_type, args, state): only for plain Tensor / Parameter.
        nargs(fn, args, 4, 4, at);
        const [inner, newType, innerArgs] = args;
        if (!(newType instanceof PyGlobal) || !MARKERS.has(newType.qualname)) {
          fail('ForbiddenGlobal', `tensor subclass ${describe(newType)} is not allowed`, { file, offset: at });
        }
        if (!(inner instanceof PyGlobal) || !CALLABLES.has(inner.qualname) || !inner.name.startsWith('_rebuild')) {
          bad(`_rebuild_from_type_v2 of ${describe(inner)}`, at);
        }
        if (!isTuple(innerArgs)) bad('_rebuild_from_type_v2 args must be a tuple', at);
        return call(inner as PyGlobal, innerArgs as PyValue[], at);
      }
      case 'torch.Size':
        nargs(fn, args, 0, 1, at);
        return markTuple(args.length ? ints(args[0]!, 'torch.Size', at) : []);
      case 'torch.device': {
        nargs(fn, args, 1, 2, at);
        const [type, index] = args;
        if (typeof type !== 'string') bad('torch.device type must be a string', at);
        return index === undefined || index === null ? (type as string) : `${type as string}:${int(index, 'device index', at)}`;
      }
      case '_codecs.encode': {
        nargs(fn, args, 1, 2, at);
        const [s, enc = 'utf-8'] = args;
        if (typeof s !== 'string' || typeof enc !== 'string') bad('_codecs.encode expects (str, str)', at);
        const e = (enc as string).toLowerCase().replace('_', '-');
        if (e === 'latin1' || e === 'latin-1' || e === 'iso-8859-1') {
          const str = s as string;
          const out = new Uint8Array(str.length);
          for (let i = 0; i < str.length; i++) {
            const c = str.charCodeAt(i);
            if (c > 255) bad('_codecs.encode: character outside latin-1', at);
            out[i] = c;
          }
          return out;
        }
        if (e === 'utf-8' || e === 'utf8') return new TextEncoder().encode(s as string);
        return bad(`_codecs.encode: encoding '${enc as string}' not supported`, at);
      }
      default:
        return fail('ForbiddenGlobal', `calling ${fn.qualname} is not allowed`, { file, offset: at });
    }
  };

  return {
    persistentLoad: ctx.persistentLoad,
    call,
    resolveGlobal(module, name, at) {
      const q = `${module}.${name}`;
      if (CALLABLES.has(q) || MARKERS.has(q)) return new PyGlobal(module, name);
      if (UNTYPED_STORAGE.has(q)) return new PyGlobal(module, name, 'uint8');
      if (module === 'torch' && Object.hasOwn(TORCH_STORAGE_TYPES, name)) {
        const dt = TORCH_STORAGE_TYPES[name];
        if (dt == null) fail('Unsupported', `storage type ${q} (complex or quantized) is not supported`, { file, offset: at });
        return new PyGlobal(module, name, dt!);
      }
      if (module === 'torch' && Object.hasOwn(TORCH_DTYPE_OBJECTS, name)) {
        const dt = TORCH_DTYPE_OBJECTS[name];
        if (dt == null) fail('Unsupported', `dtype ${q} is not supported`, { file, offset: at });
        return new PyGlobal(module, name, dt!);
      }
      return fail('ForbiddenGlobal', `global '${q}' is not in the allowlist of a weights-only load`, { file, offset: at });
    },
    build(target, state, at) {
      // OrderedDict.__setstate__ via BUILD carries attributes such as a state dict's `_metadata`.
      if (target instanceof PyDict && (state instanceof PyDict || state === null)) {
        target.state = state;
        return;
      }
      fail('ForbiddenOpcode', `BUILD on ${describe(target)} with ${describe(state)} is not allowed`, { file, offset: at });
    },
  };
}

/** A storage class marker's element type, or throws. */
export function storageDtype(v: PyValue, file: string | undefined, at: number): SourceDtype {
  if (v instanceof PyGlobal && v.dtype !== undefined && (v.name.endsWith('Storage') || v.name === 'UntypedStorage')) return v.dtype;
  return fail('MalformedPickle', `expected a storage type, found ${describe(v)}`, { file, offset: at });
}
