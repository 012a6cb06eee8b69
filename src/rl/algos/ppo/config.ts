import { z } from 'zod';
import type { EvaluationDefaults } from '../types.js';

/**
 * PPO's hyperparameters. Defaults are CleanRL's ppo.py (discrete, Atari-free classic control);
 * `PPO_CONTINUOUS_DEFAULTS` holds ppo_continuous_action.py's recipe for Box-action envs.
 */

/** The update step's settings, shared by single-agent PPO and the multi-agent learners. */
export const ppoUpdateShape = {
  learningRate: z.number().positive().default(2.5e-4),
  /** Linear decay of the learning rate to 0 over training (CleanRL's anneal_lr). */
  annealLr: z.boolean().default(true),
  gamma: z.number().min(0).max(1).default(0.99),
  gaeLambda: z.number().min(0).max(1).default(0.95),
  numMinibatches: z.number().int().positive().default(4),
  updateEpochs: z.number().int().positive().default(4),
  /** Normalise advantages per minibatch. */
  normAdv: z.boolean().default(true),
  clipCoef: z.number().nonnegative().default(0.2),
  /** Clip the value function's change as the policy's (PPO2's value clipping). */
  clipVloss: z.boolean().default(true),
  /** The value clipping range; null uses clipCoef (CleanRL). */
  vfClipCoef: z.number().nonnegative().nullable().default(null),
  entCoef: z.number().nonnegative().default(0.01),
  vfCoef: z.number().nonnegative().default(0.5),
  maxGradNorm: z.number().positive().default(0.5),
  /** Stop the epochs of an update once the approximate KL exceeds this; null never stops. */
  targetKl: z.number().positive().nullable().default(null),
  adamEps: z.number().positive().default(1e-5),
  /**
   * Bootstrap a time-limit truncation from the value of the final observation (Pardo et al.
   * 2018). CleanRL treats truncation as termination; false does that.
   */
  bootstrapTruncated: z.boolean().default(true),
  /** Train the critic on standardised returns (MAPPO's ValueNorm); off in CleanRL. */
  normalizeValue: z.boolean().default(false),
  hidden: z.array(z.number().int().positive()).min(1).default([64, 64]),
  activation: z.enum(['tanh', 'relu']).default('tanh'),
};

export const ppoSchema = z
  .object({
    numEnvs: z.number().int().positive().default(4),
    /** Steps per env per rollout: the batch is numEnvs * numSteps. */
    numSteps: z.number().int().positive().default(128),
    /** 'async' steps the envs in worker threads (AsyncVectorEnv). */
    vectorEnv: z.enum(['sync', 'async']).default('sync'),
    ...ppoUpdateShape,
    /**
     * Linear decay of clipCoef to 0 over training, on annealLr's line (rl-zoo's `lin_0.2`); the
     * value clipping follows it when vfClipCoef is null.
     */
    annealClip: z.boolean().default(false),
    /** Normalise observations with running statistics (saved with the agent). */
    normalizeObservation: z.boolean().default(false),
    /** Scale rewards by the running std of a discounted return (Gymnasium's NormalizeReward). */
    normalizeReward: z.boolean().default(false),
    /** Clip normalised observations / rewards to +-this (CleanRL's TransformObservation). */
    clipObservation: z.number().positive().default(10),
    clipReward: z.number().positive().default(10),
  })
  .strict();

export type PpoConfig = z.infer<typeof ppoSchema>;
export type PpoUpdateConfig = Pick<
  PpoConfig,
  | 'numMinibatches'
  | 'updateEpochs'
  | 'normAdv'
  | 'clipCoef'
  | 'clipVloss'
  | 'vfClipCoef'
  | 'entCoef'
  | 'vfCoef'
  | 'maxGradNorm'
  | 'targetKl'
>;

/** CleanRL's ppo_continuous_action.py settings (MuJoCo recipe). */
export const PPO_CONTINUOUS_DEFAULTS: Partial<PpoConfig> = Object.freeze({
  numEnvs: 1,
  numSteps: 2048,
  learningRate: 3e-4,
  numMinibatches: 32,
  updateEpochs: 10,
  entCoef: 0,
  normalizeObservation: true,
  normalizeReward: true,
});

/**
 * Tuned per env, rl-zoo style. CartPole-v1 takes rl-zoo's PPO recipe (hyperparams/ppo.yml, 1e5
 * steps) on SB3's PPO: learning rate and clip range both linear to 0, and no value clipping
 * (SB3's clip_range_vf is None). Measured over seeds: docs/benchmarks.md (bench/rl-solve.ts).
 */
export const PPO_TUNED: Record<string, Partial<PpoConfig>> = {
  'CartPole-v1': {
    numEnvs: 8,
    numSteps: 32,
    learningRate: 1e-3,
    gamma: 0.98,
    gaeLambda: 0.8,
    numMinibatches: 1,
    updateEpochs: 20,
    entCoef: 0,
    clipVloss: false,
    annealClip: true,
  },
};

/**
 * The periodic evaluation `osmosis rl train` runs by default: 20 evaluations over the 100k-step
 * CartPole budget, 20 episodes each, as measured in docs/benchmarks.md.
 */
export const PPO_TUNED_EVALUATION: Record<string, EvaluationDefaults> = {
  'CartPole-v1': { every: 5000, episodes: 20 },
};
