import { describe, expect, it } from 'vitest';
import { main } from '../../examples/spiral-transfer.js';

describe('examples/spiral-transfer', () => {
  it('runs with a tiny budget, deterministically', () => {
    const options = { seeds: 2, sourceSteps: 20, targetSteps: 5, points: 200, quiet: true };
    const r = main(options);
    for (const way of ['scratch', 'fineTune', 'frozenBody'] as const) {
      const a = r.targetAccuracy[way];
      expect(a.perSeed).toHaveLength(2);
      for (const v of a.perSeed) expect(v).toBeGreaterThanOrEqual(0);
      for (const v of a.perSeed) expect(v).toBeLessThanOrEqual(1);
      expect(a.mean).toBeCloseTo((a.perSeed[0] + a.perSeed[1]) / 2, 12);
    }
    expect(main(options)).toEqual(r);
  });
});
