/**
 * Movement semantics against hand-computed expectations (and PyTorch's documented examples),
 * plus bad input: every error is typed and names the op and the shapes or arguments.
 */
import { describe, expect, it } from 'vitest';
import {
  AxisError,
  DTypeError,
  IndexError,
  ShapeError,
  ValueError,
  arange,
  concat,
  constantPad,
  dispose,
  expand,
  flatten,
  flip,
  gather,
  indexSelect,
  memory,
  oneHot,
  ones,
  pad,
  permute,
  reshape,
  scatterAdd,
  slice,
  squeeze,
  stack,
  tensor,
  tidy,
  transpose,
  unsqueeze,
  zeros,
} from '@pixgrad/core';

const int32 = (data: number[] | number[][]) => tensor(data, { dtype: 'int32' });
/** arange(n) as float32 reshaped */
const grid = (...shape: number[]) =>
  arange(shape.reduce((p, d) => p * d, 1))
    .cast('float32')
    .reshape(shape);

describe('reshape family', () => {
  it('reshape infers -1 and aliases the buffer', () => {
    const x = grid(2, 3);
    expect(reshape(x, [3, -1]).arraySync()).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
    ]);
    expect(reshape(x, [-1]).shape).toEqual([6]);
    expect(() => reshape(x, [4, -1])).toThrow(ShapeError);
    expect(() => reshape(x, [4, -1])).toThrow(/reshape.*\[2, 3\].*\[4, -1\]/);
  });

  it('flatten merges startDim..endDim; a scalar becomes [1]', () => {
    const x = zeros([2, 3, 4, 5]);
    expect(flatten(x).shape).toEqual([120]);
    expect(flatten(x, 1).shape).toEqual([2, 60]);
    expect(flatten(x, 1, 2).shape).toEqual([2, 12, 5]);
    expect(flatten(x, -2).shape).toEqual([2, 3, 20]);
    expect(flatten(zeros([])).shape).toEqual([1]);
    expect(() => flatten(x, 2, 1)).toThrow(ValueError);
    expect(() => flatten(x, 4)).toThrow(AxisError);
    expect(() => flatten(x, 4)).toThrow(/flatten: axis 4 is out of range for a tensor of rank 4/);
  });

  it('squeeze removes size-1 dims (all, or those listed); unsqueeze inserts one', () => {
    const x = zeros([1, 3, 1, 2]);
    expect(squeeze(x).shape).toEqual([3, 2]);
    expect(squeeze(x, 0).shape).toEqual([3, 1, 2]);
    expect(squeeze(x, [0, -2]).shape).toEqual([3, 2]);
    expect(squeeze(x, 1).shape).toEqual([1, 3, 1, 2]); // not size 1: left alone, as torch
    expect(unsqueeze(x, 0).shape).toEqual([1, 1, 3, 1, 2]);
    expect(unsqueeze(x, -1).shape).toEqual([1, 3, 1, 2, 1]);
    expect(unsqueeze(zeros([]), 0).shape).toEqual([1]);
    expect(() => unsqueeze(x, 5)).toThrow(/unsqueeze: axis 5 is out of range for a tensor of rank 5/);
    expect(() => squeeze(x, 4)).toThrow(AxisError);
  });

  it('expand stretches size-1 dims and adds leading ones', () => {
    expect(expand(tensor([[1], [2]]), [2, 2, 3]).arraySync()).toEqual([
      [
        [1, 1, 1],
        [2, 2, 2],
      ],
      [
        [1, 1, 1],
        [2, 2, 2],
      ],
    ]);
    expect(expand(tensor([1, 2]), [-1]).arraySync()).toEqual([1, 2]);
    expect(() => expand(tensor([1, 2]), [3])).toThrow(/expand: cannot expand \[2\] to \[3\]/);
  });
});

