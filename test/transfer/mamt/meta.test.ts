import { describe, expect, it } from 'vitest';
import { Generator } from '../../../src/core/index.js';
import {
  adapt,
  metaGradient,
  MetaParams,
  type MetaAlgorithm,
  type MetaTask,
} from '../../../src/transfer/mamt/index.js';

/** 1-D quadratic task L(θ) = h/2 (θ − t)², gradient h(θ − t); support and query alike. */
function quad(h: number, t: number): MetaTask {
  const f = (p: Float64Array) => ({
    loss: (h / 2) * (p[0] - t) ** 2,
    grad: Float64Array.of(h * (p[0] - t)),
  });
  return { support: f, query: f };
}

/** Linear regression y = a x + b on fixed x's; θ = [w, c]; loss mean (w x + c − y)². */
function regression(a: number, b: number, xs = [-1, -0.5, 0, 0.5, 1]): MetaTask {
  const f = (p: Float64Array) => {
    let loss = 0;
    const grad = new Float64Array(2);
    for (const x of xs) {
      const e = p[0] * x + p[1] - (a * x + b);
      loss += e * e;
      grad[0] += 2 * e * x;
      grad[1] += 2 * e;
    }
    const n = xs.length;
    return { loss: loss / n, grad: grad.map((g) => g / n) };
  };
  return { support: f, query: f };
}

describe('inner loop (adapt)', () => {
  it('takes K plain gradient steps', () => {
    // θ = 1, h = 2, t = 0, α = 0.1: θ ← θ − 0.2 θ = 0.8 θ per step.
    const a = adapt(Float64Array.of(1), quad(2, 0), { steps: 3, lr: 0.1 });
    expect(a.params[0]).toBeCloseTo(0.8 ** 3, 15);
    const losses = a.support.map((s) => s.loss);
    [1, 0.64, 0.8 ** 4].forEach((v, i) => expect(losses[i]).toBeCloseTo(v, 14));
  });

  it('moves only masked coordinates (ANIL head) and never mutates its input', () => {
    const theta = Float64Array.of(0, 0);
    const a = adapt(theta, regression(2, 3), { steps: 2, lr: 0.1, mask: Uint8Array.of(0, 1) });
    expect(a.params[0]).toBe(0);
    expect(a.params[1]).not.toBe(0);
    expect([...theta]).toEqual([0, 0]);
  });

  it('rejects bad settings', () => {
    expect(() => adapt(Float64Array.of(0), quad(1, 0), { steps: -1, lr: 0.1 })).toThrow(/steps/);
    expect(() => adapt(Float64Array.of(0), quad(1, 0), { steps: 1, lr: NaN })).toThrow(/lr/);
    expect(() =>
      adapt(Float64Array.of(0), quad(1, 0), { steps: 1, lr: 0.1, mask: Uint8Array.of(1, 1) }),
    ).toThrow(/mask/);
  });
});

describe('meta-gradients by hand', () => {
  const tasks = [quad(1, 0), quad(4, 1)];
  const theta = Float64Array.of(0.5);
  const alpha = 0.1;

  it('FOMAML: the query gradient at the adapted parameters, averaged', () => {
    // φ_i = θ − α h_i (θ − t_i);  g_i = h_i (φ_i − t_i).
    const g = metaGradient('fomaml', theta, tasks, { steps: 1, lr: alpha });
    const phi1 = 0.5 - 0.1 * 1 * 0.5;
    const phi2 = 0.5 - 0.1 * 4 * (0.5 - 1);
    expect(g.grad[0]).toBeCloseTo((1 * phi1 + 4 * (phi2 - 1)) / 2, 14);
  });

  it('Reptile: the mean of θ − φ_i, and SGD(ε) gives θ + ε·mean(φ − θ)', () => {
    const g = metaGradient('reptile', theta, tasks, { steps: 2, lr: alpha });
    const phi = (h: number, t: number) => {
      let p = 0.5;
      for (let k = 0; k < 2; k++) p -= alpha * h * (p - t);
      return p;
    };
    const mean = (phi(1, 0) - 0.5 + (phi(4, 1) - 0.5)) / 2;
    expect(g.grad[0]).toBeCloseTo(-mean, 14);
    const m = new MetaParams(theta, { optimizer: 'sgd', lr: 0.5 });
    m.step(g.grad);
    expect(m.values[0]).toBeCloseTo(0.5 + 0.5 * mean, 14);
  });

  it('joint: the mean support gradient at θ', () => {
    const g = metaGradient('joint', theta, tasks, { steps: 5, lr: alpha });
    expect(g.grad[0]).toBeCloseTo((1 * 0.5 + 4 * (0.5 - 1)) / 2, 14);
  });

  it('ANIL: head-only inner step, then the full query gradient', () => {
    const task = regression(2, 3);
    const g = metaGradient('anil', Float64Array.of(0, 0), [task], {
      steps: 1,
      lr: 0.1,
      mask: Uint8Array.of(0, 1),
    });
    // From (0, 0): dc = 2 mean(−(2x + 3)) = −6 -> c = 0.6, w stays 0.
    const at = task.query(Float64Array.of(0, 0.6));
    expect([...g.grad]).toEqual([...at.grad]);
    expect(() =>
      metaGradient('anil', Float64Array.of(0, 0), [task], { steps: 1, lr: 0.1 }),
    ).toThrow(/mask/);
  });

  it('refuses a non-finite meta-gradient and leaves θ unchanged', () => {
    const m = new MetaParams(Float64Array.of(1, 2), { optimizer: 'adam', lr: 0.1 });
    expect(() => m.step(Float64Array.of(NaN, 0))).toThrow(/unchanged/);
    expect([...m.values]).toEqual([1, 2]);
  });
});

