import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/core/index.js';
import { DEFAULT_EVAL_SEED, evaluateAgent } from '../../../src/rl/algos/common/index.js';
import { runDQN } from '../../../src/rl/algos/dqn.js';
import { DQNAgent, loadDQN, trainDQN } from '../../../src/rl/algos/index.js';
import { Env, register, unregister } from '../../../src/rl/index.js';
import { Box, Discrete } from '../../../src/rl/spaces/index.js';

/** Observation [0] forever, reward 1 per step; never terminates, truncated by TimeLimit at 3. */
class ForeverEnv extends Env<Float32Array, number> {
  readonly observationSpace = new Box(-1, 1, [1]);
  readonly actionSpace = new Discrete(2);
  reset(args?: { seed?: number }) {
    this.seedReset(args);
    return { observation: new Float32Array(1), info: {} };
  }
  step(_action?: number) {
    return {
      observation: new Float32Array(1),
      reward: 1,
      terminated: false,
      truncated: false,
      info: {},
    };
  }
}

/** ForeverEnv that records every action it is given (in `actionLog`). */
const actionLog: number[] = [];
class RecordingEnv extends ForeverEnv {
  override step(action: number) {
    actionLog.push(action);
    return super.step();
  }
}

beforeAll(() => {
  register({ id: 'test-dqn/Forever-v0', entryPoint: () => new ForeverEnv(), maxEpisodeSteps: 3 });
  register({ id: 'test-dqn/Recording-v0', entryPoint: () => new RecordingEnv() });
});
afterAll(() => {
  unregister('test-dqn/Forever-v0');
  unregister('test-dqn/Recording-v0');
});

