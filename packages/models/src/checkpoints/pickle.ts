/**
 * A restricted pickle virtual machine, in the spirit of PyTorch's `weights_only=True` unpickler
 * (torch/_weights_only_unpickler.py): it implements only the opcodes a state dict needs and
 * resolves only globals from a fixed allowlist (see `torch-globals.ts`). Any other opcode or
 * global is a `CheckpointError` naming it and its byte offset; no name is ever looked up
 * dynamically, so a malicious pickle cannot run anything.
 *
 * Opcode reference: CPython `Lib/pickletools.py` and `Lib/pickle.py` (protocols 0-5). Supported:
 * PROTO FRAME STOP MARK POP POP_MARK DUP NONE NEWTRUE NEWFALSE BININT BININT1 BININT2 LONG1 LONG4
 * BINFLOAT BINUNICODE SHORT_BINUNICODE BINUNICODE8 BINSTRING SHORT_BINSTRING BINBYTES
 * SHORT_BINBYTES BINBYTES8 EMPTY_TUPLE TUPLE TUPLE1-3 EMPTY_LIST APPEND APPENDS LIST EMPTY_DICT
 * SETITEM SETITEMS DICT BINPUT LONG_BINPUT MEMOIZE BINGET LONG_BINGET GLOBAL STACK_GLOBAL REDUCE
 * BUILD BINPERSID. The text-mode opcodes of protocol 0 and object-construction opcodes (INST, OBJ,
 * NEWOBJ, EXT*) are refused.
 *
 * Every operation is O(its own arguments), every length is checked against the bytes left before
 * it is read, and nothing is copied out of the stream except the strings and bytes it contains,
 * so a hostile pickle can neither hang the machine nor make it allocate beyond the file size.
 */
import { Cursor } from './byte-source.js';
import { fail } from '../errors.js';
import { PyDict, PyGlobal, isTuple, markTuple, type PyValue } from './pickle-values.js';

/** How the machine resolves the few things it cannot decide alone. */
export interface UnpickleHooks {
  /** BINPERSID: turn a persistent id (a torch storage descriptor) into a value. */
  persistentLoad(pid: PyValue, at: number): PyValue;
  /** GLOBAL / STACK_GLOBAL: return the allowlisted global or throw `ForbiddenGlobal`. */
  resolveGlobal(module: string, name: string, at: number): PyGlobal;
  /** REDUCE: apply an allowlisted callable to its argument tuple. */
  call(fn: PyGlobal, args: PyValue[], at: number): PyValue;
  /** BUILD on a value (setstate); throw if not allowed. */
  build(target: PyValue, state: PyValue, at: number): void;
}

const OPCODE_NAMES: { [op: number]: string } = {
  0x28: 'MARK',
  0x2e: 'STOP',
  0x30: 'POP',
  0x31: 'POP_MARK',
  0x32: 'DUP',
  0x46: 'FLOAT',
  0x49: 'INT',
  0x4a: 'BININT',
  0x4b: 'BININT1',
  0x4c: 'LONG',
  0x4d: 'BININT2',
  0x4e: 'NONE',
  0x50: 'PERSID',
  0x51: 'BINPERSID',
  0x52: 'REDUCE',
  0x53: 'STRING',
  0x54: 'BINSTRING',
  0x55: 'SHORT_BINSTRING',
  0x56: 'UNICODE',
  0x58: 'BINUNICODE',
  0x61: 'APPEND',
  0x62: 'BUILD',
  0x63: 'GLOBAL',
  0x64: 'DICT',
  0x7d: 'EMPTY_DICT',
  0x65: 'APPENDS',
  0x67: 'GET',
  0x68: 'BINGET',
  0x69: 'INST',
  0x6a: 'LONG_BINGET',
  0x6c: 'LIST',
  0x5d: 'EMPTY_LIST',
  0x6f: 'OBJ',
  0x70: 'PUT',
  0x71: 'BINPUT',
  0x72: 'LONG_BINPUT',
  0x73: 'SETITEM',
  0x74: 'TUPLE',
  0x29: 'EMPTY_TUPLE',
  0x75: 'SETITEMS',
  0x47: 'BINFLOAT',
  0x80: 'PROTO',
  0x81: 'NEWOBJ',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
  0x85: 'TUPLE1',
  0x86: 'TUPLE2',
  0x87: 'TUPLE3',
  0x88: 'NEWTRUE',
  0x89: 'NEWFALSE',
  0x8a: 'LONG1',
  0x8b: 'LONG4',
  0x42: 'BINBYTES',
  0x43: 'SHORT_BINBYTES',
  0x8c: 'SHORT_BINUNICODE',
  0x8d: 'BINUNICODE8',
  0x8e: 'BINBYTES8',
  0x8f: 'EMPTY_SET',
  0x90: 'ADDITEMS',
  0x91: 'FROZENSET',
  0x92: 'NEWOBJ_EX',
  0x93: 'STACK_GLOBAL',
  0x94: 'MEMOIZE',
  0x95: 'FRAME',
  0x96: 'BYTEARRAY8',
  0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
};

