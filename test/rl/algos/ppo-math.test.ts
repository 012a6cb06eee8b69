import { describe, expect, it } from 'vitest';
import { gradcheck, tensor, Tensor } from '../../../src/core/index.js';
import { computeGae, explainedVariance } from '../../../src/rl/algos/ppo/gae.js';
import {
  clippedPolicyLoss,
  normalizeAdvantages,
  ppoLoss,
  valueLoss,
} from '../../../src/rl/algos/ppo/losses.js';

const f64 = (v: number[]): Tensor => tensor(v, [v.length], { dtype: 'float64' });

describe('computeGae', () => {
  it('matches a hand computation on one stream that continues past the rollout', () => {
    // r = [1, 2, 3], V = [0.5, 1, 1.5], V(next) = 2, gamma 0.9, lambda 0.8.
    const g = 0.9;
    const l = 0.8;
    const d2 = 3 + g * 2 - 1.5; // 3.3
    const d1 = 2 + g * 1.5 - 1; // 2.35
    const d0 = 1 + g * 1 - 0.5; // 1.4
    const a2 = d2;
    const a1 = d1 + g * l * a2;
    const a0 = d0 + g * l * a1;
    const { advantages, returns } = computeGae({
      numSteps: 3,
      numEnvs: 1,
      rewards: [1, 2, 3],
      values: [0.5, 1, 1.5],
      lastValues: [2],
      terminated: [0, 0, 0],
      truncated: [0, 0, 0],
      gamma: g,
      gaeLambda: l,
    });
    expect([...advantages]).toEqual([a0, a1, a2].map((x) => expect.closeTo(x, 12)));
    expect([...returns]).toEqual([a0 + 0.5, a1 + 1, a2 + 1.5].map((x) => expect.closeTo(x, 12)));
  });

  it('masks the future after a termination and bootstraps a truncation from V(final obs)', () => {
    // Two streams, 3 steps, gamma 0.5, lambda 1 (so A is the discounted sum of deltas).
    // Stream 0: terminates at t=1; t=2 is the autoreset row (invalid).
    // Stream 1: truncated at t=0 with V(final) = 10; t=1 invalid; t=2 a new episode.
    const { advantages, returns } = computeGae({
      numSteps: 3,
      numEnvs: 2,
      rewards: [1, 5, 2, 0, 7, 4],
      values: [1, 2, 3, 10, 0.5, 6],
      lastValues: [100, 8],
      terminated: [0, 0, 1, 0, 0, 0],
      truncated: [0, 1, 0, 0, 0, 0],
      bootstrapValues: [0, 10, 0, 0, 0, 0],
      valid: [1, 1, 1, 0, 0, 1],
      gamma: 0.5,
      gaeLambda: 1,
    });
    // Stream 0: t=1 terminal: A = 2 - 3 = -1 (V(next) = 100 never used); t=0: delta 1 + 0.5*3 - 1
    // = 1.5, plus 0.5 * -1.
    expect(advantages[2]).toBeCloseTo(-1, 12);
    expect(advantages[0]).toBeCloseTo(1.5 - 0.5, 12);
    // Stream 1: t=0 truncated: A = 5 + 0.5 * 10 - 2 = 8, nothing carried from t=1 or t=2.
    expect(advantages[1]).toBeCloseTo(8, 12);
    // t=1 invalid: A = 0, returns = V.
    expect(advantages[3]).toBe(0);
    expect(returns[3]).toBe(10);
    // t=2 stream 1 continues past the rollout: A = 4 + 0.5 * 8 - 6 = 2.
    expect(advantages[5]).toBeCloseTo(2, 12);
    // Stream 0 t=2 is invalid even though its reward is 7.
    expect(advantages[4]).toBe(0);
  });

  it('treats truncation as termination when the caller marks it terminated (CleanRL)', () => {
    const { advantages } = computeGae({
      numSteps: 1,
      numEnvs: 1,
      rewards: [1],
      values: [3],
      lastValues: [50],
      terminated: [1],
      truncated: [1],
      bootstrapValues: [50],
      gamma: 0.99,
      gaeLambda: 0.95,
    });
    expect(advantages[0]).toBeCloseTo(-2, 12);
  });

  it('rejects mismatched lengths and a truncation without bootstrap values', () => {
    const base = {
      numSteps: 2,
      numEnvs: 1,
      rewards: [0, 0],
      values: [0, 0],
      lastValues: [0],
      terminated: [0, 0],
      truncated: [0, 0],
      gamma: 0.9,
      gaeLambda: 0.9,
    };
    expect(() => computeGae({ ...base, rewards: [0] })).toThrow(/rewards has 1 entries/);
    expect(() => computeGae({ ...base, truncated: [1, 0] })).toThrow(/bootstrapValues/);
    expect(() => computeGae({ ...base, gamma: 1.5 })).toThrow(/gamma/);
  });

  it('explained variance is 1 for perfect values and 0 for constant ones', () => {
    expect(explainedVariance([1, 2, 3], [1, 2, 3])).toBeCloseTo(1, 12);
    expect(explainedVariance([5, 5, 5], [1, 2, 3])).toBeCloseTo(0, 12);
  });
});

