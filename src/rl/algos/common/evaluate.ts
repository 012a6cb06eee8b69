import { ValueError } from '../../../core/index.js';
import { make, makeParallel } from '../../registry.js';
import type { Agent } from '../types.js';
import { flattenObservation } from './networks.js';

/** An agent whose own sampling generator can be reseeded, so stochastic evaluation repeats. */
export interface SeedableAgent extends Agent {
  seed(seed: number): void;
}

export function isSeedable(agent: Agent): agent is SeedableAgent {
  return typeof (agent as Partial<SeedableAgent>).seed === 'function';
}

export interface EvaluateOptions {
  episodes?: number;
  /** Episode i is reset with seed + i; the agent (if seedable) is seeded with `seed`. */
  seed?: number;
  /** Greedy / mean actions (default true, as SB3's evaluate_policy). */
  deterministic?: boolean;
  /** Override the agent's env options (e.g. a harder variant for transfer tests). */
  envOptions?: Record<string, unknown>;
  /** Called after each episode. */
  onEpisode?: (episode: number, episodicReturn: number, length: number) => void;
}

export interface EvaluationResult {
  meanReturn: number;
  stdReturn: number;
  returns: number[];
  lengths: number[];
}

/**
 * Run a single-agent `agent` for `episodes` full episodes in a fresh env (with its registered
 * TimeLimit) and report the undiscounted returns. Population std, as numpy's default.
 */
export function evaluateAgent(agent: Agent, options: EvaluateOptions = {}): EvaluationResult {
  const episodes = options.episodes ?? 10;
  const seed = options.seed ?? 0;
  if (!Number.isInteger(episodes) || episodes < 1) {
    throw new ValueError(`evaluateAgent: episodes must be a positive integer, got ${episodes}`);
  }
  const deterministic = options.deterministic ?? true;
  if (isSeedable(agent)) agent.seed(seed);
  const env = make(agent.envId, options.envOptions ?? agent.envOptions);
  const returns: number[] = [];
  const lengths: number[] = [];
  try {
    for (let ep = 0; ep < episodes; ep++) {
      let { observation } = env.reset({ seed: seed + ep });
      let total = 0;
      let length = 0;
      for (;;) {
        const obs = flattenObservation(env.observationSpace, observation);
        const action = agent.act(obs, { deterministic });
        const r = env.step(action);
        total += r.reward;
        length += 1;
        observation = r.observation;
        if (r.terminated || r.truncated) break;
      }
      returns.push(total);
      lengths.push(length);
      options.onEpisode?.(ep, total, length);
    }
  } finally {
    env.close();
  }
  const { mean, std } = meanStd(returns);
  return { meanReturn: mean, stdReturn: std, returns, lengths };
}

export interface ParallelEvaluationResult extends EvaluationResult {
  /** Mean return of each agent over the episodes. */
  agentMeanReturns: Record<string, number>;
}

/**
 * Evaluate a multi-agent `agent` in its PettingZoo-style parallel env: every live agent acts
 * through `agent.act(obs, {agent: id, deterministic})` with its flattened observation. An
 * episode's return is the sum of all agents' rewards (the team return); per-agent means are
 * reported beside it. Lengths count env steps.
 */
export function evaluateParallelAgent(
  agent: Agent,
  options: EvaluateOptions = {},
): ParallelEvaluationResult {
  const episodes = options.episodes ?? 10;
  const seed = options.seed ?? 0;
  if (!Number.isInteger(episodes) || episodes < 1) {
    throw new ValueError(
      `evaluateParallelAgent: episodes must be a positive integer, got ${episodes}`,
    );
  }
  const deterministic = options.deterministic ?? true;
  if (isSeedable(agent)) agent.seed(seed);
  const env = makeParallel(agent.envId, options.envOptions ?? agent.envOptions);
  const returns: number[] = [];
  const lengths: number[] = [];
  const perAgent: Record<string, number> = {};
  for (const a of env.possibleAgents) perAgent[a] = 0;
  try {
    for (let ep = 0; ep < episodes; ep++) {
      let { observations } = env.reset({ seed: seed + ep });
      let total = 0;
      let length = 0;
      while (env.agents.length > 0) {
        const actions: Record<string, unknown> = {};
        for (const id of env.agents) {
          const obs = flattenObservation(env.observationSpace(id), observations[id]);
          actions[id] = agent.act(obs, { deterministic, agent: id });
        }
        const r = env.step(actions);
        for (const [id, rew] of Object.entries(r.rewards)) {
          total += rew;
          perAgent[id] = (perAgent[id] ?? 0) + rew;
        }
        length += 1;
        observations = r.observations;
      }
      returns.push(total);
      lengths.push(length);
      options.onEpisode?.(ep, total, length);
    }
  } finally {
    env.close();
  }
  const agentMeanReturns: Record<string, number> = {};
  for (const [id, sum] of Object.entries(perAgent)) agentMeanReturns[id] = sum / episodes;
  const { mean, std } = meanStd(returns);
  return { meanReturn: mean, stdReturn: std, returns, lengths, agentMeanReturns };
}

export function meanStd(values: readonly number[]): { mean: number; std: number } {
  if (values.length === 0) return { mean: NaN, std: NaN };
  let s = 0;
  for (const v of values) s += v;
  const mean = s / values.length;
  let ss = 0;
  for (const v of values) ss += (v - mean) * (v - mean);
  return { mean, std: Math.sqrt(ss / values.length) };
}
