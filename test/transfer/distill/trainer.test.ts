import { describe, expect, it } from 'vitest';
import { ConfigError, Tensor } from '../../../src/core/index.js';
import { evaluateAgent } from '../../../src/rl/algos/common/index.js';
import { trainPpo } from '../../../src/rl/algos/ppo.js';
import {
  trainDistillation,
  type DistillTrainOptions,
} from '../../../src/transfer/distill/trainer.js';
import { collectTeacherStates } from '../../../src/transfer/distill/buffer.js';
import { SourcePolicy } from '../../../src/transfer/a2t/source-policy.js';
import { BANDIT, banditAgent, tinyPpo } from '../a2t/helpers.js';
import { Generator } from '../../../src/core/index.js';

function options(o: Partial<DistillTrainOptions> = {}): DistillTrainOptions {
  return {
    envId: BANDIT,
    envOptions: {},
    seed: 3,
    totalSteps: 640,
    cfg: tinyPpo(),
    teacher: banditAgent(true),
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

const meanReturn = (eps: { episodicReturn: number }[]): number =>
  eps.reduce((a, e) => a + e.episodicReturn, 0) / eps.length;

describe("distillation + task loss (the source material's A2T)", () => {
  it('with weight 0 is PPO from scratch, episode for episode', async () => {
    const cfg = tinyPpo();
    const scratch = await trainPpo({
      envId: BANDIT,
      seed: 3,
      totalSteps: 640,
      hyperparams: { ...cfg },
    });
    const distilled = await trainDistillation(options({ weight: { kind: 'constant', value: 0 } }));
    expect(distilled.bufferSteps).toBe(0);
    expect(distilled.episodes).toEqual(scratch.episodes);
    expect(distilled.updates.weight.every((w) => w === 0)).toBe(true);
  });

  it('the teacher steers the student: helpful helps, harmful hurts, pure distillation copies it', async () => {
    const cfg = tinyPpo({ learningRate: 1e-2, updateEpochs: 4 });
    const first = (r: { episodes: { episodicReturn: number }[] }): number =>
      meanReturn(r.episodes.slice(0, 150));
    const scratch = await trainDistillation(
      options({ cfg, weight: { kind: 'constant', value: 0 } }),
    );
    const helpful = await trainDistillation(options({ cfg }));
    const harmful = await trainDistillation(options({ cfg, teacher: banditAgent(false) }));
    expect(first(helpful)).toBeGreaterThanOrEqual(first(scratch));
    expect(first(harmful)).toBeLessThan(first(scratch) - 0.2);
    const pure = await trainDistillation(options({ cfg, taskLossCoef: 0 }));
    const ev = evaluateAgent(pure.agent, { episodes: 20, seed: 1, deterministic: true });
    expect(ev.meanReturn).toBe(1);
    expect(pure.updates.loss.at(-1)!).toBeLessThan(pure.updates.loss[0] / 10);
  });

  it('a decaying schedule is applied per update, and target-env states are charged to the budget', async () => {
    const r = await trainDistillation(
      options({ states: 'target', bufferSize: 100, weight: { kind: 'linear', initial: 1 } }),
    );
    expect(r.bufferSteps).toBe(100);
    expect(r.episodes[0].globalStep).toBeGreaterThan(100);
    expect(r.updates.steps.at(-1)!).toBeLessThanOrEqual(640 + 32);
    const w = r.updates.weight;
    for (let i = 1; i < w.length; i++) expect(w[i]).toBeLessThanOrEqual(w[i - 1]);
    r.updates.steps.forEach((s, i) => expect(w[i]).toBeCloseTo(Math.max(0, 1 - s / 640), 10));
    r.updates.loss.forEach((l, i) => expect(Number.isFinite(l)).toBe(w[i] > 0));
  });

  it("the buffer holds the teacher's states and outputs; mse uses the raw outputs", async () => {
    const teacher = new SourcePolicy(banditAgent(false), {
      name: 'harmful',
      target: {
        observationSpace: banditAgent(true).observationSpace,
        actionSpace: banditAgent(true).actionSpace,
      },
      rng: new Generator(0),
    });
    const buf = collectTeacherStates({
      teacher,
      target: { id: BANDIT, options: {} },
      source: { id: BANDIT, options: {} },
      states: 'both',
      size: 10,
      temperature: 1,
      rng: new Generator(1),
    });
    expect(buf.size).toBe(10);
    expect(buf.targetSteps).toBe(5);
    for (let i = 0; i < 10; i++) {
      const x = new Tensor(buf.observations.slice(i * 2, i * 2 + 2), [1, 2]);
      expect(Array.from(buf.teacherOutputs.slice(i * 2, i * 2 + 2))).toEqual(
        Array.from(teacher.outputsNoGrad(x)),
      );
    }
    const r = await trainDistillation(options({ loss: 'mse', totalSteps: 320 }));
    expect(r.updates.loss.every((l) => l > 0 && Number.isFinite(l))).toBe(true);
  });

  it('refuses learned maps (no signal to train them), observation normalisation and a budget the buffer eats', async () => {
    await expect(trainDistillation(options({ stateMap: { kind: 'linear' } }))).rejects.toThrow(
      ConfigError,
    );
    await expect(
      trainDistillation(options({ actionMap: { kind: 'mlp', hidden: [4], activation: 'tanh' } })),
    ).rejects.toThrow(/learned/);
    await expect(trainDistillation(options({ states: 'target', bufferSize: 640 }))).rejects.toThrow(
      /budget/,
    );
    await expect(
      trainDistillation(options({ cfg: tinyPpo({ normalizeObservation: true }) })),
    ).rejects.toThrow(/'normalizeObservation'/);
  });
});
