/**
 * copy3(tid, nth, P, R, src, srcPlane, srcRow, dst, dstPlane, dstRow, run, before, after): P
 * planes of R runs of `run` bytes each, from src to dst with the given byte strides (memory.copy
 * per run, a native memmove), zeroing `before` bytes before each run and `after` bytes after it
 * in dst (memory.fill). The convolutions lay out padded inputs (the zeros are the padding), crop
 * their output grids and place dy on a grid with it; threads split the P x R runs.
 */
import { type Code, Func, I32, type MemoryImport, add, divU, forLoop, i32, memoryCopy, memoryFill, moduleOf, mul, sub } from '../asm.js';

function copy3(): { f: Func; code: Code } {
  const f = new Func(
    0,
    ['tid', 'nth', 'P', 'R', 'src', 'srcPlane', 'srcRow', 'dst', 'dstPlane', 'dstRow', 'run', 'before', 'after'].map((n) => [n, I32] as const),
  );
  const g = (n: string) => f.get(n);
  const total = mul(g('P'), g('R'));
  const body: Code = [
    ...f.set('p', divU(g('k'), g('R'))),
    ...f.set('r', sub(g('k'), mul(g('p'), g('R')))),
    ...f.set('d', add(add(g('dst'), mul(g('p'), g('dstPlane'))), mul(g('r'), g('dstRow')))),
    ...g('d'),
    ...add(add(g('src'), mul(g('p'), g('srcPlane'))), mul(g('r'), g('srcRow'))),
    ...g('run'),
    ...memoryCopy,
    ...sub(g('d'), g('before')),
    ...i32(0),
    ...g('before'),
    ...memoryFill,
    ...add(g('d'), g('run')),
    ...i32(0),
    ...g('after'),
    ...memoryFill,
  ];
  const code: Code = [
    ...f.set('k0', divU(mul(g('tid'), total), g('nth'))),
    ...f.set('k1', divU(mul(add(g('tid'), i32(1)), total), g('nth'))),
    ...forLoop(f, 'k', g('k0'), g('k1'), i32(1), body),
  ];
  return { f, code };
}

export function copyModule(memory: MemoryImport): Uint8Array<ArrayBuffer> {
  return moduleOf(memory, [[new Array<number>(13).fill(I32), []]], [copy3()], ['copy3']);
}