describe('permute, transpose, flip', () => {
  it('permute moves dim axes[d] to position d', () => {
    const x = grid(2, 3, 4); // x[i][j][k] = 12 i + 4 j + k
    const y = permute(x, [2, 0, 1]);
    expect(y.shape).toEqual([4, 2, 3]);
    const expected = [0, 1, 2, 3].map((k) => [0, 1].map((i) => [0, 1, 2].map((j) => 12 * i + 4 * j + k)));
    expect(y.arraySync()).toEqual(expected);
    expect(permute(x, [-1, 0, 1]).arraySync()).toEqual(expected);
  });

  it('transpose swaps the last two dims by default', () => {
    expect(transpose(grid(2, 3)).arraySync()).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    const x = grid(2, 1, 3);
    expect(transpose(x, 0, 2).arraySync()).toEqual([[[0, 3]], [[1, 4]], [[2, 5]]]);
    expect(transpose(x).shape).toEqual([2, 3, 1]);
  });

  it('flip reverses the listed axes', () => {
    const x = grid(2, 3);
    expect(flip(x, 0).arraySync()).toEqual([
      [3, 4, 5],
      [0, 1, 2],
    ]);
    expect(flip(x, [1]).arraySync()).toEqual([
      [2, 1, 0],
      [5, 4, 3],
    ]);
    expect(flip(x, [0, -1]).arraySync()).toEqual([
      [5, 4, 3],
      [2, 1, 0],
    ]);
    expect(flip(x, []).arraySync()).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
  });

  it('bad axes name the op and the rank', () => {
    const x = zeros([2, 3]);
    expect(() => permute(x, [0])).toThrow(AxisError);
    expect(() => permute(x, [0])).toThrow(/permute: got 1 axes \[0\] for a tensor of rank 2 \[2, 3\]/);
    expect(() => permute(x, [0, 0])).toThrow(/permute: axes \[0, 0\] are not a permutation/);
    expect(() => permute(x, [0, 2])).toThrow(/permute: axis 2 is out of range for a tensor of rank 2/);
    expect(() => transpose(zeros([3]))).toThrow(/transpose: axis -2 is out of range for a tensor of rank 1/);
    expect(() => flip(x, 2)).toThrow(/flip: axis 2 is out of range for a tensor of rank 2/);
    expect(() => flip(x, [1, -1])).toThrow(/flip: repeated axis/);
  });
});

describe('Tensor methods', () => {
  it('call the same movement ops', () => {
    const x = grid(2, 3);
    expect(x.flatten().shape).toEqual([6]);
    expect(x.permute([1, 0]).arraySync()).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    expect(x.transpose().shape).toEqual([3, 2]);
    expect(x.unsqueeze(1).squeeze(1).shape).toEqual([2, 3]);
    expect(x.slice([null, [null, null, 2]]).arraySync()).toEqual([
      [0, 2],
      [3, 5],
    ]);
    expect(x.pad([1, 0], { mode: 'replicate' }).arraySync()).toEqual([
      [0, 0, 1, 2],
      [3, 3, 4, 5],
    ]);
    expect(x.flip(0).arraySync()).toEqual([
      [3, 4, 5],
      [0, 1, 2],
    ]);
    expect(x.gather(1, int32([[1], [2]])).arraySync()).toEqual([[1], [5]]);
    expect(x.indexSelect(0, int32([1])).arraySync()).toEqual([[3, 4, 5]]);
    expect(x.expand([2, 2, 3]).shape).toEqual([2, 2, 3]);
  });
});

