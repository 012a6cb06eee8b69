import { describe, expect, it } from 'vitest';
import { ConfigError, mean } from '../../../src/core/index.js';
import '../../../src/rl/index.js';
import { makeQNetwork } from '../../../src/rl/algos/common/index.js';
import type { MLP } from '../../../src/nn/index.js';
import { runDQN, trainDQN } from '../../../src/rl/algos/dqn.js';

const options = {
  envId: 'CartPole-v1',
  seed: 4,
  totalSteps: 1500,
  hyperparams: {
    learningStarts: 300,
    trainFrequency: 10,
    gradientSteps: 2,
    batchSize: 32,
    hidden: [16],
    targetUpdateInterval: 100,
  },
};

const weights = (m: { parameters(): { data: ArrayLike<number> }[] }): number[][] =>
  m.parameters().map((p) => Array.from(p.data));

describe('dqn hooks (the one DQN loop A2T value transfer plugs into)', () => {
  it('hooks that add nothing leave the run bit-identical to trainDQN', async () => {
    const plain = await trainDQN(options);
    let phases = 0;
    const hooked = await runDQN(options, {
      setup: ({ observationSpace, actionSpace, hp, initRng }) => {
        const net = { hidden: hp.hidden, activation: hp.activation };
        return {
          online: makeQNetwork(observationSpace, actionSpace, { ...net, rng: initRng }),
          target: makeQNetwork(observationSpace, actionSpace, { ...net, skipInit: true }),
        };
      },
      extraLoss: () => null,
      afterTrain: () => void phases++,
    });
    expect(hooked.episodes).toEqual(plain.episodes);
    expect(weights(hooked.online)).toEqual(weights(plain.agent.qNetwork));
    expect(phases).toBe(120); // after 310, 320, ..., 1500 stored transitions (SB3 counting)
  });

  it('an extra loss is added to the TD loss and its statistics reported per phase', async () => {
    const stats: Record<string, number>[] = [];
    let online: MLP | null = null;
    const run = await runDQN(options, {
      setup: ({ observationSpace, actionSpace, hp, initRng }) => {
        const net = { hidden: hp.hidden, activation: hp.activation };
        online = makeQNetwork(observationSpace, actionSpace, { ...net, rng: initRng });
        return {
          online,
          target: makeQNetwork(observationSpace, actionSpace, { ...net, skipInit: true }),
        };
      },
      // Shrink every Q-value: a term the TD loss does not have.
      extraLoss: (batch) => {
        const q = online!.forward(batch.observations);
        const l = mean(q.mul(q));
        return { loss: l, stats: { qSquare: l.item() } };
      },
      afterTrain: (u) => stats.push(u.stats),
    });
    expect(stats.length).toBe(120);
    expect(stats.every((s) => s.qSquare > 0)).toBe(true);
    const plain = await trainDQN(options);
    expect(weights(run.online)).not.toEqual(weights(plain.agent.qNetwork));
  });

  it('refuses an initial checkpoint for networks a hook built', async () => {
    await expect(
      runDQN(
        { ...options, initialCheckpoint: '/nonexistent' },
        {
          setup: ({ observationSpace, actionSpace, initRng }) => ({
            online: makeQNetwork(observationSpace, actionSpace, { rng: initRng }),
            target: makeQNetwork(observationSpace, actionSpace, { skipInit: true }),
          }),
        },
      ),
    ).rejects.toThrow(ConfigError);
  });
});
