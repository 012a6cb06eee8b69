import { describe, expect, it } from 'vitest';
import { runGenerate } from '../../bench/generate.js';

/* The generate record on a tiny model; timings are never asserted. */
describe('generate benchmark', () => {
  it('reports cached and uncached rates over runs that make every new token', () => {
    const r = runGenerate({
      steps: 3,
      warmup: 0,
      model: { vocab_size: 30, n_positions: 16, n_embd: 8, n_layer: 1, n_head: 2, n_inner: 16 },
      promptTokens: 4,
      newTokens: 6,
    });
    expect(r.unit).toBe('tokens/s');
    expect(r.samples).toHaveLength(3);
    expect(r.noCacheSamples).toHaveLength(3);
    expect(r.samples).toContain(r.median); // an odd count: the median is a sample
    expect(r.median).toBeCloseTo(6 / (r.cachedMs / 1000), 9);
    expect(r.sameTokens).toBe(true);
  });
});
