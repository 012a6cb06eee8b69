import { Generator, ValueError } from '../../../core/index.js';
import { makeParallel } from '../../registry.js';
import { meanStd } from '../common/index.js';

export interface MultiAgentEvaluation {
  /** Mean over episodes of the return summed over agents. */
  meanTeamReturn: number;
  stdTeamReturn: number;
  teamReturns: number[];
  /** Mean return per agent. */
  agentReturns: Record<string, number>;
}

export interface MultiAgentEvaluateOptions {
  episodes?: number;
  /** Episode i resets with seed + i; a sampling policy is seeded with `seed`. */
  seed?: number;
  /** Greedy / mean actions (default true). */
  deterministic?: boolean;
  envOptions?: Record<string, unknown>;
}

/** Anything that picks an action for an agent: a MarlAgent, or a random policy. */
export interface MultiAgentPolicy {
  readonly envId: string;
  readonly envOptions: Record<string, unknown>;
  seed?(seed: number): void;
  act(observation: unknown, options: { deterministic?: boolean; agent?: string }): unknown;
}

/** Play full episodes of the agent's parallel env and report team and per-agent returns. */
export function evaluateMultiAgent(
  policy: MultiAgentPolicy,
  options: MultiAgentEvaluateOptions = {},
): MultiAgentEvaluation {
  const episodes = options.episodes ?? 10;
  const seed = options.seed ?? 0;
  if (!Number.isInteger(episodes) || episodes < 1) {
    throw new ValueError(
      `evaluateMultiAgent: episodes must be a positive integer, got ${episodes}`,
    );
  }
  const deterministic = options.deterministic ?? true;
  policy.seed?.(seed);
  const env = makeParallel(policy.envId, options.envOptions ?? policy.envOptions);
  const teamReturns: number[] = [];
  const sums: Record<string, number> = {};
  try {
    for (let ep = 0; ep < episodes; ep++) {
      let { observations } = env.reset({ seed: seed + ep });
      let team = 0;
      while (env.agents.length > 0) {
        const actions: Record<string, unknown> = {};
        for (const a of env.agents)
          actions[a] = policy.act(observations[a], { deterministic, agent: a });
        const r = env.step(actions);
        for (const [a, v] of Object.entries(r.rewards)) {
          team += v;
          sums[a] = (sums[a] ?? 0) + v;
        }
        observations = r.observations;
      }
      teamReturns.push(team);
    }
  } finally {
    env.close();
  }
  const { mean, std } = meanStd(teamReturns);
  const agentReturns: Record<string, number> = {};
  for (const [a, v] of Object.entries(sums)) agentReturns[a] = v / episodes;
  return { meanTeamReturn: mean, stdTeamReturn: std, teamReturns, agentReturns };
}

/** The same evaluation for uniformly random actions: the baseline a learner must beat. */
export function randomTeamReturn(
  envId: string,
  envOptions: Record<string, unknown> = {},
  options: Omit<MultiAgentEvaluateOptions, 'deterministic' | 'envOptions'> = {},
): MultiAgentEvaluation {
  const env = makeParallel(envId, envOptions);
  const spaces = new Map(env.possibleAgents.map((a) => [a, env.actionSpace(a)]));
  env.close();
  let rng = new Generator(options.seed ?? 0);
  const policy: MultiAgentPolicy = {
    envId,
    envOptions,
    seed: (s) => (rng = new Generator(s)),
    act: (_obs, o) => spaces.get(o.agent!)!.sample(rng),
  };
  return evaluateMultiAgent(policy, { ...options, deterministic: false });
}
