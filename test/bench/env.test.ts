import { describe, expect, it } from 'vitest';
import { runEnvCartPole, runEnvSpread } from '../../bench/env.js';

/*
 * The env benchmarks' records (what bench/python/run_env_twins.py reads): five samples per
 * clock and the keys the twin comparison needs. Shape only; timings are never asserted.
 */
describe('env benchmark records', () => {
  it('env-cartpole reports wall and CPU rates for the raw and the make() env', () => {
    const r = runEnvCartPole({ steps: 5000 });
    expect(r.unit).toBe('steps/s');
    expect(r.samples).toHaveLength(5);
    expect(r.cpuSamples).toHaveLength(5);
    expect(r.wrappedSamples).toHaveLength(5);
    for (const v of [r.median, r.cpuMedian, r.wrappedMedian, r.wrappedCpuMedian]) {
      expect(Number.isFinite(v) && v > 0).toBe(true);
    }
    expect(r.samples).toContain(r.median); // an odd count: the median is a sample
  });

  it('env-spread reports agent-steps per wall and per CPU second', () => {
    const r = runEnvSpread({ steps: 1000 });
    expect(r.unit).toBe('agent-steps/s');
    expect(r.samples).toHaveLength(5);
    expect(r.cpuSamples).toContain(r.cpuMedian);
  });
});
