import { describe, expect, it } from 'vitest';
import { ConfigError, Generator, mean } from '../../../src/core/index.js';
import '../../../src/rl/index.js';
import type { Categorical } from '../../../src/rl/algos/common/index.js';
import { buildPpoParts } from '../../../src/rl/algos/ppo/agent.js';
import { runPpo, trainPpo, type PpoAgent } from '../../../src/rl/algos/ppo.js';
import type { TrainProgress } from '../../../src/rl/algos/types.js';

const options = {
  envId: 'CartPole-v1',
  seed: 11,
  totalSteps: 512,
  hyperparams: { numEnvs: 2, numSteps: 64, updateEpochs: 2, numMinibatches: 2 },
};

const weights = (m: { parameters(): { data: ArrayLike<number> }[] }): number[][] =>
  m.parameters().map((p) => Array.from(p.data));

describe('ppo hooks (the one PPO loop the transfer methods plug into)', () => {
  it('hooks that add nothing leave the run bit-identical to trainPpo', async () => {
    const plain = await trainPpo(options);
    const rollouts: number[] = [];
    let minibatches = 0;
    const hooked = await runPpo(options, {
      setup: ({ rng }) => {
        rng.spawn();
        return {};
      },
      afterRollout: ({ rows, globalStep }) => rollouts.push(globalStep, rows),
      extraLoss: () => {
        minibatches++;
        return null;
      },
    });
    expect(hooked.episodes).toEqual(plain.episodes);
    expect(weights(hooked.actor)).toEqual(weights((plain.agent as PpoAgent).actor));
    expect(weights(hooked.critic)).toEqual(weights((plain.agent as PpoAgent).critic));
    // 4 rollouts of 128 steps; every row is valid but the ones after an episode ended.
    expect(rollouts.filter((_, i) => i % 2 === 0)).toEqual([128, 256, 384, 512]);
    expect(rollouts.filter((_, i) => i % 2 === 1).every((r) => r > 100 && r <= 128)).toBe(true);
    expect(minibatches).toBe(4 * 2 * 2);
  });

  it('an extra loss changes the update and reports its statistics; setup can supply networks and a start step', async () => {
    const progress: TrainProgress[] = [];
    const updates: Record<string, number>[] = [];
    const built = { actor: null as unknown, critic: null as unknown };
    const run = await runPpo(
      { ...options, onProgress: (p) => progress.push(p) },
      {
        setup: ({ observationSpace, actionSpace, cfg }) => {
          const parts = buildPpoParts(observationSpace, actionSpace, cfg, new Generator(5));
          built.actor = parts.actor;
          built.critic = parts.critic;
          return { networks: parts, startStep: 128 };
        },
        // Pull the logits of every action towards 0: a term PPO does not have.
        extraLoss: ({ actor, obs }) => {
          const logits = (actor.distribution(obs) as Categorical).logits;
          const l = mean(logits.mul(logits));
          return { loss: l, stats: { logitSquare: l.item() } };
        },
        afterUpdate: ({ stats }) => updates.push(stats),
      },
    );
    expect(run.actor).toBe(built.actor);
    expect(run.critic).toBe(built.critic);
    // 128 steps were spent before the loop: 3 updates reach the budget of 512.
    expect(updates.length).toBe(3);
    expect(progress.at(-1)!.globalStep).toBe(512);
    expect(run.episodes[0].globalStep).toBeGreaterThan(128);
    expect(updates.every((u) => u.logitSquare > 0)).toBe(true);
    expect(progress.at(-1)!.metrics!.logitSquare).toBe(updates.at(-1)!.logitSquare);
    // The same run without the term ends elsewhere.
    const without = await runPpo(options, {
      setup: ({ observationSpace, actionSpace, cfg }) => ({
        networks: buildPpoParts(observationSpace, actionSpace, cfg, new Generator(5)),
        startStep: 128,
      }),
    });
    expect(weights(without.actor)).not.toEqual(weights(run.actor));
  });

  it('refuses an initial checkpoint for networks a hook built', async () => {
    await expect(
      runPpo(
        { ...options, initialCheckpoint: '/nonexistent' },
        {
          setup: ({ observationSpace, actionSpace, cfg, initRng }) => ({
            networks: buildPpoParts(observationSpace, actionSpace, cfg, initRng),
          }),
        },
      ),
    ).rejects.toThrow(ConfigError);
  });
});
