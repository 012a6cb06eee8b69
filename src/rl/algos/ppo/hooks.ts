import type { Generator, Tensor } from '../../../core/index.js';
import type { MLP } from '../../../nn/index.js';
import type { Space } from '../../spaces/index.js';
import type { ActionDistribution, PolicyNetwork } from '../common/index.js';
import type { PpoConfig } from './config.js';

/**
 * The openings trainPpo leaves for methods that train a PPO agent with something added: the
 * transfer methods (src/transfer: A2T's attention mixture as the actor, policy distillation as an
 * extra loss term). Without hooks trainPpo is plain PPO; with hooks that add nothing (no actor,
 * a null extra loss) it takes exactly the same steps, so a transfer method differs from the
 * `scratch` baseline by the transfer alone (test/rl/algos/ppo-hooks.test.ts checks this).
 */
export interface PpoHooks {
  /**
   * Called once before the first rollout. `rng` continues the run's seed after the loop's own
   * three streams (init, act, shuffle): spawn from it for anything random the method needs.
   * Returns the actor and critic to train instead of fresh PPO networks, and the target env
   * steps already spent (e.g. filling a state buffer: the learning curve starts there).
   */
  setup?: (ctx: SetupContext) => SetupResult | Promise<SetupResult>;
  /** After each rollout, with its valid rows, before the update. */
  afterRollout?: (ctx: RolloutContext) => void;
  /**
   * The actor's distribution for rows `indices` of the rollout batch (their observations in
   * `obs`) during updates; default actor.distribution(obs). Lets A2T reuse the frozen sources'
   * outputs computed once per rollout.
   */
  distributionRows?: (obs: Tensor, indices: Int32Array) => ActionDistribution;
  /** A term added to each minibatch's loss before backward (null: nothing this minibatch). */
  extraLoss?: (mb: MinibatchContext) => ExtraLoss | null;
  /** Weight of the PPO loss itself (default 1; 0 trains on the extra loss alone). */
  taskLossCoef?: number;
  /** After each update, with the extra losses' statistics averaged over its minibatches. */
  afterUpdate?: (u: { globalStep: number; update: number; stats: Record<string, number> }) => void;
}

export interface SetupContext {
  observationSpace: Space<unknown>;
  actionSpace: Space<unknown>;
  cfg: PpoConfig;
  initRng: Generator;
  rng: Generator;
}

export interface SetupResult {
  /** Networks to train instead of fresh PPO ones (observation normalisation still applies). */
  networks?: { actor: PolicyNetwork; critic: MLP };
  startStep?: number;
}

export interface RolloutContext {
  /** The rollout's valid observations as the actor saw them, row-major [rows, obsDim]. */
  obs: Float32Array;
  /** The actions taken, int32 [rows] (Discrete) or [rows, A]. */
  actions: Int32Array | Float32Array;
  rows: number;
  /** Env steps taken when the rollout ended. */
  globalStep: number;
  update: number;
}

/** One minibatch of an update, as the extra loss sees it. */
export interface MinibatchContext {
  actor: PolicyNetwork;
  /** Observations [n, D] (no gradient). */
  obs: Tensor;
  /** Actions taken: int32 [n] (Discrete) or [n, A]. */
  actions: Tensor;
  /** Advantages as the policy loss used them (normalised when normAdv) [n]. */
  advantages: Tensor;
  /** The minibatch's rows in the rollout batch (as RolloutContext numbers them). */
  indices: Int32Array;
}

export interface ExtraLoss {
  loss: Tensor;
  /** Scalars averaged over the update's minibatches into the progress metrics. */
  stats?: Record<string, number>;
}

/** What ppoUpdate needs of the hooks. */
export type UpdateHooks = Pick<PpoHooks, 'distributionRows' | 'extraLoss' | 'taskLossCoef'>;
