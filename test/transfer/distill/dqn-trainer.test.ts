import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/core/index.js';
import { evaluateAgent } from '../../../src/rl/algos/common/index.js';
import { loadDQN, trainDQN } from '../../../src/rl/algos/dqn.js';
import {
  trainDistillationDqn,
  type DqnDistillTrainOptions,
} from '../../../src/transfer/distill/dqn-trainer.js';
import { BANDIT, banditAgent, banditDqnAgent, tempDir, tinyDqn } from '../a2t/helpers.js';

const STEPS = 400;

function options(o: Partial<DqnDistillTrainOptions> = {}): DqnDistillTrainOptions {
  return {
    envId: BANDIT,
    envOptions: {},
    seed: 5,
    totalSteps: STEPS,
    hp: tinyDqn(),
    teacher: banditDqnAgent(true),
    teacherName: 'helpful',
    teacherEnv: { id: BANDIT, options: {} },
    loss: 'kl',
    temperature: 1,
    weight: { kind: 'constant', value: 1 },
    states: 'source',
    bufferSize: 64,
    ...o,
  };
}

const meanReturn = (eps: readonly { episodicReturn: number }[]): number =>
  eps.reduce((a, e) => a + e.episodicReturn, 0) / eps.length;

describe('distillation + TD loss with a DQN student', () => {
  it('with weight 0 is DQN from scratch, episode for episode', async () => {
    const scratch = await trainDQN({
      envId: BANDIT,
      seed: 5,
      totalSteps: STEPS,
      hyperparams: { ...tinyDqn() },
    });
    const r = await trainDistillationDqn(options({ weight: { kind: 'constant', value: 0 } }));
    expect(r.bufferSteps).toBe(0);
    expect(r.episodes).toEqual(scratch.episodes);
    expect(r.updates.weight.every((w) => w === 0)).toBe(true);
    expect(r.updates.loss.every((l) => Number.isNaN(l))).toBe(true);
    // The same Q-network, weight for weight.
    const a = r.agent.qNetwork.stateDict();
    for (const [name, t] of scratch.agent.qNetwork.stateDict()) {
      expect(Array.from(a.get(name)!.data)).toEqual(Array.from(t.data));
    }
  });

  it('the teacher steers the greedy policy: a helpful one helps, a harmful one hurts', async () => {
    // 80 steps: scratch's greedy policy solves the bandit on 2 of these 6 seeds.
    const greedy = async (o: Partial<DqnDistillTrainOptions>): Promise<number[]> => {
      const out: number[] = [];
      for (const seed of [1, 2, 3, 4, 5, 6]) {
        const r = await trainDistillationDqn(options({ seed, totalSteps: 80, ...o }));
        out.push(evaluateAgent(r.agent, { episodes: 40, seed: 1, deterministic: true }).meanReturn);
      }
      return out;
    };
    const solved = (v: number[]): number => v.filter((x) => x === 1).length;
    const w = { kind: 'constant' as const, value: 20 };
    const scratch = await greedy({ weight: { kind: 'constant', value: 0 } });
    const helpful = await greedy({ weight: w });
    const harmful = await greedy({ weight: w, teacher: banditDqnAgent(false) });
    expect(solved(helpful)).toBeGreaterThan(solved(scratch));
    expect(solved(harmful)).toBe(0);
    expect(meanReturn(harmful.map((r) => ({ episodicReturn: r })))).toBeLessThan(0.2);
  });

  it('a policy teacher (PPO logits) distils through the KL loss', async () => {
    const r = await trainDistillationDqn(
      options({ teacher: banditAgent(true), teacherName: 'ppo' }),
    );
    const loss = r.updates.loss;
    expect(loss.every((l) => l > 0 && Number.isFinite(l))).toBe(true);
    expect(loss.at(-1)!).toBeLessThan(loss[0] / 2);
  });

  it('the schedule is applied per training round, at the step the round begins', async () => {
    const hp = tinyDqn();
    const r = await trainDistillationDqn(options({ weight: { kind: 'linear', initial: 2 } }));
    // Rounds after 36, 40, ..., 400 stored transitions (learningStarts 32, trainFrequency 4).
    const rounds = Array.from({ length: 92 }, (_, i) => hp.learningStarts + 4 * (i + 1));
    expect(r.updates.steps).toEqual(rounds);
    r.updates.steps.forEach((s, i) =>
      expect(r.updates.weight[i]).toBeCloseTo(2 * (1 - s / STEPS), 12),
    );
    // The last round has weight 0: no distillation loss there.
    expect(Number.isNaN(r.updates.loss.at(-1)!)).toBe(true);
    expect(r.updates.loss.slice(0, -1).every((l) => l > 0 && Number.isFinite(l))).toBe(true);
  });

  it("mse regresses the student's Q-values on the teacher's and saves a plain DQN checkpoint", async () => {
    const r = await trainDistillationDqn(
      options({ loss: 'mse', weight: { kind: 'constant', value: 3 } }),
    );
    const loss = r.updates.loss;
    expect(loss.every((l) => l > 0 && Number.isFinite(l))).toBe(true);
    expect(loss.at(-1)!).toBeLessThan(loss[0] / 10);
    const dir = tempDir('dqn-distill');
    await r.agent.save(dir);
    const loaded = await loadDQN(dir);
    const x = Float32Array.from([0, 1]);
    expect(Array.from(loaded.qValues(x))).toEqual(Array.from(r.agent.qValues(x)));
  });

  it('refuses target-env states, mse on a policy teacher and learned maps', async () => {
    await expect(trainDistillationDqn(options({ states: 'target' }))).rejects.toThrow(
      /distill \(dqn\): states 'target' .* use states: source/,
    );
    await expect(trainDistillationDqn(options({ states: 'both' }))).rejects.toThrow(ConfigError);
    await expect(
      trainDistillationDqn(
        options({ loss: 'mse', teacher: banditAgent(true), teacherName: 'ppo' }),
      ),
    ).rejects.toThrow(/loss 'mse' regresses .* source 'ppo' outputs logits; use loss: kl/);
    await expect(trainDistillationDqn(options({ stateMap: { kind: 'linear' } }))).rejects.toThrow(
      /learned/,
    );
  });
});