describe('meta-training converges to the known optimum of each algorithm', () => {
  // Tasks (h, t) = (1, 0), (4, 1), inner α = 0.1. Stationary points (closed forms):
  //   joint:    Σ h t / Σ h                                  = 0.8
  //   FOMAML:   Σ h(1−αh) t / Σ h(1−αh)                      = 2.4 / 3.3
  //   Reptile:  Σ (1−(1−αh)^k) t / Σ (1−(1−αh)^k), k = 2     = 0.64 / 0.83
  // (second-order MAML would give Σ h(1−αh)² t / Σ h(1−αh)² = 0.64: first order is an
  // approximation with its own fixed point).
  const tasks = [quad(1, 0), quad(4, 1)];
  const cases: [MetaAlgorithm, number, number][] = [
    ['joint', 1, 0.8],
    ['fomaml', 1, 2.4 / 3.3],
    ['reptile', 2, 0.64 / 0.83],
  ];
  for (const [algo, steps, expected] of cases) {
    it(algo, () => {
      const m = new MetaParams(Float64Array.of(-3), { optimizer: 'sgd', lr: 0.2 });
      for (let i = 0; i < 2000; i++)
        m.step(metaGradient(algo, m.values, tasks, { steps, lr: 0.1 }).grad);
      expect(m.values[0]).toBeCloseTo(expected, 10);
    });
  }

  it('on linear regression all first-order methods find the mean task optimum', () => {
    // Same curvature for every task, so every fixed point is the mean of (a_i, b_i) = (0, 2).
    const family = [regression(-2, 1), regression(2, 1), regression(-2, 3), regression(2, 3)];
    for (const algo of ['fomaml', 'reptile', 'anil', 'joint'] as const) {
      const m = new MetaParams(Float64Array.of(5, -5), { optimizer: 'sgd', lr: 0.3 });
      for (let i = 0; i < 1500; i++) {
        m.step(
          metaGradient(algo, m.values, family, { steps: 2, lr: 0.1, mask: Uint8Array.of(0, 1) })
            .grad,
        );
      }
      expect(m.values[0]).toBeCloseTo(0, 6);
      expect(m.values[1]).toBeCloseTo(2, 6);
    }
  });
});

describe('fast adaptation', () => {
  it('a meta-learned init beats scratch after K steps on a held-out task', () => {
    // Family: slope in [1, 3], offset in [4, 6]; scratch starts at 0.
    const rng = new Generator(0);
    const sample = () => regression(rng.uniformRange(1, 3), rng.uniformRange(4, 6));
    for (const algo of ['fomaml', 'reptile', 'anil'] as const) {
      const m = new MetaParams(Float64Array.of(0, 0), { optimizer: 'adam', lr: 0.05 });
      for (let i = 0; i < 300; i++) {
        const batch = [sample(), sample(), sample(), sample()];
        m.step(
          metaGradient(algo, m.values, batch, { steps: 2, lr: 0.1, mask: Uint8Array.of(0, 1) })
            .grad,
        );
      }
      const target = regression(2.5, 4.2);
      const inner = { steps: 2, lr: 0.1, mask: algo === 'anil' ? Uint8Array.of(0, 1) : null };
      const meta = target.query(adapt(m.values, target, inner).params).loss;
      const scratch = target.query(adapt(Float64Array.of(0, 0), target, inner).params).loss;
      expect(meta).toBeLessThan(scratch / 10);
    }
  });
});
