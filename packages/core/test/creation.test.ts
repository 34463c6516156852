import { describe, expect, it } from 'vitest';
import { Generator, ShapeError, arange, eye, full, linspace, manualSeed, ones, onesLike, rand, randn, tensor, zeros, zerosLike } from '@pixgrad/core';

describe('creation', () => {
  it('reads nested arrays, typed arrays and scalars', () => {
    const t = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float32');
    expect(t.arraySync()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(tensor(new Float64Array([1, 2])).dtype).toBe('float64');
    expect(tensor(new Int32Array([1, 2])).dtype).toBe('int32');
    expect(tensor([true, false]).dtype).toBe('bool');
    expect(tensor([true, false]).arraySync()).toEqual([true, false]);
    expect(tensor(3).shape).toEqual([]);
    expect(tensor(3).itemSync()).toBe(3);
    expect(tensor(new Float32Array(6), { shape: [2, 3] }).shape).toEqual([2, 3]);
    expect(tensor([1.7, -1.7], { dtype: 'int32' }).arraySync()).toEqual([1, -1]);
  });

  it('rejects ragged arrays and wrong shapes with the reason', () => {
    expect(() => tensor([[1, 2], [3]])).toThrow(ShapeError);
    expect(() => tensor([[1, 2], [3]])).toThrow(/ragged.*\[1\]/);
    expect(() => tensor([1, 2, 3], { shape: [2, 2] })).toThrow(/3 values.*\[2, 2\]/);
    expect(() => tensor([1], { dtype: 'float16' as never })).toThrow(/unknown dtype/);
    expect(() => zeros([2, -1])).toThrow(/non-negative integer/);
  });

  it('zeros, ones, full and *Like', () => {
    expect(Array.from(zeros([2]).dataSync())).toEqual([0, 0]);
    expect(Array.from(ones([2], { dtype: 'int32' }).dataSync())).toEqual([1, 1]);
    expect(Array.from(full([3], 2.5).dataSync())).toEqual([2.5, 2.5, 2.5]);
    const f = tensor([1, 2], { dtype: 'float64' });
    expect(zerosLike(f).dtype).toBe('float64');
    expect(onesLike(f).shape).toEqual([2]);
    expect(zeros([0, 3]).size).toBe(0);
  });

  it('arange and linspace follow numpy/PyTorch', () => {
    expect(Array.from(arange(5).dataSync())).toEqual([0, 1, 2, 3, 4]);
    expect(arange(5).dtype).toBe('int32');
    expect(Array.from(arange(1, 2, 0.25).dataSync())).toEqual([1, 1.25, 1.5, 1.75]);
    expect(Array.from(arange(5, 0, -2).dataSync())).toEqual([5, 3, 1]);
    expect(() => arange(0, 1, 0)).toThrow(/step/);
    expect(Array.from(linspace(0, 1, 5, { dtype: 'float64' }).dataSync())).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(Array.from(linspace(3, 3, 1).dataSync())).toEqual([3]);
    const l = linspace(-1, 0.3, 7, { dtype: 'float64' }).dataSync();
    expect(l[6]).toBe(0.3);
  });

  it('eye', () => {
    expect(eye(2, 3).arraySync()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
    ]);
  });

  it('rand/randn are reproducible from a seed and have the right moments', () => {
    manualSeed(42);
    const a = Array.from(rand([5]).dataSync());
    manualSeed(42);
    const b = Array.from(rand([5]).dataSync());
    expect(a).toEqual(b);
    const g1 = Array.from(randn([4], { generator: new Generator(7) }).dataSync());
    const g2 = Array.from(randn([4], { generator: new Generator(7) }).dataSync());
    expect(g1).toEqual(g2);
    const n = randn([20000], { generator: new Generator(1), dtype: 'float64' }).dataSync();
    let m = 0;
    for (const v of n) m += v;
    m /= n.length;
    let v2 = 0;
    for (const v of n) v2 += (v - m) ** 2;
    v2 /= n.length;
    expect(Math.abs(m)).toBeLessThan(0.03);
    expect(Math.abs(v2 - 1)).toBeLessThan(0.05);
    const u = rand([20000], { generator: new Generator(2) }).dataSync();
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(() => rand([2], { dtype: 'int32' })).toThrow(/float32 or float64/);
  });

  it('reads values asynchronously too', async () => {
    const t = tensor([[1, 2]]);
    expect(await t.array()).toEqual([[1, 2]]);
    expect(Array.from(await t.data())).toEqual([1, 2]);
    await expect(t.item()).rejects.toThrow(/2 elements/);
  });
});

describe('creation copies', () => {
  it('a tensor never aliases the caller’s array', () => {
    const src = new Float32Array([1, 2, 3]);
    const t = tensor(src);
    src[0] = 99;
    expect(Array.from(t.dataSync())).toEqual([1, 2, 3]);
    const out = t.dataSync();
    out[1] = 42;
    expect(Array.from(t.dataSync())).toEqual([1, 2, 3]);
  });
});
