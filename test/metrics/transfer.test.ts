import { describe, expect, it } from 'vitest';
import { ValueError } from '../../src/core/errors.js';
import { curveBand, transferMetrics, type SeedCurve } from '../../src/metrics/transfer.js';

const T975_2 = 4.302652729749464; // t quantile, 3 seeds

// Scratch: the same curve on every seed, sampled at steps 0, 50, 100.
const scratch: SeedCurve[] = [0, 1, 2].map((seed) => ({
  seed,
  curve: { steps: [0, 50, 100], values: [0, 5, 10] },
}));
// Transfer: observed only at 0 and 100, so the grid point 50 is interpolated.
const transfer: SeedCurve[] = [
  { seed: 0, curve: { steps: [0, 100], values: [2, 10] } }, // grid values 2, 6, 10
  { seed: 1, curve: { steps: [0, 100], values: [4, 12] } }, // 4, 8, 12
  { seed: 2, curve: { steps: [0, 100], values: [0, 10] } }, // 0, 5, 10
];

describe('transferMetrics (hand-computed)', () => {
  const m = transferMetrics(transfer, scratch, { gridPoints: 3, window: 1, threshold: 7 });

  it('grid covers the shared steps', () => {
    expect(m.seeds).toEqual([0, 1, 2]);
    expect(m.grid).toEqual({ start: 0, end: 100, points: 3 });
  });

  it('jumpstart: initial differences 2, 4, 0', () => {
    expect(m.perSeed.map((p) => p.jumpstart)).toEqual([2, 4, 0]);
    expect(m.jumpstart.mean).toBe(2);
    const half = T975_2 * (2 / Math.sqrt(3)); // sample std of [2, 4, 0] is 2
    expect(m.jumpstart.lower).toBeCloseTo(2 - half, 9);
    expect(m.jumpstart.upper).toBeCloseTo(2 + half, 9);
  });

  it('asymptotic: final differences 0, 2, 0', () => {
    expect(m.perSeed.map((p) => p.asymptotic)).toEqual([0, 2, 0]);
    expect(m.asymptotic.mean).toBeCloseTo(2 / 3, 12);
  });

  it('AUC ratio with interpolation: areas 600, 800, 500 against 500', () => {
    // Scratch: (0+5)/2·50 + (5+10)/2·50 = 500. Transfer seed 0: (2+6)/2·50 + (6+10)/2·50 = 600.
    expect(m.perSeed.map((p) => p.aucScratch)).toEqual([500, 500, 500]);
    expect(m.perSeed.map((p) => p.aucTransfer)).toEqual([600, 800, 500]);
    expect(m.perSeed.map((p) => p.aucRatio)).toEqual([0.2, 0.6, 0]);
    expect(m.aucRatio!.mean).toBeCloseTo(0.8 / 3, 12);
    const std = Math.sqrt(((0.2 - 0.8 / 3) ** 2 + (0.6 - 0.8 / 3) ** 2 + (0.8 / 3) ** 2) / 2);
    expect(m.aucRatio!.upper! - m.aucRatio!.mean).toBeCloseTo((T975_2 * std) / Math.sqrt(3), 9);
  });

  it('time to threshold 7: crossings interpolated, ratio to scratch', () => {
    // Scratch crosses 7 between (50, 5) and (100, 10): at 70. Transfer seed 0: 100·(7-2)/8.
    const tt = m.timeToThreshold!;
    expect(m.perSeed.map((p) => p.ttScratch)).toEqual([70, 70, 70]);
    expect(m.perSeed.map((p) => p.ttTransfer)).toEqual([62.5, 37.5, 70]);
    expect(tt.ratio!.mean).toBeCloseTo((62.5 / 70 + 37.5 / 70 + 1) / 3, 12);
    expect(tt.outcomes).toEqual({ both: 3, transferOnly: 0, scratchOnly: 0, neither: 0 });
  });

  it('no negative transfer here', () => {
    expect(m.negativeTransfer).toBe(false);
    expect(m.warnings.filter((w) => w.kind === 'negative-transfer')).toEqual([]);
  });

  it('window > 1 averages the last grid points', () => {
    const w = transferMetrics(transfer, scratch, { gridPoints: 3, window: 2 });
    // Seed 1: mean(8, 12) - mean(5, 10) = 2.5
    expect(w.perSeed[1].asymptotic).toBe(2.5);
  });
});

