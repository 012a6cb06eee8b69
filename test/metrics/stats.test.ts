import { describe, expect, it } from 'vitest';
import { ValueError } from '../../src/core/errors.js';
import {
  confidenceInterval,
  quantileSorted,
  sampleStd,
  studentTCdf,
  studentTQuantile,
} from '../../src/metrics/stats.js';

describe('Student t', () => {
  // Two-sided 95% (and one 99%) critical values from standard t tables (scipy.stats.t.ppf).
  it.each([
    [0.975, 1, 12.706204736174698],
    [0.975, 2, 4.302652729749464],
    [0.975, 4, 2.7764451051977934],
    [0.975, 9, 2.2621571627982053],
    [0.975, 29, 2.045229642132703],
    [0.995, 5, 4.032142983557536],
    [0.9, 3, 1.6377443536962102],
  ])('quantile(%f, df=%i) = %f', (p, df, expected) => {
    expect(studentTQuantile(p, df)).toBeCloseTo(expected, 9);
    expect(studentTQuantile(1 - p, df)).toBeCloseTo(-expected, 9);
    expect(studentTCdf(expected, df)).toBeCloseTo(p, 12);
  });

  it('approaches the normal quantile for large df', () => {
    expect(studentTQuantile(0.975, 1e6)).toBeCloseTo(1.959963984540054, 5);
  });

  it('rejects bad arguments', () => {
    expect(() => studentTQuantile(1, 3)).toThrow(ValueError);
    expect(() => studentTQuantile(0.5 + 0.1, 0)).toThrow(ValueError);
  });
});

describe('confidenceInterval', () => {
  it('t interval by hand: [1,2,3,4,5]', () => {
    const e = confidenceInterval([1, 2, 3, 4, 5]);
    const half = 2.7764451051977934 * (Math.sqrt(2.5) / Math.sqrt(5));
    expect(e.mean).toBe(3);
    expect(e.std).toBeCloseTo(Math.sqrt(2.5), 12);
    expect(e.lower).toBeCloseTo(3 - half, 9);
    expect(e.upper).toBeCloseTo(3 + half, 9);
    expect(e).toMatchObject({ n: 5, level: 0.95, method: 't' });
  });

  it('90% interval uses the 0.95 quantile', () => {
    const e = confidenceInterval([2, 4, 9], { level: 0.9 });
    const s = sampleStd([2, 4, 9]);
    const half = 2.919985580355516 * (s / Math.sqrt(3));
    expect(e.upper! - e.mean).toBeCloseTo(half, 8);
  });

  it('one value: no interval', () => {
    expect(confidenceInterval([4])).toMatchObject({ mean: 4, lower: null, upper: null, n: 1 });
  });

  it('bootstrap is seeded, deterministic, and brackets the mean', () => {
    const xs = [0.1, 0.5, 0.2, 0.9, 0.4, 0.3, 0.7];
    const a = confidenceInterval(xs, { method: 'bootstrap', seed: 3, resamples: 500 });
    const b = confidenceInterval(xs, { method: 'bootstrap', seed: 3, resamples: 500 });
    const c = confidenceInterval(xs, { method: 'bootstrap', seed: 4, resamples: 500 });
    expect(a).toEqual(b);
    expect(c.mean).toBe(a.mean);
    expect(a.lower!).toBeLessThan(a.mean);
    expect(a.upper!).toBeGreaterThan(a.mean);
    // Bounds are means of resamples, so they stay inside the data's range.
    expect(a.lower!).toBeGreaterThanOrEqual(0.1);
    expect(a.upper!).toBeLessThanOrEqual(0.9);
  });

  it('constant data: zero-width interval', () => {
    expect(confidenceInterval([2, 2, 2])).toMatchObject({ lower: 2, upper: 2 });
  });

  it('rejects non-finite values and bad levels', () => {
    expect(() => confidenceInterval([1, NaN])).toThrow(/value 1 is NaN/);
    expect(() => confidenceInterval([1, 2], { level: 1 })).toThrow(ValueError);
  });

  it('quantileSorted interpolates like numpy', () => {
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileSorted([1, 2, 3, 4], 0.25)).toBe(1.75);
  });
});
