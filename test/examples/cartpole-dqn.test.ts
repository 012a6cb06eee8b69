import { describe, expect, it } from 'vitest';
import { main } from '../../examples/cartpole-dqn.js';

describe('examples/cartpole-dqn', () => {
  it('runs with a tiny budget (one burst of 128 gradient steps)', async () => {
    const result = await main({ totalSteps: 1100, quiet: true, evalEpisodes: 2 });
    expect(result.totalSteps).toBe(1100);
    expect(result.episodes).toBeGreaterThan(10);
    expect(Number.isFinite(result.evalMeanReturn)).toBe(true);
    expect(result.evalMeanReturn).toBeGreaterThanOrEqual(8);
  });
});
