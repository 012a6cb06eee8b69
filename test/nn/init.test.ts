import { describe, expect, it } from 'vitest';
import { Generator, init, zeros } from '../../src/index.js';

const extent = (d: ArrayLike<number>): [number, number] => {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < d.length; i++) {
    lo = Math.min(lo, d[i]);
    hi = Math.max(hi, d[i]);
  }
  return [lo, hi];
};

describe('nn.init', () => {
  it('fan in / fan out and gains as torch', () => {
    expect(init.calculateFanInAndFanOut(zeros([8, 3, 2, 2]))).toEqual([12, 32]);
    expect(init.calculateGain('relu')).toBeCloseTo(Math.SQRT2, 15);
    expect(init.calculateGain('tanh')).toBeCloseTo(5 / 3, 15);
    expect(init.calculateGain('leaky_relu', Math.sqrt(5))).toBeCloseTo(Math.sqrt(1 / 3), 15);
    expect(() => init.calculateFanInAndFanOut(zeros([3]))).toThrow();
  });

  it('uniform-type inits stay in their bounds', () => {
    const rng = new Generator(0);
    const t = zeros([50, 30]);
    const xb = Math.sqrt(6 / 80);
    const [xlo, xhi] = extent(init.xavierUniform_(t, rng).data);
    expect(xlo).toBeGreaterThanOrEqual(-xb);
    expect(xhi).toBeLessThanOrEqual(xb);
    const kb = (Math.sqrt(3) * Math.SQRT2) / Math.sqrt(30);
    const [klo, khi] = extent(init.kaimingUniform_(t, rng, { nonlinearity: 'relu' }).data);
    expect(klo).toBeGreaterThanOrEqual(-kb);
    expect(khi).toBeLessThanOrEqual(kb);
    expect(khi - klo).toBeGreaterThan(1.9 * kb);
    const [tlo, thi] = extent(init.truncNormal_(t, rng, { std: 1, a: -0.5, b: 0.5 }).data);
    expect(tlo).toBeGreaterThanOrEqual(-0.5);
    expect(thi).toBeLessThanOrEqual(0.5);
    expect([...init.ones_(t).data].every((v) => v === 1)).toBe(true);
  });

  it('normal_ has the requested moments', () => {
    const t = init.normal_(zeros([20000], { dtype: 'float64' }), new Generator(1), 2, 0.5);
    let s = 0;
    for (const v of t.data) s += v;
    const mean = s / t.size;
    let v2 = 0;
    for (const v of t.data) v2 += (v - mean) ** 2;
    expect(mean).toBeCloseTo(2, 1);
    expect(Math.sqrt(v2 / t.size)).toBeCloseTo(0.5, 1);
  });

  it('orthogonal_ gives orthonormal rows or columns, scaled by gain', () => {
    for (const [r, c] of [
      [6, 4],
      [4, 6],
      [5, 5],
    ]) {
      const t = init.orthogonal_(zeros([r, c], { dtype: 'float64' }), new Generator(2), 2);
      const tall = r >= c;
      const n = tall ? c : r;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let dot = 0;
          for (let k = 0; k < (tall ? r : c); k++) {
            dot += tall
              ? t.data[k * c + i] * t.data[k * c + j]
              : t.data[i * c + k] * t.data[j * c + k];
          }
          expect(dot).toBeCloseTo(i === j ? 4 : 0, 10);
        }
      }
    }
  });
});
