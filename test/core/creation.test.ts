import { describe, expect, it } from 'vitest';
import {
  arange,
  cast,
  full,
  Generator,
  mul,
  ones,
  onesLike,
  rand,
  randn,
  ShapeError,
  tensor,
  ValueError,
  zeros,
  zerosLike,
} from '../../src/index.js';

describe('tensor()', () => {
  it('infers the shape of nested arrays, float32 by default', () => {
    const t = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float32');
    expect(t.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(tensor([[[7]]]).shape).toEqual([1, 1, 1]);
    expect(tensor(3.5).shape).toEqual([]);
    expect(tensor(3.5).item()).toBe(3.5);
    expect(tensor([]).shape).toEqual([0]);
    expect(tensor([[], []]).shape).toEqual([2, 0]);
  });

  it('takes a flat array with a shape, and a dtype', () => {
    const t = tensor([1, 2, 3, 4, 5, 6], [3, 2], { dtype: 'int32' });
    expect(t.shape).toEqual([3, 2]);
    expect(t.dtype).toBe('int32');
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(tensor([1.7, -1.7], [2], { dtype: 'int32' }).data).toEqual(new Int32Array([1, -1]));
  });

  it('takes typed arrays, keeping their dtype unless told otherwise, and copies them', () => {
    const src = new Float64Array([1, 2, 3, 4]);
    const t = tensor(src, [2, 2]);
    expect(t.dtype).toBe('float64');
    src[0] = 9;
    expect(t.data[0]).toBe(1);
    expect(tensor(new Int32Array([1, 2])).dtype).toBe('int32');
    expect(tensor(new Int32Array([1, 2])).shape).toEqual([2]);
    expect(tensor(new Float32Array([1, 2]), [2], { dtype: 'float64' }).dtype).toBe('float64');
  });

  it('ragged nesting is a ShapeError naming the depth', () => {
    expect(() => tensor([[1, 2], [3]])).toThrow(ShapeError);
    expect(() => tensor([[1, 2], [3]])).toThrow(
      /tensor: ragged nested array at depth 1 \(expected length 2\)/,
    );
    expect(() => tensor([1, [2]] as never)).toThrow(/tensor: ragged nested array/);
    expect(() => tensor([[1], 2] as never)).toThrow(/tensor: ragged nested array/);
  });

  it('a shape the values do not fill is a ShapeError', () => {
    expect(() => tensor([1, 2, 3], [2, 2])).toThrow(/tensor: 3 values do not fill shape \[2,2\]/);
    expect(() => tensor([1, 2], [-2, -1])).toThrow(/tensor: invalid shape \[-2,-1\]/);
    expect(() => tensor([1, 2], [2.5])).toThrow(ShapeError);
  });

  it('requiresGrad makes a leaf', () => {
    const t = tensor([1, 2], [2], { requiresGrad: true });
    expect(t.requiresGrad).toBe(true);
    expect(t.isLeaf).toBe(true);
  });
});

describe('full, zeros, ones', () => {
  it('fill a shape in the dtype asked for', () => {
    expect(Array.from(full([2, 2], 7).data)).toEqual([7, 7, 7, 7]);
    expect(full([2], 2.5, { dtype: 'float64' }).dtype).toBe('float64');
    expect(Array.from(zeros([3], { dtype: 'int32' }).data)).toEqual([0, 0, 0]);
    expect(Array.from(ones([2, 1]).data)).toEqual([1, 1]);
    expect(ones([]).shape).toEqual([]);
    expect(zeros([0, 4]).size).toBe(0);
    const f = tensor(new Float64Array([1, 2]), [1, 2]);
    expect(zerosLike(f).dtype).toBe('float64');
    expect(onesLike(f).shape).toEqual([1, 2]);
  });

  it('reject invalid shapes', () => {
    expect(() => zeros([2, -1])).toThrow(/full: invalid shape \[2,-1\]/);
    expect(() => ones([1.5])).toThrow(ShapeError);
  });
});

describe('arange', () => {
  it('follows torch.arange', () => {
    expect(Array.from(arange(5).data)).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(arange(2, 5).data)).toEqual([2, 3, 4]);
    expect(Array.from(arange(1, 0, -0.25).data)).toEqual([1, 0.75, 0.5, 0.25]);
    expect(arange(0, 1, 0.1, { dtype: 'float64' }).size).toBe(10);
    expect(arange(0, 1, 0.3).size).toBe(4);
    expect(arange(3, 3).size).toBe(0);
    expect(arange(0, 4, 1, { dtype: 'int32' }).dtype).toBe('int32');
  });

  it('rejects a zero step and non-finite bounds with a ValueError', () => {
    expect(() => arange(0, 5, 0)).toThrow(/arange: step must be non-zero/);
    expect(() => arange(NaN)).toThrow(ValueError);
    expect(() => arange(0, Infinity)).toThrow(
      /arange: start, end and step must be finite, got 0, Infinity, 1/,
    );
  });
});

describe('randn and rand', () => {
  it('the same generator seed gives the same tensor; another seed another', () => {
    const a = randn([3, 4], new Generator(1));
    const b = randn([3, 4], new Generator(1));
    const c = randn([3, 4], new Generator(2));
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(Array.from(a.data)).not.toEqual(Array.from(c.data));
  });

  it('takes mean, std, dtype and requiresGrad', () => {
    const t = randn([2000], new Generator(3), {
      mean: 5,
      std: 0.1,
      dtype: 'float64',
      requiresGrad: true,
    });
    expect(t.dtype).toBe('float64');
    expect(t.requiresGrad).toBe(true);
    const m = Array.from(t.data).reduce((p, x) => p + x, 0) / t.size;
    expect(Math.abs(m - 5)).toBeLessThan(0.02);
  });

  it('rand stays in [low, high)', () => {
    const t = rand([1000], new Generator(4), { low: -1, high: 2 });
    expect(Array.from(t.data).every((v) => v >= -1 && v < 2)).toBe(true);
  });
});

describe('cast', () => {
  it('converts between dtypes, truncating toward zero into int32', () => {
    const f = tensor([1.7, -1.7, 2.5, -0.2], [2, 2]);
    const i = cast(f, 'int32');
    expect(i.dtype).toBe('int32');
    expect(i.shape).toEqual([2, 2]);
    expect(Array.from(i.data)).toEqual([1, -1, 2, 0]);
    expect(Array.from(cast(i, 'float64').data)).toEqual([1, -1, 2, 0]);
    expect(cast(tensor(new Float64Array([0.1]), [1]), 'float32').data[0]).toBe(Math.fround(0.1));
    expect(f.to('float64').dtype).toBe('float64');
  });

  it('to the same dtype returns the tensor itself; otherwise a copy outside the graph', () => {
    const f = tensor([1, 2], [2], { requiresGrad: true });
    expect(cast(f, 'float32')).toBe(f);
    const g = cast(mul(f, 2), 'float64');
    expect(g.requiresGrad).toBe(false);
    expect(g.data).not.toBe(f.data);
  });
});
