/**
 * Training A2T for value functions (Rajendran et al. 2017) with DQN as the target's learner: the
 * one DQN loop (runDQN in src/rl/algos/dqn.ts) trains Q_T = sum_i w_i(s) Q_i(s, .) (./value.ts)
 * through its hooks:
 *
 * - the online network is the A2T mixture, the target network its copy: the TD loss of Q_T,
 *   r + gamma max_a' Q_T'(s', a') - Q_T(s, a), trains the attention network and learned maps;
 * - the base is trained with its own TD loss on the same minibatch, against its own target
 *   network, r + gamma max_a' Q_B'(s', a') - Q_B(s, a), times `baseLossCoef` (> 0: the base gets
 *   no gradient from the mixture);
 * - exploration, replay, target updates and everything else are DQN's, with the same seed and
 *   streams as `scratch` (the base starts as scratch's Q-network).
 * The mean attention weight per component over the replayed states is recorded after each
 * training phase: the run's attention-over-time plot.
 */
import {
  ConfigError,
  gather,
  huberLoss,
  mseLoss,
  noGrad,
  reshape,
  Tensor,
} from '../../core/index.js';
import { runDQN, tdTargets, type DQNHyperparams } from '../../rl/algos/dqn.js';
import { sourceRecords } from './agent.js';
import type { A2TRunOptions, A2TRunResult } from './trainer.js';
import { A2TValueAgent } from './value-agent.js';
import { buildA2TQNetworks, type A2TQNetwork } from './value.js';

/** `sources` are DQN agents (their Q-networks are mixed), each with temperature 1. */
export interface A2TDqnTrainOptions extends A2TRunOptions {
  /** The DQN config (defaults and tuned values already resolved). */
  hp: DQNHyperparams;
  /** Weight of the base network's own TD loss (default 1; must be > 0). */
  baseLossCoef?: number;
}

export type A2TDqnTrainResult = A2TRunResult<A2TValueAgent>;

export async function trainA2TDqn(o: A2TDqnTrainOptions): Promise<A2TDqnTrainResult> {
  const baseCoef = o.baseLossCoef ?? 1;
  if (!(baseCoef > 0)) {
    throw new ConfigError(
      `a2t (dqn): baseLossCoef must be > 0, got ${baseCoef}: with a DQN learner the base network learns only from its own TD loss`,
    );
  }
  let nets: { online: A2TQNetwork; target: A2TQNetwork } | null = null;
  const attention: A2TDqnTrainResult['attention'] = { steps: [], series: {} };
  let weightSums: number[] = [];
  let weightCount = 0;
  const { hp } = o;

  const run = await runDQN(
    {
      envId: o.envId,
      envOptions: o.envOptions,
      seed: o.seed,
      totalSteps: o.totalSteps,
      hyperparams: { ...hp },
      onEpisode: o.onEpisode,
      onProgress: o.onProgress,
    },
    {
      // The base starts as scratch's Q-network (DQN's init stream); then attention, maps.
      setup: ({ initRng, rng }) => {
        nets = buildA2TQNetworks(
          { ...o, hp },
          { init: initRng, attention: rng.spawn(), maps: rng.spawn() },
        );
        for (const n of nets.online.components) attention.series[n] = [];
        weightSums = new Array<number>(nets.online.components.length).fill(0);
        return nets;
      },
      extraLoss: (batch) => {
        const { online, target } = nets!;
        const B = batch.observations.shape[0];
        // runDQN has just run the online network on this batch: reuse the base's values.
        const qBase =
          online.lastBaseValues(batch.observations) ?? online.base.forward(batch.observations);
        const y = new Tensor(new Float32Array(B), [B]);
        noGrad(() => {
          const next = (
            target.lastBaseValues(batch.nextObservations) ??
            target.base.forward(batch.nextObservations)
          ).data;
          const greedy = hp.doubleDqn ? online.base.forward(batch.nextObservations).data : null;
          tdTargets(y.data as Float32Array, next, greedy, batch, hp.gamma);
        });
        const taken = reshape(gather(qBase, 1, reshape(batch.actions, [B, 1])), [B]);
        const loss = hp.loss === 'huber' ? huberLoss(taken, y) : mseLoss(taken, y);
        const w = online.meanWeights(batch.observations);
        w.forEach((v, k) => (weightSums[k] += v));
        weightCount++;
        return { loss: loss.mul(baseCoef), stats: { baseLoss: loss.item() } };
      },
      afterTrain: ({ globalStep }) => {
        const names = nets!.online.components;
        const record: Record<string, number> = {};
        names.forEach((n, k) => {
          record[n] = weightSums[k] / Math.max(1, weightCount);
          attention.series[n].push(record[n]);
        });
        attention.steps.push(globalStep);
        o.onAttention?.(globalStep, record);
        weightSums.fill(0);
        weightCount = 0;
      },
    },
  );
  const agent = new A2TValueAgent(
    o.envId,
    o.envOptions,
    run.hp,
    nets!.online,
    sourceRecords(o.sources),
    {
      attentionHidden: [...(o.attentionHidden ?? [64])],
      baseLossCoef: baseCoef,
      learner: 'dqn',
    },
    o.seed,
  );
  return { agent, episodes: run.episodes, attention };
}
