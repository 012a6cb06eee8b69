import { describe, expect, it } from 'vitest';
import { benchCartPole } from '../../src/rl/index.js';

// Smoke test only: timing thresholds do not belong in unit tests (STYLE.md).
describe('benchCartPole', () => {
  it('runs raw and wrapped, with fresh and reused observations', () => {
    for (const wrapped of [false, true]) {
      for (const copyObservation of [false, true]) {
        const r = benchCartPole(20_000, { wrapped, copyObservation, seed: 1 });
        expect(r.steps).toBe(20_000);
        expect(r.stepsPerSecond).toBeGreaterThan(0);
        expect(r.episodes).toBeGreaterThan(100);
      }
    }
    // Same seed, same episodes, whichever observation mode.
    expect(benchCartPole(5000, { seed: 2 }).episodes).toBe(
      benchCartPole(5000, { seed: 2, copyObservation: false }).episodes,
    );
  });
});
