import { performance } from 'node:perf_hooks';
import { Generator } from '../core/rng.js';
import type { Env } from './env.js';
// The family index registers CartPole-v1 for the wrapped variant.
import { CartPoleEnv } from './envs/classic-control/index.js';
import { make } from './registry.js';

export interface CartPoleBenchOptions {
  /**
   * true (default): a fresh observation array per step (Gymnasium semantics). false: the env
   * reuses one buffer, overwritten by the next step or reset (no allocation per step).
   */
  copyObservation?: boolean;
  /** Step the env built by make() (checker, TimeLimit, OrderEnforcing) instead of the raw env. */
  wrapped?: boolean;
  seed?: number;
}

export interface BenchResult {
  steps: number;
  seconds: number;
  stepsPerSecond: number;
  episodes: number;
  copyObservation: boolean;
  wrapped: boolean;
}

/**
 * Single-thread CartPole throughput with uniformly random actions, resetting on episode end.
 * Timing only: benchmarks live outside unit tests (STYLE: no timing thresholds in tests).
 */
export function benchCartPole(steps: number, opts: CartPoleBenchOptions = {}): BenchResult {
  const copyObservation = opts.copyObservation ?? true;
  const wrapped = opts.wrapped ?? false;
  const env: Env<Float32Array, number> = wrapped
    ? make<Float32Array, number>('CartPole-v1', { copyObservation })
    : new CartPoleEnv({ copyObservation });
  const rng = new Generator(opts.seed ?? 0);
  env.reset({ seed: opts.seed ?? 0 });
  let episodes = 1;
  // A checksum keeps the JIT from discarding the observations.
  let sink = 0;
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    const r = env.step(rng.int(2));
    sink += r.observation[0];
    if (r.terminated || r.truncated) {
      env.reset();
      episodes++;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  if (Number.isNaN(sink)) throw new Error('benchCartPole: NaN observation');
  return { steps, seconds, stepsPerSecond: steps / seconds, episodes, copyObservation, wrapped };
}
