import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DTypeError, ShapeError, linear, matmul, memory, tensor, tidy } from '@pixgrad/core';
import { type TensorSpec, broadcastShapes, propertyGradcheck, specOf } from '@pixgrad/core/testing';
import { matmulRaw } from '../src/prims/matmul.js';

const f64 = (data: Parameters<typeof tensor>[0], requiresGrad = false) => tensor(data, { dtype: 'float64', requiresGrad });

/** the sizes of a matmul: two broadcastable batch shapes, m/k/n in 1..4 */
const matmulDims = {
  batch: broadcastShapes(2, { maxRank: 2, maxDim: 3, maxSize: 6 }),
  m: fc.integer({ min: 1, max: 4 }),
  k: fc.integer({ min: 1, max: 4 }),
  n: fc.integer({ min: 1, max: 4 }),
};

/** matmul operands: broadcast batch dims, m/k/n in 1..4, and 1-D operands now and then. */
const matmulInputs: fc.Arbitrary<TensorSpec[]> = fc
  .record({
    ...matmulDims,
    vecA: fc.boolean(),
    vecB: fc.boolean(),
  })
  .chain(({ batch: [ba, bb], m, k, n, vecA, vecB }) => {
    // a 1-D operand has no batch dims of its own
    const a = vecA ? [k] : [...ba!, m, k];
    const b = vecB ? [k] : [...bb!, k, n];
    return fc.tuple(specOf(a), specOf(b));
  });

/** operands of the raw primitive with each transpose flag */
const rawInputs = fc
  .record({
    ...matmulDims,
    transA: fc.boolean(),
    transB: fc.boolean(),
  })
  .chain(({ batch: [ba, bb], m, k, n, transA, transB }) =>
    fc.record({
      inputs: fc.tuple(specOf([...ba!, ...(transA ? [k, m] : [m, k])]), specOf([...bb!, ...(transB ? [n, k] : [k, n])])),
      params: fc.constant({ transA, transB }),
    }),
  );

describe('matmul: gradients', () => {
  it('gradcheck and gradgradcheck (batch broadcast, 1-D operands)', () => {
    propertyGradcheck('matmul', matmulInputs, (a, b) => matmul(a!, b!), { numRuns: 60 });
  });
  it('the primitive with every transpose flag', () => {
    propertyGradcheck('matmul (transA/transB)', rawInputs, ([a, b], p) => matmulRaw(a!, b!, p.transA, p.transB), { numRuns: 50 });
  });
  it('linear: gradients in x, w and b', () => {
    const arb = fc
      .record({ lead: fc.constantFrom([], [2], [3], [2, 1]), inF: fc.integer({ min: 1, max: 4 }), outF: fc.integer({ min: 1, max: 3 }) })
      .chain(({ lead, inF, outF }) => fc.tuple(specOf([...lead, inF]), specOf([outF, inF]), specOf([outF])));
    propertyGradcheck('linear', arb, (x, w, b) => linear(x!, w!, b!), { numRuns: 50 });
  });
});