describe('time to threshold never reached', () => {
  it('is censored at the curve end by default: the last step counts as the time', () => {
    const m = transferMetrics(transfer, scratch, { gridPoints: 3, threshold: 11, window: 1 });
    const tt = m.timeToThreshold!;
    expect(m.perSeed.map((p) => p.ttTransfer)).toEqual([null, 87.5, null]);
    expect(m.perSeed.map((p) => p.ttScratch)).toEqual([null, null, null]);
    expect(tt.outcomes).toEqual({ both: 0, transferOnly: 1, scratchOnly: 0, neither: 2 });
    expect(tt.neverReached).toEqual({ transfer: [0, 2], scratch: [0, 1, 2] });
    expect(tt.budget).toEqual({ transfer: null, scratch: null });
    // Every curve ends at step 100: times 100, 87.5, 100 against 100, 100, 100.
    expect(tt.transfer.mean).toBeCloseTo(287.5 / 3, 12);
    expect(tt.scratch).toMatchObject({ mean: 100, n: 3 });
    expect(tt.ratio!.mean).toBeCloseTo((1 + 0.875 + 1) / 3, 12);
    expect(tt.ratio!.n).toBe(3);
    const notes = m.warnings.filter((w) => w.kind === 'threshold').map((w) => w.message);
    expect(notes.join('\n')).toMatch(/neither agent reached the threshold 11 on 2 seed\(s\)/);
    expect(notes.join('\n')).toMatch(
      /scratch never reached the threshold 11 on 1 seed\(s\) where transfer did \(seeds 1\)/,
    );
  });

  it('counts the given budget for a seed that never got there, not drops the pair', () => {
    // Scratch seed 1 never reaches 7; with a budget of 200 it counts 200, so its ratio is 70/200.
    const slow: SeedCurve[] = [
      scratch[0],
      { seed: 1, curve: { steps: [0, 50, 100], values: [0, 3, 6] } },
      scratch[2],
    ];
    const same = transfer.map((c) => ({ ...c, curve: scratch[0].curve }));
    const m = transferMetrics(same, slow, {
      gridPoints: 3,
      window: 1,
      threshold: 7,
      budget: { transfer: 200, scratch: 200 },
    });
    const tt = m.timeToThreshold!;
    expect(tt.neverReached).toEqual({ transfer: [], scratch: [1] });
    expect(tt.outcomes).toEqual({ both: 2, transferOnly: 1, scratchOnly: 0, neither: 0 });
    expect(tt.scratch.mean).toBeCloseTo((70 + 200 + 70) / 3, 12);
    expect(tt.ratio!.mean).toBeCloseTo((1 + 70 / 200 + 1) / 3, 12);
    expect(tt.ratio!.n).toBe(3);
    expect(tt.budget).toEqual({ transfer: 200, scratch: 200 });
  });

  it('flags seeds where only scratch got there; transfer counts its budget there', () => {
    const m = transferMetrics(
      [{ seed: 0, curve: { steps: [0, 100], values: [0, 5] } }],
      [{ seed: 0, curve: { steps: [0, 100], values: [0, 10] } }],
      { gridPoints: 3, threshold: 8, window: 1, budget: { transfer: 120 } },
    );
    expect(m.timeToThreshold!.outcomes.scratchOnly).toBe(1);
    expect(m.timeToThreshold!.ratio!.mean).toBeCloseTo(120 / 80, 12);
    expect(m.warnings.map((w) => w.message).join('\n')).toMatch(
      /transfer never reached the threshold 8 on 1 seed\(s\) where scratch did \(seeds 0\)/,
    );
  });

  it('rejects a budget that is not positive, or that a reached time exceeds', () => {
    const run = (budget: { transfer?: number; scratch?: number }): unknown =>
      transferMetrics(transfer, scratch, { gridPoints: 3, window: 1, threshold: 7, budget });
    expect(() => run({ scratch: 0 })).toThrow(ValueError);
    expect(() => run({ transfer: Number.NaN })).toThrow(/budget.transfer must be a positive/);
    expect(() => run({ scratch: 60 })).toThrow(
      /scratch seed 0 reached the threshold at step 70, after its budget 60/,
    );
  });
});

