import { benchCartPole } from '../src/rl/bench.js';
import { benchSimpleSpread } from '../src/rl/envs/mpe/bench.js';
import { median } from './harness.js';

/**
 * Environment throughput on one thread with random actions (no learning): CartPole-v1 steps/s
 * (fresh observation arrays, Gymnasium semantics) and SimpleSpread-v3 agent-steps/s through the
 * full ParallelEnv API. The peers are bench/python/env_speed.py: the real Gymnasium CartPole
 * (raw env for `median`, gymnasium.make's wrappers for `wrappedMedian`, which is what make()
 * here adds too: checker, TimeLimit, OrderEnforcing) and PettingZoo's simple_spread_v3.
 *
 * `median` is per wall-clock second. `cpuMedian` is per second of this process's CPU time: on a
 * shared machine the wall clock also counts the time other jobs held the core, the CPU clock
 * does not, so same-run ratios of CPU rates are the steadier comparison.
 */
export function runEnvCartPole(options: { steps?: number }) {
  const steps = options.steps ?? 1_000_000;
  const raw = Array.from({ length: 5 }, () => onCpu(() => benchCartPole(steps).stepsPerSecond));
  const wrapped = Array.from({ length: 5 }, () =>
    onCpu(() => benchCartPole(steps, { wrapped: true }).stepsPerSecond),
  );
  return {
    ...summary(raw, steps),
    unit: 'steps/s' as const,
    wrappedMedian: median(wrapped.map((r) => r.value)),
    wrappedSamples: wrapped.map((r) => r.value),
    wrappedCpuMedian: median(wrapped.map((r) => steps / r.cpuSeconds)),
  };
}

export function runEnvSpread(options: { steps?: number }) {
  const steps = options.steps ?? 100_000;
  const agents = 3; // benchSimpleSpread's default SimpleSpread-v3 options
  const runs = Array.from({ length: 5 }, () => onCpu(() => benchSimpleSpread(steps)));
  return { ...summary(runs, steps * agents), unit: 'agent-steps/s' as const };
}

function onCpu<T>(fn: () => T): { value: T; cpuSeconds: number } {
  const start = process.cpuUsage();
  const value = fn();
  const used = process.cpuUsage(start);
  return { value, cpuSeconds: (used.user + used.system) / 1e6 };
}

function summary(runs: { value: number; cpuSeconds: number }[], work: number) {
  const cpu = runs.map((r) => work / r.cpuSeconds);
  return {
    median: median(runs.map((r) => r.value)),
    samples: runs.map((r) => r.value),
    cpuMedian: median(cpu),
    cpuSamples: cpu,
  };
}
