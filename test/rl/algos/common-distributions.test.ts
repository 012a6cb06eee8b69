import { describe, expect, it } from 'vitest';
import { Generator, gradcheck, Tensor } from '../../../src/core/index.js';
import {
  annealedLr,
  Categorical,
  DiagGaussian,
  linearDecay,
  linearSchedule,
} from '../../../src/rl/algos/common/index.js';

const f64 = (values: number[], shape: number[], grad = false): Tensor =>
  new Tensor(Float64Array.from(values), shape, grad);

describe('Categorical', () => {
  const logits = [0.5, -1, 2, 0, 0, 0];
  const probs = (row: number[]): number[] => {
    const m = Math.max(...row);
    const e = row.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  };

  it('logProb and entropy match the closed forms', () => {
    const d = new Categorical(f64(logits, [2, 3]));
    const lp = d.logProb(new Tensor(Int32Array.from([2, 1]), [2])).data;
    const p0 = probs(logits.slice(0, 3));
    expect(lp[0]).toBeCloseTo(Math.log(p0[2]), 12);
    expect(lp[1]).toBeCloseTo(Math.log(1 / 3), 12);
    const h = d.entropy().data;
    expect(h[0]).toBeCloseTo(-p0.reduce((a, p) => a + p * Math.log(p), 0), 12);
    expect(h[1]).toBeCloseTo(Math.log(3), 12);
    expect(Array.from(d.mode().data)).toEqual([2, 0]);
  });

  it('has correct gradients for logProb and entropy', () => {
    const x = f64(logits, [2, 3], true);
    const a = new Tensor(Int32Array.from([2, 1]), [2]);
    expect(gradcheck((l) => new Categorical(l).logProb(a), [x]).ok).toBe(true);
    expect(gradcheck((l) => new Categorical(l).entropy(), [x]).ok).toBe(true);
  });

  it('samples with the right frequencies, deterministically per seed', () => {
    const d = new Categorical(f64(logits.slice(0, 3), [1, 3]));
    const draw = (seed: number): number[] => {
      const rng = new Generator(seed);
      return Array.from({ length: 4000 }, () => d.sample(rng).data[0]);
    };
    const a = draw(3);
    expect(draw(3)).toEqual(a);
    const p = probs(logits.slice(0, 3));
    for (let c = 0; c < 3; c++) {
      const freq = a.filter((v) => v === c).length / a.length;
      expect(Math.abs(freq - p[c])).toBeLessThan(0.03);
    }
  });

  it('rejects bad shapes', () => {
    expect(() => new Categorical(f64([1, 2], [2]))).toThrow(/logits must be \[batch, classes\]/);
    const d = new Categorical(f64(logits, [2, 3]));
    expect(() => d.logProb(new Tensor(Int32Array.from([0]), [1]))).toThrow(/int32 \[2\]/);
  });
});

describe('DiagGaussian', () => {
  const mean = [0.5, -1, 2, 0.25];
  const logStd = [-0.5, 0.3];
  const actions = [0, 0, 1.5, 1];

  it('logProb and entropy match the closed forms', () => {
    const d = new DiagGaussian(f64(mean, [2, 2]), f64(logStd, [2]));
    const lp = d.logProb(f64(actions, [2, 2])).data;
    for (let b = 0; b < 2; b++) {
      let want = 0;
      for (let k = 0; k < 2; k++) {
        const s = Math.exp(logStd[k]);
        const z = (actions[b * 2 + k] - mean[b * 2 + k]) / s;
        want += -0.5 * z * z - Math.log(s) - 0.5 * Math.log(2 * Math.PI);
      }
      expect(lp[b]).toBeCloseTo(want, 12);
    }
    const h = d.entropy();
    const want = logStd.reduce((a, l) => a + 0.5 + 0.5 * Math.log(2 * Math.PI) + l, 0);
    expect(h.shape).toEqual([2]);
    expect(h.data[0]).toBeCloseTo(want, 12);
    expect(h.data[1]).toBeCloseTo(want, 12);
    expect(Array.from(d.mode().data)).toEqual(mean);
  });

  it('has correct gradients in the mean and the log-std', () => {
    const m = f64(mean, [2, 2], true);
    const s = f64(logStd, [2], true);
    const a = f64(actions, [2, 2]);
    expect(gradcheck((mu, ls) => new DiagGaussian(mu, ls).logProb(a), [m, s]).ok).toBe(true);
    expect(gradcheck((mu, ls) => new DiagGaussian(mu, ls).entropy(), [m, s]).ok).toBe(true);
    // A per-row log-std [B, D] too.
    const s2 = f64([-0.5, 0.3, 0.1, -0.2], [2, 2], true);
    expect(gradcheck((mu, ls) => new DiagGaussian(mu, ls).logProb(a), [m, s2]).ok).toBe(true);
  });

  it('samples with the right moments', () => {
    const d = new DiagGaussian(
      new Tensor(Float32Array.from([1, -2]), [1, 2]),
      new Tensor(Float32Array.from([Math.log(0.5), 0]), [2]),
    );
    const rng = new Generator(7);
    const n = 4000;
    const sums = [0, 0];
    const sq = [0, 0];
    for (let i = 0; i < n; i++) {
      const x = d.sample(rng).data;
      for (let k = 0; k < 2; k++) {
        sums[k] += x[k];
        sq[k] += x[k] * x[k];
      }
    }
    const m = sums.map((s) => s / n);
    const sd = sq.map((s, k) => Math.sqrt(s / n - m[k] * m[k]));
    expect(m[0]).toBeCloseTo(1, 1);
    expect(m[1]).toBeCloseTo(-2, 1);
    expect(sd[0]).toBeCloseTo(0.5, 1);
    expect(sd[1]).toBeCloseTo(1, 1);
  });

  it('rejects a log-std of the wrong shape', () => {
    expect(() => new DiagGaussian(f64(mean, [2, 2]), f64([0, 0, 0], [3]))).toThrow(
      /logStd must be \[2\] or \[2, 2\]/,
    );
  });
});

describe('schedules', () => {
  it('linearSchedule goes from start to end over duration, then stays', () => {
    expect(linearSchedule(1, 0.05, 100, 0)).toBe(1);
    expect(linearSchedule(1, 0.05, 100, 50)).toBeCloseTo(0.525, 12);
    expect(linearSchedule(1, 0.05, 100, 100)).toBe(0.05);
    expect(linearSchedule(1, 0.05, 100, 1e6)).toBe(0.05);
    expect(linearSchedule(1, 0.05, 0, 0)).toBe(0.05);
    expect(() => linearSchedule(1, 0, -1, 0)).toThrow(/duration/);
  });

  it('annealedLr follows CleanRL (frac = 1 - (update - 1) / numUpdates)', () => {
    expect(annealedLr(3e-4, 1, 10)).toBeCloseTo(3e-4, 15);
    expect(annealedLr(3e-4, 10, 10)).toBeCloseTo(3e-5, 15);
    expect(linearDecay(1, 0, 25, 100)).toBe(0.75);
  });
});
