import { benchCartPole } from '../src/rl/bench.js';
import { benchSimpleSpread } from '../src/rl/envs/mpe/bench.js';
import { median } from './harness.js';

/**
 * Environment throughput on one thread with random actions (no learning): CartPole-v1 steps/s
 * (fresh observation arrays, Gymnasium semantics) and SimpleSpread-v3 agent-steps/s through the
 * full ParallelEnv API. bench/python/env_speed.py is the same loop in Python with the same
 * dynamics.
 */
export function runEnvCartPole(options: { steps?: number }) {
  const runs = Array.from(
    { length: 5 },
    () => benchCartPole(options.steps ?? 1_000_000).stepsPerSecond,
  );
  return { median: median(runs), unit: 'steps/s' as const, samples: runs };
}

export function runEnvSpread(options: { steps?: number }) {
  const runs = Array.from({ length: 5 }, () => benchSimpleSpread(options.steps ?? 100_000));
  return { median: median(runs), unit: 'agent-steps/s' as const, samples: runs };
}
