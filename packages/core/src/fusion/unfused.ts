import type { Backend, View } from '../backend.js';
import { type Shape, contiguousStrides } from '../shape.js';
import { type FusedProgram, isContiguousLeaf } from './program.js';

/**
 * A program computed one node at a time through the backend's single kernels, each node a full
 * buffer (a const is a one-element buffer that broadcasts). This is what the program means, the
 * reference the fused kernels are tested against, and the path of a backend that cannot compile
 * code (a page whose Content-Security-Policy forbids `new Function`).
 */
export function evaluateUnfused<B>(backend: Backend<B>, p: FusedProgram<B>): B {
  const scalar: Shape = [];
  const values: View<B>[] = [];
  const temps: B[] = [];
  const temp = (buf: B): B => (temps.push(buf), buf);
  for (const n of p.nodes) {
    let v: View<B>;
    switch (n.k) {
      case 'leaf': {
        const l = p.leaves[n.leaf]!;
        const whole = l.offset === 0 && isContiguousLeaf(l.strides, p.shape);
        // the leaf's buffer may be longer than the program (a view of part of it); strided reads any part
        v = {
          buf: whole ? l.buf : temp(backend.strided({ buf: l.buf, shape: [Number.MAX_SAFE_INTEGER], dtype: l.dtype }, p.shape, l.strides, l.offset)),
          shape: p.shape,
          dtype: l.dtype,
        };
        break;
      }
      case 'const':
        v = { buf: temp(backend.fill(1, n.value, n.dtype)), shape: scalar, dtype: n.dtype };
        break;
      case 'unary': {
        const x = values[n.x]!;
        v = { buf: temp(backend.unary(n.op, x, n.params)), shape: x.shape, dtype: n.dtype };
        break;
      }
      case 'cast': {
        const x = values[n.x]!;
        v = { buf: temp(backend.cast(x, n.dtype)), shape: x.shape, dtype: n.dtype };
        break;
      }
      case 'binary':
      case 'compare': {
        const a = values[n.a]!,
          b = values[n.b]!;
        const shape = a.shape.length ? a.shape : b.shape;
        const buf = n.k === 'binary' ? backend.binary(n.op, a, b, shape) : backend.compare(n.op, a, b, shape);
        v = { buf: temp(buf), shape, dtype: n.dtype };
        break;
      }
      case 'inRange':
        // only LazyBackend.pad makes these, and only for backends with fused kernels
        throw new Error('evaluateUnfused: an inRange node needs a fused kernel');
      case 'where': {
        const c = values[n.c]!,
          a = values[n.a]!,
          b = values[n.b]!;
        const shape = [c, a, b].find((t) => t.shape.length)?.shape ?? scalar;
        v = { buf: temp(backend.where(c, a, b, shape)), shape, dtype: n.dtype };
        break;
      }
    }
    values.push(v);
  }
  const last = values[values.length - 1]!;
  let out: B;
  if (last.shape.length === 0 && p.shape.length > 0) {
    out = backend.strided(
      last,
      p.shape,
      p.shape.map(() => 0),
      0,
    );
  } else if (temps.includes(last.buf)) {
    out = last.buf;
  } else {
    // the result is a leaf's own buffer: the caller gets a copy it owns
    out = backend.strided(last, p.shape, contiguousStrides(p.shape), 0);
  }
  for (const t of temps) if (t !== out) backend.dispose(t);
  return out;
}
