import { describe, expect, it } from 'vitest';
import { ValueError, add, cast, div, mul, promoteTypes, sub, tensor } from '@pixgrad/core';

describe('dtypes and casts', () => {
  it('promotes bool < int32 < float32 < float64 (as PyTorch)', () => {
    expect(promoteTypes('bool', 'int32')).toBe('int32');
    expect(promoteTypes('int32', 'float32')).toBe('float32');
    expect(promoteTypes('float64', 'float32')).toBe('float64');
    const i = tensor([1, 2], { dtype: 'int32' });
    const f = tensor([0.5, 0.5], { dtype: 'float64' });
    expect(add(i, f).dtype).toBe('float64');
    expect(add(i, 1).dtype).toBe('int32');
    expect(add(i, 0.5).dtype).toBe('float32'); // a fractional number promotes an int tensor
    expect(add(tensor([1], { dtype: 'float64' }), 1).dtype).toBe('float64'); // a number does not demote
    expect(add(tensor([true]), 1).dtype).toBe('int32');
  });

  it('int arithmetic stays int and wraps like int32; division is true division', () => {
    const i = tensor([7, -7], { dtype: 'int32' });
    expect(Array.from(mul(i, 3).dataSync())).toEqual([21, -21]);
    expect(Array.from(mul(tensor([65536], { dtype: 'int32' }), 65536).dataSync())).toEqual([0]);
    expect(Array.from(sub(i, 10).dataSync())).toEqual([-3, -17]);
    const d = div(i, 2);
    expect(d.dtype).toBe('float32');
    expect(Array.from(d.dataSync())).toEqual([3.5, -3.5]);
  });

  it('casts truncate toward zero to int and test != 0 to bool', () => {
    const x = tensor([1.9, -1.9, 0, 0.1, NaN], { dtype: 'float64' });
    expect(Array.from(cast(x, 'int32').dataSync())).toEqual([1, -1, 0, 0, 0]);
    expect(cast(x, 'bool').arraySync()).toEqual([true, true, false, true, true]);
    expect(Array.from(cast(tensor([true, false]), 'float32').dataSync())).toEqual([1, 0]);
    const f32 = cast(tensor([1 / 3], { dtype: 'float64' }), 'float32');
    expect(f32.dataSync()[0]).toBe(Math.fround(1 / 3));
  });

  it('casting between floats is differentiable; to int cuts the gradient', () => {
    const x = tensor([1.5, 2.5], { dtype: 'float64', requiresGrad: true });
    cast(x, 'float32').mul(2).sum().backward();
    expect(x.grad!.dtype).toBe('float64');
    expect(Array.from(x.grad!.dataSync())).toEqual([2, 2]);
    expect(cast(x, 'int32').requiresGrad).toBe(false);
  });

  it('a binary op needs a tensor', () => {
    expect(() => add(1 as never, 2 as never)).toThrow(ValueError);
  });
});