describe('clippedPolicyLoss', () => {
  // Ratios e^0.5 = 1.6487 (clipped to 1.2) and e^-0.5 = 0.6065 (clipped to 0.8).
  const newLp = [0.5, -0.5, 0.5, -0.5, 0.1];
  const oldLp = [0, 0, 0, 0, 0];
  const adv = [1, 1, -1, -1, 2];
  const r = newLp.map(Math.exp);

  it('takes the pessimistic (clipped) term on hand cases', () => {
    const { loss, clipFraction, approxKl, oldApproxKl } = clippedPolicyLoss(
      f64(newLp),
      f64(oldLp),
      f64(adv),
      0.2,
    );
    // max(-A r, -A clip(r)) per row:
    const rows = [
      Math.max(-1 * r[0], -1 * 1.2), // A>0, r above the range: clipped -1.2
      Math.max(-1 * r[1], -1 * 0.8), // A>0, r below: unclipped -0.6065
      Math.max(1 * r[2], 1 * 1.2), // A<0, r above: unclipped 1.6487
      Math.max(1 * r[3], 1 * 0.8), // A<0, r below: clipped 0.8
      -2 * r[4], // inside the range
    ];
    expect(rows[0]).toBe(-1.2);
    expect(rows[3]).toBe(0.8);
    expect(loss.item()).toBeCloseTo(rows.reduce((a, b) => a + b) / 5, 12);
    expect(clipFraction).toBeCloseTo(4 / 5, 12);
    const kl = r.map((x, i) => x - 1 - newLp[i]).reduce((a, b) => a + b) / 5;
    expect(approxKl).toBeCloseTo(kl, 12);
    expect(oldApproxKl).toBeCloseTo(-newLp.reduce((a, b) => a + b) / 5, 12);
  });

  it('gives no gradient where the clipped term is taken, -A r / n elsewhere', () => {
    const lp = tensor(newLp, [5], { dtype: 'float64', requiresGrad: true });
    clippedPolicyLoss(lp, f64(oldLp), f64(adv), 0.2).loss.backward();
    const g = [...lp.grad!.data];
    expect(g[0]).toBe(0);
    expect(g[3]).toBe(0);
    expect(g[1]).toBeCloseTo((-1 * r[1]) / 5, 12);
    expect(g[2]).toBeCloseTo((1 * r[2]) / 5, 12);
    expect(g[4]).toBeCloseTo((-2 * r[4]) / 5, 12);
  });

  it('passes a gradient check inside the trust region', () => {
    const res = gradcheck(
      (x) => clippedPolicyLoss(x, f64([0, 0, 0]), f64([1, -2, 0.5]), 0.2).loss,
      [tensor([0.05, -0.03, 0.1], [3], { dtype: 'float64', requiresGrad: true })],
    );
    expect(res.ok).toBe(true);
  });
});

describe('valueLoss', () => {
  const oldV = [0, 0, 0, 1];
  const ret = [1, -1, 0.1, 1];
  const newV = [0.5, 0.5, -0.5, 1.1];

  it('is 0.5 * MSE without clipping', () => {
    const l = valueLoss(f64(newV), f64(oldV), f64(ret), null).item();
    const mse = newV.map((v, i) => (v - ret[i]) ** 2).reduce((a, b) => a + b) / 4;
    expect(l).toBeCloseTo(0.5 * mse, 12);
  });

  it('takes the larger of the clipped and unclipped errors', () => {
    // Row 0: V moves 0.5 toward R=1; clipped V = 0.2 -> err 0.8^2 = 0.64 > 0.25.
    // Row 1: V moves 0.5 away from R=-1; clipped V = 0.2 -> 1.44 < 2.25 (unclipped wins).
    // Row 2: V moves -0.5; clipped -0.2 -> (0.3)^2 = 0.09 < 0.36.
    // Row 3: inside the range: both 0.01.
    const rows = [0.64, 2.25, 0.36, 0.01];
    const l = valueLoss(f64(newV), f64(oldV), f64(ret), 0.2).item();
    expect(l).toBeCloseTo((0.5 * rows.reduce((a, b) => a + b)) / 4, 12);
  });

  it('stops the gradient of a row whose clipped error is larger', () => {
    const v = tensor(newV, [4], { dtype: 'float64', requiresGrad: true });
    valueLoss(v, f64(oldV), f64(ret), 0.2).backward();
    const g = [...v.grad!.data];
    expect(g[0]).toBe(0); // the clipped branch does not depend on V beyond the clip
    expect(g[1]).toBeCloseTo((0.5 * 2 * (0.5 - -1)) / 4, 12);
    expect(g[2]).toBeCloseTo((0.5 * 2 * (-0.5 - 0.1)) / 4, 12);
    // Row 3: tie between the branches: the full gradient, split half and half.
    expect(g[3]).toBeCloseTo((0.5 * 2 * 0.1) / 4, 10);
  });
});

describe('advantage normalisation and the total loss', () => {
  it('normalises with the unbiased std as torch', () => {
    const out = normalizeAdvantages(Float64Array.from([1, 2, 3, 4]));
    const std = Math.sqrt(5 / 3);
    expect([...out]).toEqual([-1.5, -0.5, 0.5, 1.5].map((x) => expect.closeTo(x / std, 6)));
    expect([...normalizeAdvantages(Float64Array.from([3]))]).toEqual([0]);
  });

  it('combines pg - ent * H + vf * V', () => {
    const pl = clippedPolicyLoss(f64([0, 0]), f64([0, 0]), f64([1, 3]), 0.2);
    const v = valueLoss(f64([0, 0]), f64([0, 0]), f64([2, 2]), null);
    const t = ppoLoss(pl, v, f64([1, 0.5]), 0.01, 0.5);
    expect(t.total.item()).toBeCloseTo(-2 - 0.01 * 0.75 + 0.5 * 2, 12);
  });
});