/** Longest LONG4 accepted: torch never pickles integers this wide, and BigInt parsing is quadratic. */
const MAX_LONG_BYTES = 64;
/** Longest GLOBAL module/name line. */
const MAX_GLOBAL_LINE = 512;

const UTF8 = new TextDecoder('utf-8', { fatal: true });

export interface UnpickleResult {
  value: PyValue;
  /** Position just after STOP (relative to the cursor's source). */
  end: number;
}

/** Decodes `bytes` as strict UTF-8, or throws `MalformedPickle` at `at`. */
function utf8(bytes: Uint8Array, file: string | undefined, at: number): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    return fail('MalformedPickle', 'string is not valid UTF-8', { file, offset: at });
  }
}

/** Little-endian two's-complement bytes (LONG1/LONG4) to a number, or bigint beyond 2^53. */
function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/**
 * Runs one pickle from the cursor's position to its STOP and returns the value.
 *
 * @example
 * const { value } = unpickle(new Cursor(new MemorySource(bytes, 'x.pkl')), torchHooks(...));
 */
export function unpickle(cur: Cursor, hooks: UnpickleHooks): UnpickleResult {
  const file = cur.src.name;
  let stack: PyValue[] = [];
  const marks: PyValue[][] = [];
  const memo = new Map<number, PyValue>();
  let at = cur.fileOffset;
  let opname = '';

  const err = (code: 'MalformedPickle' | 'ForbiddenOpcode', what: string): never => fail(code, `${opname ? `${opname}: ` : ''}${what}`, { file, offset: at });
  const pop = (): PyValue => {
    if (stack.length === 0) err('MalformedPickle', 'stack underflow');
    return stack.pop()!;
  };
  const top = (): PyValue => {
    if (stack.length === 0) err('MalformedPickle', 'stack underflow');
    return stack[stack.length - 1]!;
  };
  const popMark = (): PyValue[] => {
    const items = stack;
    const prev = marks.pop();
    if (prev === undefined) err('MalformedPickle', 'no MARK on the stack');
    stack = prev!;
    return items;
  };
  const asDict = (v: PyValue): PyDict => {
    if (!(v instanceof PyDict)) err('MalformedPickle', `expected a dict, found ${describe(v)}`);
    return v as PyDict;
  };
  const asList = (v: PyValue): PyValue[] => {
    if (!Array.isArray(v) || isTuple(v)) err('MalformedPickle', `expected a list, found ${describe(v)}`);
    return v as PyValue[];
  };
  const memoGet = (i: number): PyValue => {
    if (!memo.has(i)) err('MalformedPickle', `memo key ${i} was never stored`);
    return memo.get(i)!;
  };
  const str = (n: number): string => utf8(cur.bytes(n, 'string'), file, at);
  const bytesCopy = (n: number): Uint8Array => cur.bytes(n, 'bytes').slice();
  const line = (): string => {
    const chars: number[] = [];
    for (;;) {
      const c = cur.u8('GLOBAL name');
      if (c === 0x0a) break;
      if (chars.length >= MAX_GLOBAL_LINE) err('MalformedPickle', 'GLOBAL name too long');
      chars.push(c);
    }
    return utf8(Uint8Array.from(chars), file, at);
  };
  const tuple = (items: PyValue[]): PyValue[] => markTuple(items);

  for (;;) {
    at = cur.fileOffset;
    opname = '';
    const op = cur.u8('opcode');
    opname = OPCODE_NAMES[op] ?? '';
    switch (op) {
      case 0x80: {
        const v = cur.u8();
        if (v > 5) err('MalformedPickle', `unsupported pickle protocol ${v}`);
        break;
      }
      case 0x95: // FRAME: a length hint only
        cur.skip(8);
        break;
      case 0x2e: // STOP
        if (marks.length !== 0) err('MalformedPickle', 'STOP inside an open MARK');
        return { value: pop(), end: cur.pos };
      case 0x28: // MARK
        marks.push(stack);
        stack = [];
        break;
      case 0x30: // POP
        if (stack.length === 0) popMark();
        else stack.pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e:
        stack.push(null);
        break;
      case 0x88:
        stack.push(true);
        break;
      case 0x89:
        stack.push(false);
        break;
      case 0x4a:
        stack.push(cur.i32le());
        break;
      case 0x4b:
        stack.push(cur.u8());
        break;
      case 0x4d:
        stack.push(cur.u16le());
        break;
      case 0x8a: // LONG1
        stack.push(decodeLong(cur.bytes(cur.u8(), 'LONG1')));
        break;
      case 0x8b: {
        const n = cur.i32le();
        if (n < 0 || n > MAX_LONG_BYTES) err('ForbiddenOpcode', `integer of ${n} bytes refused`);
        stack.push(decodeLong(cur.bytes(n, 'LONG4')));
        break;
      }
      case 0x47:
        stack.push(cur.f64be());
        break;
      case 0x58:
        stack.push(str(cur.u32le()));
        break;
      case 0x8c:
        stack.push(str(cur.u8()));
        break;
      case 0x8d:
        stack.push(str(cur.u64le('BINUNICODE8 length')));
        break;
      case 0x55: // SHORT_BINSTRING (Python 2 str; torch.load decodes it as UTF-8)
        stack.push(str(cur.u8()));
        break;
      case 0x54: {
        const n = cur.i32le();
        if (n < 0) err('MalformedPickle', 'negative BINSTRING length');
        stack.push(str(n));
        break;
      }
      case 0x43:
        stack.push(bytesCopy(cur.u8()));
        break;
      case 0x42:
        stack.push(bytesCopy(cur.u32le()));
        break;
      case 0x8e:
        stack.push(bytesCopy(cur.u64le('BINBYTES8 length')));
        break;
      case 0x29:
        stack.push(tuple([]));
        break;
      case 0x74: {
        // popMark() swaps `stack`, so it must run before `stack.push` is looked up.
        const items = popMark();
        stack.push(tuple(items));
        break;
      }
      case 0x85:
        stack.push(tuple([pop()]));
        break;
      case 0x86: {
        const b = pop();
        const a = pop();
        stack.push(tuple([a, b]));
        break;
      }
      case 0x87: {
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push(tuple([a, b, c]));
        break;
      }
      case 0x5d:
        stack.push([]);
        break;
      case 0x6c: {
        // LIST
        const items = popMark();
        stack.push(items);
        break;
      }
      case 0x61: {
        const v = pop();
        asList(top()).push(v);
        break;
      }
      case 0x65: {
        const items = popMark();
        const list = asList(top());
        for (const v of items) list.push(v);
        break;
      }
      case 0x7d:
        stack.push(new PyDict());
        break;
      case 0x64: {
        const items = popMark();
        if (items.length % 2) err('MalformedPickle', 'odd number of items');
        const d = new PyDict();
        for (let i = 0; i < items.length; i += 2) d.set(items[i]!, items[i + 1]!);
        stack.push(d);
        break;
      }
      case 0x73: {
        const v = pop();
        const k = pop();
        asDict(top()).set(k, v);
        break;
      }
      case 0x75: {
        const items = popMark();
        if (items.length % 2) err('MalformedPickle', 'odd number of items');
        const d = asDict(top());
        for (let i = 0; i < items.length; i += 2) d.set(items[i]!, items[i + 1]!);
        break;
      }
      case 0x71:
        memo.set(cur.u8(), top());
        break;
      case 0x72:
        memo.set(cur.u32le(), top());
        break;
      case 0x94:
        memo.set(memo.size, top());
        break;
      case 0x68:
        stack.push(memoGet(cur.u8()));
        break;
      case 0x6a:
        stack.push(memoGet(cur.u32le()));
        break;
      case 0x63: {
        const module = line();
        const name = line();
        stack.push(hooks.resolveGlobal(module, name, at));
        break;
      }
      case 0x93: {
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') err('MalformedPickle', 'module and name must be strings');
        stack.push(hooks.resolveGlobal(module as string, name as string, at));
        break;
      }
      case 0x52: {
        const args = pop();
        const fn = pop();
        if (!(fn instanceof PyGlobal)) err('MalformedPickle', `cannot call ${describe(fn)}`);
        if (!isTuple(args)) err('MalformedPickle', `arguments must be a tuple, found ${describe(args)}`);
        stack.push(hooks.call(fn as PyGlobal, args as PyValue[], at));
        break;
      }
      case 0x62: {
        const state = pop();
        hooks.build(top(), state, at);
        break;
      }
      case 0x51: {
        const pid = pop();
        stack.push(hooks.persistentLoad(pid, at));
        break;
      }
      default:
        fail('ForbiddenOpcode', `pickle opcode ${opname || 'unknown'} (0x${op.toString(16).padStart(2, '0')}) is not allowed in a weights file`, {
          file,
          offset: at,
        });
    }
  }
}

/** A short description of a value for error messages. */
export function describe(v: PyValue | undefined): string {
  if (v === null) return 'None';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return `a ${v.length}-${isTuple(v) ? 'tuple' : 'list'}`;
  if (v instanceof PyDict) return 'a dict';
  if (v instanceof PyGlobal) return v.qualname;
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  if (typeof v === 'object') return v.constructor?.name ?? 'an object';
  if (typeof v === 'string') return `'${v.length > 40 ? v.slice(0, 40) + '...' : v}'`;
  return `${typeof v} ${String(v)}`;
}
