import { describe, expect, it } from 'vitest';
import { Tensor, tanh } from '../../../src/index.js';

/** float32 tanh uses a rational approximation; these bound how far it may drift from Math.tanh. */
describe('tanh on float32 (rational approximation)', () => {
  const grid = (from: number, to: number, step: number): Float32Array => {
    const n = Math.floor((to - from) / step) + 1;
    return Float32Array.from({ length: n }, (_, i) => from + i * step);
  };

  it('stays within 2.5e-7 (4 float32 ulps near 1) of Math.tanh over [-12, 12]', () => {
    const x = grid(-12, 12, 1e-4);
    const y = tanh(new Tensor(x, [x.length])).data;
    let worst = 0;
    for (let i = 0; i < x.length; i++) {
      worst = Math.max(worst, Math.abs(y[i] - Math.fround(Math.tanh(x[i]))));
    }
    expect(worst).toBeLessThanOrEqual(2.5e-7);
  });

  it('keeps the relative error near 0 to float32 precision, and the sign of zero', () => {
    const x = Float32Array.from([1e-30, -1e-20, 1e-10, 1e-6, -3e-4, 0.01, -0.3]);
    const y = tanh(new Tensor(x, [x.length])).data;
    for (let i = 0; i < x.length; i++) {
      const ref = Math.tanh(x[i]);
      expect(Math.abs(y[i] - ref) / Math.abs(ref)).toBeLessThan(3e-7);
    }
    const z = tanh(new Tensor(Float32Array.from([0, -0]), [2])).data;
    expect(Object.is(z[0], 0)).toBe(true);
    expect(Object.is(z[1], -0)).toBe(true);
  });

  it('saturates at +-1 and propagates NaN', () => {
    const y = tanh(new Tensor(Float32Array.from([Infinity, -Infinity, 1e30, NaN]), [4])).data;
    expect(Math.abs(y[0] - 1)).toBeLessThan(3e-7);
    expect(Math.abs(y[1] + 1)).toBeLessThan(3e-7);
    expect(Math.abs(y[2] - 1)).toBeLessThan(3e-7);
    expect(y[3]).toBeNaN();
  });

  it('is odd and monotone', () => {
    const x = grid(-10, 10, 1e-3);
    const y = tanh(new Tensor(x, [x.length])).data;
    const neg = tanh(
      new Tensor(
        x.map((v) => -v),
        [x.length],
      ),
    ).data;
    let notOdd = 0;
    let decreasing = 0;
    for (let i = 0; i < x.length; i++) {
      if (neg[i] !== -y[i]) notOdd++;
      if (i > 0 && y[i] < y[i - 1]) decreasing++;
    }
    expect({ notOdd, decreasing }).toEqual({ notOdd: 0, decreasing: 0 });
  });

  it('leaves float64 exact (Math.tanh), for gradient checks', () => {
    const x = Float64Array.from([-3, -0.5, 1e-8, 0.7, 4]);
    const y = tanh(new Tensor(x, [x.length])).data;
    for (let i = 0; i < x.length; i++) expect(y[i]).toBe(Math.tanh(x[i]));
  });
});
