import type { Generator, Tensor } from '../../../core/index.js';
import type { Module } from '../../../nn/index.js';
import type { ReplayBatch } from '../buffers/replay.js';
import type { Discrete, Space } from '../../spaces/index.js';
import type { DQNHyperparams } from '../dqn.js';

/** A Q-network: observations [B, D] -> Q-values [B, actions]. */
export interface QNetwork extends Module {
  forward(obs: Tensor): Tensor;
}

/**
 * The openings runDQN leaves for methods that train a DQN with something added (A2T's value
 * transfer: an attention mixture of frozen source Q-networks and a base as the Q-network, and the
 * base's own TD loss as an extra term). Without hooks runDQN is trainDQN's loop unchanged.
 */
export interface DqnHooks {
  /**
   * Build the online Q-network and its target network instead of two MLPs. They must have the
   * same parameter names (the target is updated name by name). `rng` continues the run's seed
   * after the loop's own streams (init, act, sample).
   */
  setup?: (ctx: {
    observationSpace: Space<unknown>;
    actionSpace: Discrete;
    hp: DQNHyperparams;
    initRng: Generator;
    rng: Generator;
  }) => { online: QNetwork; target: QNetwork };
  /**
   * A term added to each gradient step's TD loss, called after the online network's forward
   * pass on `batch.observations` and the target network's on `batch.nextObservations`;
   * `globalStep` is the env steps taken when this training round began.
   */
  extraLoss?: (
    batch: ReplayBatch,
    ctx: { globalStep: number },
  ) => { loss: Tensor; stats?: Record<string, number> } | null;
  /** After each training phase (gradientSteps steps), with the extra stats averaged over it. */
  afterTrain?: (u: { globalStep: number; stats: Record<string, number> }) => void;
}