describe('matmul: values (torch.matmul semantics)', () => {
  it('2-D x 2-D', () => {
    expect(
      matmul(
        f64([
          [1, 2],
          [3, 4],
        ]),
        f64([
          [5, 6],
          [7, 8],
        ]),
      ).arraySync(),
    ).toEqual([
      [19, 22],
      [43, 50],
    ]);
    expect(matmul(f64([[1, 2, 3]]), f64([[1], [2], [3]])).arraySync()).toEqual([[14]]);
  });
  it('1-D operands are promoted and the added dim removed', () => {
    const dot = matmul(f64([1, 2, 3]), f64([4, 5, 6]));
    expect(dot.shape).toEqual([]);
    expect(dot.itemSync()).toBe(32);
    const vm = matmul(
      f64([1, 2]),
      f64([
        [1, 2, 3],
        [4, 5, 6],
      ]),
    );
    expect(vm.shape).toEqual([3]);
    expect(vm.arraySync()).toEqual([9, 12, 15]);
    const mv = matmul(
      f64([
        [1, 2],
        [3, 4],
        [5, 6],
      ]),
      f64([1, -1]),
    );
    expect(mv.shape).toEqual([3]);
    expect(mv.arraySync()).toEqual([-1, -1, -1]);
    // batched matrix times a vector: [2, 2, 2] @ [2] -> [2, 2]
    expect(
      matmul(
        f64([
          [
            [1, 0],
            [0, 1],
          ],
          [
            [2, 0],
            [0, 3],
          ],
        ]),
        f64([1, 1]),
      ).arraySync(),
    ).toEqual([
      [1, 1],
      [2, 3],
    ]);
    // vector times a batch: [2] @ [2, 2, 1] -> [2, 1]
    expect(
      matmul(
        f64([1, 2]),
        f64([
          [[1], [1]],
          [[3], [4]],
        ]),
      ).arraySync(),
    ).toEqual([[3], [11]]);
  });
  it('batch dims broadcast', () => {
    const a = f64([
      [
        [1, 0],
        [0, 1],
      ],
      [
        [2, 0],
        [0, 2],
      ],
      [
        [0, 1],
        [1, 0],
      ],
    ]); // [3, 2, 2]
    const b = f64([
      [
        [1, 2],
        [3, 4],
      ],
    ]); // [1, 2, 2]
    expect(matmul(a, b).arraySync()).toEqual([
      [
        [1, 2],
        [3, 4],
      ],
      [
        [2, 4],
        [6, 8],
      ],
      [
        [3, 4],
        [1, 2],
      ],
    ]);
    const c = f64([
      [1, 2],
      [3, 4],
    ]); // [2, 2] against [3, 2, 2]
    expect(matmul(c, a).shape).toEqual([3, 2, 2]);
    expect(matmul(zeros4([2, 1, 3, 4]), zeros4([5, 4, 2])).shape).toEqual([2, 5, 3, 2]);
  });
  it('gradients of a broadcast operand are summed over the batch', () => {
    const a = f64([[[1, 2]], [[3, 4]], [[5, 6]]], true); // [3, 1, 2]
    const b = f64([[1], [1]], true); // [2, 1]
    matmul(a, b).sum().backward();
    expect(b.grad!.arraySync()).toEqual([[9], [12]]);
    expect(a.grad!.arraySync()).toEqual([[[1, 1]], [[1, 1]], [[1, 1]]]);
  });
  it('float32 and int32 work and keep their dtype; bool is refused', () => {
    const y = matmul(tensor([[1, 2]]), tensor([[3], [4]]));
    expect(y.dtype).toBe('float32');
    expect(y.arraySync()).toEqual([[11]]);
    const yi = matmul(tensor([[1, 2]], { dtype: 'int32' }), tensor([[3], [4]], { dtype: 'int32' }));
    expect(yi.dtype).toBe('int32');
    expect(yi.arraySync()).toEqual([[11]]);
    expect(() => matmul(tensor([[true]]), tensor([[true]]))).toThrow(/matmul: bool operands are not supported/);
  });
  it('linear is x wᵀ + b', () => {
    const y = linear(
      f64([
        [1, 2],
        [3, 4],
      ]),
      f64([
        [1, 0],
        [0, 1],
        [1, 1],
      ]),
      f64([10, 20, 30]),
    );
    expect(y.arraySync()).toEqual([
      [11, 22, 33],
      [13, 24, 37],
    ]);
    expect(linear(f64([1, 2]), f64([[1, 1]])).arraySync()).toEqual([3]);
  });
});

describe('matmul: errors name the op and the shapes', () => {
  it('inner dimension mismatch', () => {
    expect(() => matmul(f64([[1, 2, 3]]), f64([[1, 2]]))).toThrow(ShapeError);
    expect(() => matmul(f64([[1, 2, 3]]), f64([[1, 2]]))).toThrow(/matmul.*\[1, 3\].*\[1, 2\]/);
    expect(() => matmul(f64([1, 2, 3]), f64([1, 2]))).toThrow(/matmul.*\[3\].*\[2\]/);
  });
  it('batch dims that do not broadcast', () => {
    expect(() => matmul(zeros4([2, 3, 4]), zeros4([3, 4, 5]))).toThrow(ShapeError);
    expect(() => matmul(zeros4([2, 3, 4]), zeros4([3, 4, 5]))).toThrow(/matmul.*\[2\].*\[3\]/);
  });
  it('scalars and dtype mismatch', () => {
    expect(() => matmul(f64(2), f64([1]))).toThrow(/matmul.*at least one dimension.*\[\].*\[1\]/);
    expect(() => matmul(tensor([[1]]), f64([[1]]))).toThrow(DTypeError);
    expect(() => matmul(tensor([[1]]), f64([[1]]))).toThrow(/matmul.*float32.*float64/);
  });
  it('linear shape errors', () => {
    expect(() => linear(f64([[1, 2]]), f64([[1, 2, 3]]))).toThrow(/linear.*2 features.*expects 3/);
    expect(() => linear(f64([[1, 2]]), f64([[1, 2]]), f64([1, 2]))).toThrow(/linear: bias must have shape \[1\]/);
  });
  it('leaves no tensors behind', () => {
    const before = memory().tensors;
    const a = f64([[1, 2]], true);
    tidy(() =>
      matmul(f64([3, 4]), a.reshape([2, 1]).matmul(a))
        .sum()
        .backward(),
    );
    a.dispose();
    expect(memory().tensors).toBe(before);
  });
});

function zeros4(shape: number[]) {
  return tensor(new Float64Array(shape.reduce((p, d) => p * d, 1)), { shape, dtype: 'float64' });
}
