/**
 * Throughput of SimpleSpread-v3 through the full ParallelEnv API (action validation, world step,
 * rewards, fresh observation arrays, automatic resets at truncation). Timing lives here, never
 * in unit tests; bench/ scripts call this and report the number.
 */
import { Generator } from '../../../core/rng.js';
import { ValueError } from '../../../core/errors.js';
import { SimpleSpreadEnv, type SimpleSpreadOptions } from './envs.js';

/**
 * Run `steps` parallel steps of SimpleSpread-v3 (default options: 3 agents, 25-cycle episodes)
 * with uniformly random discrete actions and return agent-steps per second (parallel steps times
 * live agents, divided by wall-clock seconds, resets included).
 */
export function benchSimpleSpread(
  steps: number,
  options: SimpleSpreadOptions = {},
  seed = 0,
): number {
  if (!Number.isInteger(steps) || steps < 1) {
    throw new ValueError(`benchSimpleSpread: steps must be a positive integer, got ${steps}`);
  }
  const env = new SimpleSpreadEnv(options);
  const rng = new Generator(seed);
  const agents = env.possibleAgents;
  const n = agents.length;
  // Actions are drawn up front so that the timed loop measures the env alone.
  const table = new Int32Array(4096 * n);
  for (let i = 0; i < table.length; i++) table[i] = rng.int(5);
  const actions: Record<string, number> = {};
  env.reset({ seed });
  let agentSteps = 0;
  const t0 = performance.now();
  for (let t = 0; t < steps; t++) {
    if (env.agents.length === 0) env.reset();
    const row = (t & 4095) * n;
    for (let i = 0; i < n; i++) actions[agents[i]] = table[row + i];
    env.step(actions);
    agentSteps += n;
  }
  const seconds = (performance.now() - t0) / 1000;
  return agentSteps / seconds;
}
