/**
 * The distillation reading of "A2T" (./trainer.ts) with a DQN student: the one DQN loop (runDQN)
 * trains its Q-network on
 *
 *   L(theta) = L_TD(theta)  +  w(t) * L_distill(Q_theta(s), teacher(s)),   s ~ buffer
 *
 * L_TD is DQN's own loss on replayed target transitions; L_distill is Rusu et al. (2016)'s
 * policy distillation on states the source visited: KL from the teacher's softened policy
 * softmax(teacher(s) / tau) to softmax(Q_theta(s)) (the student's Q-values read as logits, as in
 * the paper), or MSE between the Q-values and the teacher's (a DQN teacher only: regressing
 * Q-values on a policy's logits would mix scales that mean different things). w(t) is the
 * schedule at the env step when each training round begins; a round of `gradientSteps` draws a
 * fresh teacher minibatch for every gradient step.
 *
 * The student is DQN's own Q-network with DQN's seed streams, and the distillation streams come
 * after them: with w = 0 throughout this is DQN from scratch, episode for episode. It is saved as
 * an ordinary `dqn` checkpoint. The teacher's states come from its own env (states: source): a
 * buffer filled in the target env would be charged before DQN's first step, which DQN's
 * SB3-style step counting (warm-up and training keyed to the steps stored) has no place for.
 */
import { ConfigError, type Generator } from '../../core/index.js';
import { makeQNetwork } from '../../rl/algos/common/index.js';
import { DQNAgent, runDQN, type DQNHyperparams } from '../../rl/algos/dqn.js';
import type { MLP } from '../../nn/index.js';
import type { DistillationBuffer } from './buffer.js';
import { distillationLoss } from './losses.js';
import { scheduleWeight } from './schedules.js';
import {
  checkDistillation,
  teacherBuffer,
  type DistillCommonOptions,
  type DistillTrainResult,
} from './trainer.js';

export interface DqnDistillTrainOptions extends DistillCommonOptions {
  /** The student's DQN config (defaults and tuned values already resolved). */
  hp: DQNHyperparams;
  /** Teacher states per gradient step (default: DQN's batch size). */
  batchSize?: number;
}

export interface DqnDistillTrainResult extends Omit<DistillTrainResult, 'agent'> {
  agent: DQNAgent;
}

export async function trainDistillationDqn(
  o: DqnDistillTrainOptions,
): Promise<DqnDistillTrainResult> {
  const method = 'distill (dqn)';
  if (o.states !== 'source') {
    throw new ConfigError(
      `${method}: states '${o.states}' fills the buffer in the target env before training, which DQN's step counting cannot charge; use states: source`,
    );
  }
  const target = checkDistillation(method, o);
  const batchSize = o.batchSize ?? o.hp.batchSize;
  const updates: DistillTrainResult['updates'] = { steps: [], weight: [], loss: [] };
  let buffer: DistillationBuffer | null = null;
  let distillRng: Generator | null = null;
  let weight = 0;
  let student: MLP | null = null;

  const run = await runDQN(
    {
      envId: o.envId,
      envOptions: o.envOptions,
      seed: o.seed,
      totalSteps: o.totalSteps,
      hyperparams: { ...o.hp },
      onEpisode: o.onEpisode,
      onProgress: o.onProgress,
    },
    {
      // The networks runDQN builds without hooks, from its own init stream.
      setup: ({ observationSpace, actionSpace, hp, initRng, rng }) => {
        const net = { hidden: hp.hidden, activation: hp.activation };
        student = makeQNetwork(observationSpace, actionSpace, { ...net, rng: initRng });
        const targetNet = makeQNetwork(observationSpace, actionSpace, { ...net, skipInit: true });
        const bufferRng = rng.spawn();
        distillRng = rng.spawn();
        buffer = teacherBuffer(method, o, target, { buffer: bufferRng, teacher: rng.spawn() }, 'q');
        return { online: student, target: targetNet };
      },
      extraLoss: (_batch, { globalStep }) => {
        weight = scheduleWeight(o.weight, globalStep, o.totalSteps);
        if (weight === 0) return null;
        const { obs, teacher } = buffer!.sample(batchSize, distillRng!);
        const q = student!.forward(obs);
        const loss = distillationLoss(o.loss, q, teacher, o.temperature);
        return { loss: loss.mul(weight), stats: { distillLoss: loss.item() } };
      },
      afterTrain: ({ globalStep, stats }) => {
        const loss = stats.distillLoss ?? NaN;
        updates.steps.push(globalStep);
        updates.weight.push(weight);
        updates.loss.push(loss);
        o.onUpdate?.({ globalStep, weight, loss });
      },
    },
  );
  const agent = new DQNAgent(
    student!,
    o.envId,
    o.envOptions,
    run.observationSpace,
    run.actionSpace,
    run.hp,
    o.seed,
  );
  return { agent, episodes: run.episodes, bufferSteps: buffer!.targetSteps, updates };
}
