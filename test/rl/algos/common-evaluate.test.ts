import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, Generator } from '../../../src/core/index.js';
import {
  EpisodeTracker,
  evaluateAgent,
  evaluateParallelAgent,
  meanStd,
  resolveHyperparams,
  type SeedableAgent,
  type TrainProgress,
} from '../../../src/rl/algos/index.js';
import { makeParallel } from '../../../src/rl/index.js';

/** Pushes the cart toward the pole's lean (a decent hand-written CartPole policy). */
function leanAgent(envId = 'CartPole-v1'): SeedableAgent & { seeds: number[] } {
  let rng = new Generator(0);
  const seeds: number[] = [];
  return {
    algo: 'test',
    envId,
    envOptions: {},
    seeds,
    seed(s: number) {
      seeds.push(s);
      rng = new Generator(s);
    },
    act(obs, options) {
      const o = obs as Float32Array;
      const greedy = o[2] + 0.5 * o[3] > 0 ? 1 : 0;
      if (options?.deterministic) return greedy;
      return rng.uniform() < 0.2 ? rng.int(2) : greedy;
    },
    save: () => Promise.resolve(),
  };
}

describe('evaluateAgent', () => {
  it('plays full episodes, seeds them, and is reproducible', () => {
    const agent = leanAgent();
    const a = evaluateAgent(agent, { episodes: 5, seed: 3, deterministic: false });
    expect(agent.seeds).toEqual([3]);
    expect(a.returns).toHaveLength(5);
    expect(a.lengths).toEqual(a.returns); // CartPole: reward 1 per step
    expect(a.meanReturn).toBeGreaterThan(50); // far above random (~22)
    expect(a.meanReturn).toBeCloseTo(meanStd(a.returns).mean, 12);
    expect(evaluateAgent(agent, { episodes: 5, seed: 3, deterministic: false })).toEqual(a);
    expect(evaluateAgent(agent, { episodes: 5, seed: 4, deterministic: false })).not.toEqual(a);
    const seen: number[] = [];
    evaluateAgent(agent, { episodes: 2, onEpisode: (i) => seen.push(i) });
    expect(seen).toEqual([0, 1]);
    expect(() => evaluateAgent(agent, { episodes: 0 })).toThrow(/episodes must be a positive/);
  });

  it('takes env option overrides', () => {
    const agent = leanAgent();
    const normal = evaluateAgent(agent, { episodes: 3 });
    const heavy = evaluateAgent(agent, { episodes: 3, envOptions: { forceMag: 1 } });
    expect(heavy.returns).not.toEqual(normal.returns);
  });

  it('meanStd is the population std', () => {
    expect(meanStd([1, 3])).toEqual({ mean: 2, std: 1 });
  });
});

describe('evaluateParallelAgent', () => {
  it('sums every agent reward into the team return', () => {
    const env = makeParallel('MultiGridWorld-v0');
    const rng = new Generator(1);
    const agent = {
      algo: 'test',
      envId: 'MultiGridWorld-v0',
      envOptions: {},
      act: (_obs: unknown, o?: { agent?: string }) => env.actionSpace(o!.agent!).sample(rng),
      save: () => Promise.resolve(),
    };
    const r = evaluateParallelAgent(agent, { episodes: 2, seed: 0 });
    expect(r.returns).toHaveLength(2);
    const perAgent = Object.values(r.agentMeanReturns).reduce((a, b) => a + b, 0);
    expect(perAgent).toBeCloseTo(r.meanReturn, 9);
    expect(Object.keys(r.agentMeanReturns)).toEqual([...env.possibleAgents]);
  });
});

describe('resolveHyperparams and EpisodeTracker', () => {
  const schema = z
    .object({ lr: z.number().positive().default(1), n: z.number().default(2) })
    .strict();
  const algo = { name: 'toy', schema, tunedDefaults: { 'CartPole-v1': { lr: 5 } } };

  it('merges schema defaults < tuned defaults < user values', () => {
    expect(resolveHyperparams(algo, 'Acrobot-v1')).toEqual({ lr: 1, n: 2 });
    expect(resolveHyperparams(algo, 'CartPole-v1')).toEqual({ lr: 5, n: 2 });
    expect(resolveHyperparams(algo, 'CartPole-v1', { lr: 7 })).toEqual({ lr: 7, n: 2 });
    expect(() => resolveHyperparams(algo, 'CartPole-v1', { lr: -1 })).toThrow(ConfigError);
    expect(() => resolveHyperparams(algo, 'CartPole-v1', { m: 1 })).toThrow(
      /unknown hyperparameter 'm' \(valid: lr, n\)/,
    );
  });

  it('reports the mean return of the episodes since the last report', () => {
    const reports: TrainProgress[] = [];
    const t = new EpisodeTracker({ totalSteps: 100, onProgress: (p) => reports.push(p) }, 10);
    t.episode(5, 10, 5);
    t.episode(8, 20, 3);
    t.progress(9);
    t.progress(10, { loss: 1 });
    t.progress(15);
    t.progress(20, undefined);
    expect(reports).toEqual([
      {
        globalStep: 10,
        totalSteps: 100,
        episodicReturn: 15,
        episodicLength: 4,
        metrics: { loss: 1 },
      },
      { globalStep: 20, totalSteps: 100 },
    ]);
    expect(t.episodes).toHaveLength(2);
  });
});
