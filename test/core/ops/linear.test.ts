import { describe, expect, it } from 'vitest';
import {
  Generator,
  gradcheck,
  linear,
  matmul,
  add,
  randn,
  ShapeError,
  DTypeError,
} from '../../../src/index.js';

describe('linear (fused affine op)', () => {
  const rng = new Generator(7);
  const f64 = { dtype: 'float64' as const, requiresGrad: true };

  it.each([
    ['outIn', [3, 4], [5, 4]],
    ['outIn', [2, 3, 4], [5, 4]],
    ['inOut', [2, 3, 4], [4, 5]],
    ['outIn', [4], [2, 4]],
  ] as const)('matches matmul + add and passes gradcheck (%s, x %j, w %j)', (layout, xs, ws) => {
    const x = randn(xs, rng, f64);
    const w = randn(ws, rng, f64);
    const outF = layout === 'outIn' ? ws[0] : ws[1];
    const b = randn([outF], rng, f64);
    const y = linear(x, w, b, { weightLayout: layout });
    const x2 = xs.length === 1 ? x.reshape([1, xs[0]]) : x;
    const ref = add(matmul(x2, w, { transB: layout === 'outIn' }), b);
    for (let i = 0; i < ref.size; i++) expect(y.data[i]).toBeCloseTo(ref.data[i], 12);
    expect(
      gradcheck((xx, ww, bb) => linear(xx, ww, bb, { weightLayout: layout }), [x, w, b]).ok,
    ).toBe(true);
    expect(gradcheck((xx, ww) => linear(xx, ww, null, { weightLayout: layout }), [x, w]).ok).toBe(
      true,
    );
  });

  it('names the op and the shapes on bad input', () => {
    const x = randn([3, 4], rng);
    expect(() => linear(x, randn([5, 3], rng))).toThrow(ShapeError);
    expect(() => linear(x, randn([5, 3], rng))).toThrow(
      /linear: input \[3,4\] does not fit weight \[5,3\]/,
    );
    expect(() => linear(x, randn([5, 4], rng), randn([4], rng))).toThrow(/bias \[4\]/);
    expect(() => linear(x, randn([5, 4], rng, { dtype: 'float64' }))).toThrow(DTypeError);
  });
});
