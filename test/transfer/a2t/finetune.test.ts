import { describe, expect, it } from 'vitest';
import { StateDictError } from '../../../src/core/index.js';
import { trainDQN, type DQNAgent } from '../../../src/rl/algos/dqn.js';
import { PpoAgent, trainPpo } from '../../../src/rl/algos/ppo.js';
import { BANDIT, banditAgent, tempDir } from './helpers.js';

const flat = (a: { stateDict(): Map<string, { data: ArrayLike<number> }> }): number[] =>
  [...a.stateDict().values()].flatMap((t) => Array.from(t.data));

describe('fine-tuning from a source checkpoint', () => {
  it("dqn: TrainOptions.initialCheckpoint starts from the checkpoint's Q-network", async () => {
    const dir = tempDir('dqn-src');
    const hp = {
      hidden: [8],
      learningStarts: 0,
      trainFrequency: 4,
      batchSize: 8,
      targetUpdateInterval: 8,
    };
    const source = await trainDQN({
      envId: BANDIT,
      seed: 0,
      totalSteps: 200,
      hyperparams: hp,
      outDir: dir,
    });
    // No update happens before learningStarts: the result is exactly the source's network.
    const tuned = await trainDQN({
      envId: BANDIT,
      seed: 1,
      totalSteps: 50,
      hyperparams: { ...hp, learningStarts: 1000 },
      initialCheckpoint: dir,
    });
    expect(flat((tuned.agent as DQNAgent).qNetwork)).toEqual(flat(source.agent.qNetwork));
    const fresh = await trainDQN({
      envId: BANDIT,
      seed: 1,
      totalSteps: 50,
      hyperparams: { ...hp, learningStarts: 1000 },
    });
    expect(flat(fresh.agent.qNetwork)).not.toEqual(flat(source.agent.qNetwork));
    await expect(
      trainDQN({
        envId: BANDIT,
        seed: 1,
        totalSteps: 50,
        hyperparams: { ...hp, hidden: [4] },
        initialCheckpoint: dir,
      }),
    ).rejects.toThrow(StateDictError);
    await expect(
      trainDQN({
        envId: 'CartPole-v1',
        seed: 1,
        totalSteps: 50,
        hyperparams: hp,
        initialCheckpoint: dir,
      }),
    ).rejects.toThrow(/initialCheckpoint .* has spaces/);
  });

  it("ppo: the actor and critic start as the source's, checked for spaces and shape", async () => {
    const dir = tempDir('ppo-src');
    const source = banditAgent(true);
    await source.save(dir);
    const hp = {
      hidden: [2],
      activation: 'relu',
      numEnvs: 2,
      numSteps: 8,
      learningRate: 1e-9,
      annealLr: false,
    };
    const opts = { envId: BANDIT, seed: 0, totalSteps: 16, initialCheckpoint: dir };
    const r = await trainPpo({ ...opts, hyperparams: hp });
    flat((r.agent as PpoAgent).actor).forEach((v, i) =>
      expect(v).toBeCloseTo(flat(source.actor)[i], 5),
    );
    // The copied policy is already right on every episode.
    expect(r.episodes.every((e) => e.episodicReturn === 1)).toBe(true);
    await expect(trainPpo({ ...opts, hyperparams: { ...hp, hidden: [4] } })).rejects.toThrow(
      StateDictError,
    );
    await expect(trainPpo({ ...opts, hyperparams: { ...hp, activation: 'tanh' } })).rejects.toThrow(
      /activation\/normalizeObservation\/normalizeValue relu\/false\/false, the hyperparams tanh\/false\/false/,
    );
    await expect(trainPpo({ ...opts, envId: 'CartPole-v1', hyperparams: hp })).rejects.toThrow(
      /has spaces/,
    );
  });
});