describe('DQN', () => {
  // Measured: ~10 s of CPU (12k steps, ~2.8k gradient steps of batch 64); eval mean ~139.
  it('learns CartPole-v1 to a mean eval return > 100 within 12k steps (seed 1)', async () => {
    const { agent, episodes } = await trainDQN({
      envId: 'CartPole-v1',
      seed: 1,
      totalSteps: 12_000,
      hyperparams: { hidden: [64, 64], trainFrequency: 128, gradientSteps: 32 },
    });
    expect(agent).toBeInstanceOf(DQNAgent);
    const ev = evaluateAgent(agent, { episodes: 20, seed: 1000 });
    expect(ev.meanReturn).toBeGreaterThan(100);
    // Training got better too: the last 10 episodes beat the first 10 (random) ones.
    const mean = (xs: { episodicReturn: number }[]) =>
      xs.reduce((a, e) => a + e.episodicReturn, 0) / xs.length;
    expect(mean(episodes.slice(-10))).toBeGreaterThan(2 * mean(episodes.slice(0, 10)));
  });

  it('gives an identical training curve for the same seed, a different one for another', async () => {
    const run = (seed: number) =>
      trainDQN({
        envId: 'CartPole-v1',
        seed,
        totalSteps: 2500,
        hyperparams: {
          hidden: [16, 16],
          learningStarts: 500,
          trainFrequency: 50,
          gradientSteps: 8,
          batchSize: 32,
          explorationFraction: 0.3,
          targetUpdateInterval: 100,
        },
      });
    const a = await run(5);
    const b = await run(5);
    const c = await run(6);
    const curve = (r: typeof a) => r.episodes.map((e) => [e.globalStep, e.episodicReturn]);
    expect(a.episodes.length).toBeGreaterThan(20);
    expect(curve(b)).toEqual(curve(a));
    expect(curve(c)).not.toEqual(curve(a));
    const obs = Float32Array.from([0.01, -0.02, 0.03, 0.04]);
    expect(Array.from(b.agent.qValues(obs))).toEqual(Array.from(a.agent.qValues(obs)));
  });

  it('bootstraps through time-limit truncations (stores terminated, not done)', async () => {
    // Q = 1 + gamma Q = 2 for gamma 0.5 only if truncation at step 3 bootstraps; treating it as
    // terminal would pull the (state-independent) estimate below 2 (to about 1.6).
    for (const doubleDqn of [false, true]) {
      const { agent } = await trainDQN({
        envId: 'test-dqn/Forever-v0',
        seed: 0,
        totalSteps: 1500,
        hyperparams: {
          gamma: 0.5,
          hidden: [8],
          learningStarts: 50,
          trainFrequency: 1,
          batchSize: 32,
          learningRate: 1e-2,
          targetUpdateInterval: 20,
          tau: doubleDqn ? 0.5 : 1,
          doubleDqn,
          loss: doubleDqn ? 'huber' : 'mse',
          maxGradNorm: doubleDqn ? 10 : null,
        },
      });
      const q = agent.qValues([0]);
      expect(q[0]).toBeCloseTo(2, 1);
      expect(q[1]).toBeCloseTo(2, 1);
    }
  });

  it('counts steps as SB3: random warm-up, then a training round every trainFrequency steps', async () => {
    // Epsilon 0 throughout: after the warm-up every action is the (constant) greedy one, while
    // the first learningStarts actions are uniformly random whatever epsilon says.
    actionLog.length = 0;
    const firstLoss: number[] = [];
    await trainDQN({
      envId: 'test-dqn/Recording-v0',
      seed: 3,
      totalSteps: 200,
      hyperparams: {
        hidden: [4],
        startEpsilon: 0,
        endEpsilon: 0,
        learningStarts: 120,
        trainFrequency: 32,
        batchSize: 8,
        learningRate: 1e-9, // too small to change the greedy action
        targetUpdateInterval: 10,
      },
      onProgress: (p) => {
        if (Number.isFinite(p.metrics?.loss) && firstLoss.length === 0)
          firstLoss.push(p.globalStep);
      },
    });
    expect(actionLog).toHaveLength(200);
    const warmUp = actionLog.slice(0, 120);
    expect(warmUp.filter((a) => a === 0).length).toBeGreaterThan(30);
    expect(warmUp.filter((a) => a === 1).length).toBeGreaterThan(30);
    expect(new Set(actionLog.slice(120)).size).toBe(1);
    // SB3 trains once num_timesteps (transitions stored) is a multiple of train_freq and
    // exceeds learning_starts: first at 128, not after the 129th step.
    expect(firstLoss).toEqual([128]);
  });

  it('acts greedily when deterministic, epsilon-greedily otherwise', async () => {
    const { agent } = await trainDQN({
      envId: 'CartPole-v1',
      seed: 0,
      totalSteps: 300,
      hyperparams: { hidden: [8], learningStarts: 100, trainFrequency: 10, endEpsilon: 0.5 },
    });
    const obs = Float32Array.from([0.01, 0.02, 0.03, 0.04]);
    const q = agent.qValues(obs);
    const greedy = q[1] > q[0] ? 1 : 0;
    for (let i = 0; i < 20; i++) expect(agent.act(obs, { deterministic: true })).toBe(greedy);
    agent.seed(1);
    const acts = Array.from({ length: 200 }, () => agent.act(obs));
    expect(acts.filter((a) => a !== greedy).length).toBeGreaterThan(20); // ~25% at eps 0.5
    agent.seed(1);
    expect(Array.from({ length: 200 }, () => agent.act(obs))).toEqual(acts);
  });

  it('rejects bad hyperparameters and non-discrete action spaces with ConfigErrors', async () => {
    const base = { envId: 'CartPole-v1', seed: 0, totalSteps: 10 };
    await expect(trainDQN({ ...base, hyperparams: { learningrate: 1 } })).rejects.toThrow(
      /unknown hyperparameter 'learningrate' \(valid: learningRate/,
    );
    await expect(trainDQN({ ...base, hyperparams: { gamma: 2 } })).rejects.toThrow(
      /hyperparameter 'gamma'.*got 2/,
    );
    await expect(trainDQN({ ...base, totalSteps: 0 })).rejects.toBeInstanceOf(ConfigError);
    await expect(
      trainDQN({ ...base, hyperparams: JSON.parse('{"__proto__": {"x": 1}}') }),
    ).rejects.toThrow(/unknown hyperparameter '__proto__'/);
  });

  it('evaluates periodically without changing training and saves the best Q-network', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'osmosis-dqn-eval-'));
    try {
      const base = {
        envId: 'CartPole-v1',
        seed: 3,
        totalSteps: 1500,
        hyperparams: {
          hidden: [16, 16],
          learningStarts: 300,
          trainFrequency: 50,
          gradientSteps: 8,
          batchSize: 32,
          targetUpdateInterval: 100,
        },
      };
      const plain = await trainDQN(base);
      const bestDir = join(dir, 'best');
      const evaluated = await trainDQN({
        ...base,
        evaluation: { every: 500, episodes: 3, bestDir },
      });
      const curve = (r: typeof plain) => r.episodes.map((e) => [e.globalStep, e.episodicReturn]);
      expect(curve(evaluated)).toEqual(curve(plain));
      expect(plain.evaluations).toBeUndefined();
      const evals = evaluated.evaluations!;
      expect(evals.map((e) => e.globalStep)).toEqual([500, 1000, 1500]);
      expect(evals[0].best).toBe(true);
      // The saved checkpoint is the evaluated network: it replays the best evaluation exactly.
      const best = evals.filter((e) => e.best).at(-1)!;
      const replay = evaluateAgent(await loadDQN(bestDir), {
        episodes: 3,
        seed: DEFAULT_EVAL_SEED,
      });
      expect(replay.meanReturn).toBe(best.meanReturn);
      // The last evaluation ran on the final weights.
      const last = evaluateAgent(evaluated.agent, { episodes: 3, seed: DEFAULT_EVAL_SEED });
      expect(last.meanReturn).toBe(evals[2].meanReturn);

      const setup = () => {
        throw new Error('not reached');
      };
      await expect(runDQN({ ...base, evaluation: { every: 10 } }, { setup })).rejects.toThrow(
        /dqn: evaluation during training needs the plain Q-network/,
      );
      await expect(trainDQN({ ...base, evaluation: { every: 0 } })).rejects.toThrow(ConfigError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