describe('slice', () => {
  const x = arange(10);
  const take = (spec: Parameters<typeof slice>[1]) => slice(x, spec).arraySync();

  it('follows Python slicing: steps, negative bounds, clamping', () => {
    expect(take([[2, 8, 3]])).toEqual([2, 5]);
    expect(take([[1, -1, 3]])).toEqual([1, 4, 7]);
    expect(take([[-3]])).toEqual([7, 8, 9]);
    expect(take([[null, -7]])).toEqual([0, 1, 2]);
    expect(take([[-100, 100, 4]])).toEqual([0, 4, 8]);
    expect(take([[5, 2]])).toEqual([]);
    expect(take([[12, 20]])).toEqual([]);
    expect(take([null])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(take([])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('supports negative steps as Python does (x[::-1], x[8:2:-3], x[-2::-4])', () => {
    expect(take([[null, null, -1]])).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(take([[8, 2, -3]])).toEqual([8, 5]);
    expect(take([[-2, null, -4]])).toEqual([8, 4, 0]);
    expect(take([[100, -100, -5]])).toEqual([9, 4]);
    expect(take([[2, 5, -1]])).toEqual([]);
  });

  it('slices several dims; missing trailing entries keep the dim whole', () => {
    const m = grid(3, 4); // m[i][j] = 4 i + j
    expect(slice(m, [[1], [null, null, 2]]).arraySync()).toEqual([
      [4, 6],
      [8, 10],
    ]);
    expect(slice(m, [[null, null, -2]]).arraySync()).toEqual([
      [8, 9, 10, 11],
      [0, 1, 2, 3],
    ]);
    expect(slice(m, [null, [-1]]).arraySync()).toEqual([[3], [7], [11]]);
    expect(slice(m, [[0, 0]]).shape).toEqual([0, 4]);
  });

  it('rejects a zero or fractional step, fractional bounds and too many entries', () => {
    expect(() => slice(x, [[0, 5, 0]])).toThrow(ValueError);
    expect(() => slice(x, [[0, 5, 0]])).toThrow(/slice: step cannot be zero \(entry 0 for shape \[10\]\)/);
    expect(() => slice(x, [[0, 5, 1.5]])).toThrow(/slice: step must be an integer, got 1.5/);
    expect(() => slice(x, [[0.5, 5]])).toThrow(/slice: bounds must be integers, got 0.5/);
    expect(() => slice(x, [null, null])).toThrow(AxisError);
    expect(() => slice(x, [null, null])).toThrow(/slice: the spec has 2 entries but the tensor \[10\] has rank 1/);
  });
});

describe('pad', () => {
  it('constant: last dimension first, as torch.nn.functional.pad (shapes of its docs example)', () => {
    const t4d = zeros([3, 3, 4, 2]);
    expect(pad(t4d, [1, 1]).shape).toEqual([3, 3, 4, 4]);
    expect(pad(t4d, [1, 1, 2, 2]).shape).toEqual([3, 3, 8, 4]);
    expect(pad(t4d, [0, 1, 2, 1, 3, 3]).shape).toEqual([3, 9, 7, 3]);
  });

  it('constant: values, fill value, negative pads crop', () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(pad(x, [1, 0, 0, 1], { value: 9 }).arraySync()).toEqual([
      [9, 1, 2],
      [9, 3, 4],
      [9, 9, 9],
    ]);
    expect(pad(x, [-1, 2]).arraySync()).toEqual([
      [2, 0, 0],
      [4, 0, 0],
    ]);
    expect(constantPad(tensor([1, 2]), [[1, 2]], 7).arraySync()).toEqual([7, 1, 2, 7, 7]);
    expect(pad(int32([1, 2]), [1, 1], { value: -3 }).arraySync()).toEqual([-3, 1, 2, -3]);
  });

  it('reflect matches torch.nn.ReflectionPad1d / 2d documented examples', () => {
    const x1 = grid(1, 2, 4);
    expect(pad(x1, [2, 2], { mode: 'reflect' }).arraySync()).toEqual([
      [
        [2, 1, 0, 1, 2, 3, 2, 1],
        [6, 5, 4, 5, 6, 7, 6, 5],
      ],
    ]);
    const x2 = grid(1, 1, 3, 3);
    expect(pad(x2, [2, 2, 2, 2], { mode: 'reflect' }).arraySync()).toEqual([
      [
        [
          [8, 7, 6, 7, 8, 7, 6],
          [5, 4, 3, 4, 5, 4, 3],
          [2, 1, 0, 1, 2, 1, 0],
          [5, 4, 3, 4, 5, 4, 3],
          [8, 7, 6, 7, 8, 7, 6],
          [5, 4, 3, 4, 5, 4, 3],
          [2, 1, 0, 1, 2, 1, 0],
        ],
      ],
    ]);
    expect(pad(x2, [1, 1, 2, 0], { mode: 'reflect' }).arraySync()).toEqual([
      [
        [
          [7, 6, 7, 8, 7],
          [4, 3, 4, 5, 4],
          [1, 0, 1, 2, 1],
          [4, 3, 4, 5, 4],
          [7, 6, 7, 8, 7],
        ],
      ],
    ]);
  });

  it('replicate matches torch.nn.ReplicationPad2d documented examples', () => {
    const x2 = grid(1, 1, 3, 3);
    expect(pad(x2, [2, 2, 2, 2], { mode: 'replicate' }).arraySync()).toEqual([
      [
        [
          [0, 0, 0, 1, 2, 2, 2],
          [0, 0, 0, 1, 2, 2, 2],
          [0, 0, 0, 1, 2, 2, 2],
          [3, 3, 3, 4, 5, 5, 5],
          [6, 6, 6, 7, 8, 8, 8],
          [6, 6, 6, 7, 8, 8, 8],
          [6, 6, 6, 7, 8, 8, 8],
        ],
      ],
    ]);
    expect(pad(x2, [1, 1, 2, 0], { mode: 'replicate' }).arraySync()).toEqual([
      [
        [
          [0, 0, 1, 2, 2],
          [0, 0, 1, 2, 2],
          [0, 0, 1, 2, 2],
          [3, 3, 4, 5, 5],
          [6, 6, 7, 8, 8],
        ],
      ],
    ]);
  });

  it("symmetric mirrors with the edge repeated, as numpy.pad(mode='symmetric') and MATLAB's padarray 'symmetric'", () => {
    // numpy.pad([1, 2, 3], (2, 3), mode='symmetric') == [2, 1, 1, 2, 3, 3, 2, 1]
    expect(pad(tensor([1, 2, 3]), [2, 3], { mode: 'symmetric' }).arraySync()).toEqual([2, 1, 1, 2, 3, 3, 2, 1]);
    const x2 = grid(1, 1, 2, 3);
    expect(pad(x2, [1, 1, 2, 0], { mode: 'symmetric' }).arraySync()).toEqual([
      [
        [
          [3, 3, 4, 5, 5],
          [0, 0, 1, 2, 2],
          [0, 0, 1, 2, 2],
          [3, 3, 4, 5, 5],
        ],
      ],
    ]);
    expect(() => pad(zeros([1, 3]), [4, 0], { mode: 'symmetric' })).toThrow(/pad: symmetric padding \(4, 0\) of dimension 1 must be at most its size 3/);
  });

  it('rejects reflect padding as large as the dimension, odd pad lists, unknown modes', () => {
    const x = zeros([1, 3]);
    expect(() => pad(x, [3, 0], { mode: 'reflect' })).toThrow(ValueError);
    expect(() => pad(x, [3, 0], { mode: 'reflect' })).toThrow(/pad: reflect padding \(3, 0\) of dimension 1 must be smaller than its size 3 \(shape \[1, 3\]/);
    expect(() => pad(x, [0, 0, 1, 0], { mode: 'reflect' })).toThrow(/dimension 0 must be smaller than its size 1/);
    expect(() => pad(x, [1])).toThrow(/pad: pads must be an even-length list/);
    expect(() => pad(x, [1, 1, 1, 1, 1, 1])).toThrow(/at most 2 per dimension.*\[1, 3\]/);
    expect(() => pad(x, [-1, 0], { mode: 'replicate' })).toThrow(/mode 'replicate' needs non-negative pads/);
    expect(() => pad(x, [-2, -2])).toThrow(/crop more than shape \[1, 3\] holds/);
    expect(() => pad(x, [1, 1], { mode: 'circular' as 'reflect' })).toThrow(/pad: unknown mode "circular"/);
    expect(() => pad(zeros([0]), [1, 1], { mode: 'replicate' })).toThrow(/cannot replicate-pad dimension 0 of size 0/);
  });
});

describe('concat and stack', () => {
  it('concat joins along an axis and promotes dtypes', () => {
    const a = tensor([[1, 2]]);
    const b = tensor([
      [3, 4],
      [5, 6],
    ]);
    expect(concat([a, b]).arraySync()).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(concat([tensor([[1], [2]]), b], -1).arraySync()).toEqual([
      [1, 3, 4],
      [2, 5, 6],
    ]);
    const mixed = concat([int32([1]), tensor([2.5], { dtype: 'float64' })]);
    expect(mixed.dtype).toBe('float64');
    expect(mixed.arraySync()).toEqual([1, 2.5]);
    expect(concat([zeros([0, 2]), a]).arraySync()).toEqual([[1, 2]]);
  });

  it('stack adds a new axis', () => {
    const a = tensor([1, 2]);
    const b = tensor([3, 4]);
    expect(stack([a, b]).arraySync()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(stack([a, b], 1).arraySync()).toEqual([
      [1, 3],
      [2, 4],
    ]);
    expect(stack([a, b], -1).shape).toEqual([2, 2]);
    expect(stack([tensor(1), tensor(2)]).arraySync()).toEqual([1, 2]);
  });

  it('shape mismatches name every shape', () => {
    expect(() => concat([zeros([2, 3]), zeros([2, 4]), zeros([3, 3])])).toThrow(ShapeError);
    expect(() => concat([zeros([2, 3]), zeros([2, 4]), zeros([3, 3])])).toThrow(
      /concat: shapes \[2, 3\], \[2, 4\], \[3, 3\] must match in every dimension except axis 0/,
    );
    expect(() => concat([zeros([2, 3]), zeros([2])], 1)).toThrow(/concat: shapes \[2, 3\], \[2\]/);
    expect(() => concat([zeros([2]), zeros([2])], 1)).toThrow(/concat: axis 1 is out of range for a tensor of rank 1/);
    expect(() => concat([tensor(1)])).toThrow(/zero-dimensional/);
    expect(() => concat([])).toThrow(ValueError);
    expect(() => stack([zeros([2]), zeros([3])])).toThrow(/stack: every tensor must have the same shape, got \[2\], \[3\]/);
    expect(() => stack([zeros([2])], 2)).toThrow(/stack: axis 2 is out of range for a tensor of rank 2/);
  });
});

describe('gather, indexSelect, scatterAdd, oneHot', () => {
  it('gather follows torch.gather (docs example and a smaller index)', () => {
    const t = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(
      gather(
        t,
        1,
        int32([
          [0, 0],
          [1, 0],
        ]),
      ).arraySync(),
    ).toEqual([
      [1, 1],
      [4, 3],
    ]);
    expect(gather(t, 0, int32([[1, 0]])).arraySync()).toEqual([[3, 2]]);
    const x = grid(2, 3); // [[0, 1, 2], [3, 4, 5]]
    expect(gather(x, 1, int32([[2], [0]])).arraySync()).toEqual([[2], [3]]);
    expect(gather(x, -1, int32([[2, 2, 2, 2]])).arraySync()).toEqual([[2, 2, 2, 2]]);
  });

  it('indexSelect picks (and repeats) slices', () => {
    const x = tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(indexSelect(x, 0, int32([2, 0, 2])).arraySync()).toEqual([
      [5, 6],
      [1, 2],
      [5, 6],
    ]);
    expect(indexSelect(x, 1, int32([1])).arraySync()).toEqual([[2], [4], [6]]);
    expect(indexSelect(x, 1, int32([])).shape).toEqual([3, 0]);
  });

  it('scatterAdd follows torch.scatter_add_ (docs examples)', () => {
    const src = ones([2, 5]);
    expect(scatterAdd(zeros([3, 5]), 0, int32([[0, 1, 2, 0, 0]]), src).arraySync()).toEqual([
      [1, 0, 0, 1, 1],
      [0, 1, 0, 0, 0],
      [0, 0, 1, 0, 0],
    ]);
    expect(
      scatterAdd(
        zeros([3, 5]),
        0,
        int32([
          [0, 1, 2, 0, 0],
          [0, 1, 2, 2, 2],
        ]),
        src,
      ).arraySync(),
    ).toEqual([
      [2, 0, 0, 1, 1],
      [0, 2, 0, 0, 0],
      [0, 0, 2, 1, 1],
    ]);
    expect(scatterAdd(tensor([10, 20, 30]), 0, int32([0, 2, 0]), tensor([1, 2, 3])).arraySync()).toEqual([14, 20, 32]);
  });

  it('oneHot follows torch.nn.functional.one_hot (int32 instead of int64)', () => {
    const idx = int32([0, 1, 2, 0, 1]);
    const y = oneHot(idx);
    expect(y.dtype).toBe('int32');
    expect(y.arraySync()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
      [1, 0, 0],
      [0, 1, 0],
    ]);
    expect(oneHot(idx, 5).arraySync()).toEqual([
      [1, 0, 0, 0, 0],
      [0, 1, 0, 0, 0],
      [0, 0, 1, 0, 0],
      [1, 0, 0, 0, 0],
      [0, 1, 0, 0, 0],
    ]);
    expect(
      oneHot(
        int32([
          [0, 2],
          [1, 0],
        ]),
        3,
        { dtype: 'float32' },
      ).arraySync(),
    ).toEqual([
      [
        [1, 0, 0],
        [0, 0, 1],
      ],
      [
        [0, 1, 0],
        [1, 0, 0],
      ],
    ]);
    expect(oneHot(int32([1]), 2, { dtype: 'bool' }).arraySync()).toEqual([[false, true]]);
  });

  it('out-of-range indices are IndexErrors naming the op', () => {
    const x = zeros([2, 3]);
    expect(() => gather(x, 1, int32([[3], [0]]))).toThrow(IndexError);
    expect(() => gather(x, 1, int32([[3], [0]]))).toThrow(/gather: index 3 is out of range for dimension 1 of size 3/);
    expect(() => gather(x, 0, int32([[-1, 0, 0]]))).toThrow(/gather: index -1/);
    expect(() => indexSelect(x, 0, int32([0, 2]))).toThrow(IndexError);
    expect(() => indexSelect(x, 0, int32([0, 2]))).toThrow(/indexSelect: index 2 .* out of range for axis 0 of x \[2, 3\] of size 2/);
    expect(() => scatterAdd(x, 0, int32([[2, 0, 0]]), ones([1, 3]))).toThrow(/scatterAdd: index 2 is out of range/);
    expect(() => oneHot(int32([0, 3]), 3)).toThrow(IndexError);
    expect(() => oneHot(int32([0, -1]), 3)).toThrow(/oneHot: index -1/);
  });

  it('bad index dtypes, ranks, shapes and axes are typed errors', () => {
    const x = zeros([2, 3]);
    expect(() => gather(x, 0, tensor([[0, 0, 0]]))).toThrow(DTypeError);
    expect(() => gather(x, 0, int32([0, 1]))).toThrow(/gather: the index \[2\] must have the same rank as x \[2, 3\]/);
    expect(() => gather(x, 0, int32([[0, 0, 0, 0]]))).toThrow(/gather: the index \[1, 4\] is larger than x \[2, 3\] in dimension 1/);
    expect(() => gather(x, 2, int32([[0]]))).toThrow(/gather: axis 2 is out of range for a tensor of rank 2/);
    expect(() => indexSelect(x, 0, int32([[0]]))).toThrow(/indexSelect: the index must be 1-D, got shape \[1, 1\]/);
    expect(() => indexSelect(x, -3, int32([0]))).toThrow(AxisError);
    expect(() => scatterAdd(x, 0, int32([[0, 0, 0]]), ones([1, 2]))).toThrow(/scatterAdd: the index \[1, 3\] must have the rank of src \[1, 2\]/);
    expect(() => scatterAdd(x, 0, int32([[0, 0, 0]]), ones([1, 3], { dtype: 'float64' }))).toThrow(DTypeError);
    expect(() => oneHot(tensor([0, 1]), 2)).toThrow(/oneHot: the index must be int32, got float32/);
  });

  it('composite movement ops leave nothing behind', () => {
    const before = memory().tensors;
    tidy(() => {
      const x = grid(2, 3, 3);
      pad(x, [2, 1, 1, 1], { mode: 'reflect' });
      pad(x, [-1, 1], { value: 2 });
      stack([x, x], 2);
      indexSelect(x, 2, int32([0, 0]));
      oneHot(int32([0, 2]), 4);
      flip(x, [0, 2]);
    });
    const x = tensor([1, 2, 3]);
    const y = pad(x, [1, 1], { mode: 'replicate' });
    expect(memory().tensors).toBe(before + 2); // x and y
    dispose([x, y]);
    expect(memory().tensors).toBe(before);
  });
});