describe('negative transfer', () => {
  const worse: SeedCurve[] = [0, 1, 2, 3].map((seed) => ({
    seed,
    curve: { steps: [0, 50, 100], values: [-1 - 0.1 * seed, 2 + 0.2 * seed, 6 - 0.1 * seed] },
  }));
  const base: SeedCurve[] = [0, 1, 2, 3].map((seed) => ({
    seed,
    curve: { steps: [0, 50, 100], values: [0, 5 + 0.1 * seed, 10] },
  }));

  it('is flagged when the AUC ratio and asymptotic CIs lie below 0', () => {
    const m = transferMetrics(worse, base, { gridPoints: 3, window: 1 });
    expect(m.aucRatio!.upper!).toBeLessThan(0);
    expect(m.asymptotic.upper!).toBeLessThan(0);
    expect(m.negativeTransfer).toBe(true);
    const messages = m.warnings.filter((w) => w.kind === 'negative-transfer').map((w) => w.message);
    expect(messages).toHaveLength(2);
    expect(messages[0]).toMatch(
      /^negative transfer: area under the curve ratio .* lies entirely below 0/,
    );
    expect(messages[1]).toMatch(/asymptotic performance difference/);
    expect(m.warnings.some((w) => w.kind === 'negative-jumpstart')).toBe(true);
  });

  it('is not flagged when the interval straddles 0', () => {
    const mixed = worse.map((w, i) =>
      i % 2 === 0 ? w : { seed: w.seed, curve: { steps: [0, 50, 100], values: [1, 8, 12] } },
    );
    const m = transferMetrics(mixed, base, { gridPoints: 3, window: 1 });
    expect(m.aucRatio!.lower!).toBeLessThan(0);
    expect(m.aucRatio!.upper!).toBeGreaterThan(0);
    expect(m.negativeTransfer).toBe(false);
  });

  it('is never flagged from a single seed (no interval)', () => {
    const m = transferMetrics(worse.slice(0, 1), base.slice(0, 1), { gridPoints: 3, window: 1 });
    expect(m.negativeTransfer).toBe(false);
    expect(m.warnings.some((w) => w.kind === 'few-seeds')).toBe(true);
  });

  it('bootstrap intervals are seeded and also flag it', () => {
    const opts = {
      gridPoints: 3,
      window: 1,
      ci: { method: 'bootstrap' as const, seed: 5, resamples: 400 },
    };
    const a = transferMetrics(worse, base, opts);
    const b = transferMetrics(worse, base, opts);
    expect(a).toEqual(b);
    expect(a.aucRatio!.method).toBe('bootstrap');
    expect(a.negativeTransfer).toBe(true);
  });
});

describe('pairing and validation', () => {
  it('pairs by seed and reports unpaired seeds', () => {
    const m = transferMetrics(transfer, scratch.slice(0, 2), { gridPoints: 3, window: 1 });
    expect(m.seeds).toEqual([0, 1]);
    expect(m.warnings.find((w) => w.kind === 'unpaired')!.message).toMatch(/transfer only \[2\]/);
  });

  it('smoothing is applied before the metrics', () => {
    const s = transferMetrics(transfer, scratch, {
      gridPoints: 3,
      window: 1,
      smoothing: { kind: 'moving-average', window: 2 },
    });
    // Scratch smoothed: [0, 2.5, 7.5]; transfer seed 0 smoothed: [2, 6] at steps 0, 100.
    expect(s.perSeed[0].aucScratch).toBe(((0 + 2.5) / 2) * 50 + ((2.5 + 7.5) / 2) * 50);
  });

  it('rejects duplicate seeds, bad curves and windows', () => {
    expect(() => transferMetrics([...transfer, transfer[0]], scratch)).toThrow(/seed 0 twice/);
    expect(() =>
      transferMetrics([{ seed: 0, curve: { steps: [1, 1], values: [0, 0] } }], scratch),
    ).toThrow(ValueError);
    expect(() => transferMetrics(transfer, scratch, { gridPoints: 3, window: 4 })).toThrow(
      /window/,
    );
  });

  it('a zero scratch area gives no ratio and a note', () => {
    const zero = [0, 1].map((seed) => ({ seed, curve: { steps: [0, 10], values: [-1, 1] } }));
    const m = transferMetrics(transfer.slice(0, 2), zero, { gridPoints: 3, window: 1 });
    expect(m.aucRatio).toBeNull();
    expect(m.warnings.some((w) => w.kind === 'auc')).toBe(true);
  });
});

describe('curveBand', () => {
  it('mean and t band per grid point', () => {
    const b = curveBand(
      [
        { steps: [0, 10], values: [0, 10] },
        { steps: [0, 10], values: [2, 12] },
      ],
      [0, 5, 10],
    );
    expect(b.mean).toEqual([1, 6, 11]);
    const half = 12.706204736174698 * (Math.SQRT2 / Math.SQRT2);
    expect(b.upper[0]! - 1).toBeCloseTo(half, 6);
  });
});
