import type { z } from 'zod';
import type { EvaluationOptions, EvaluationRecord } from './common/eval-callback.js';

/**
 * The contract every learning algorithm (DQN, PPO, REINFORCE, the multi-agent learners) fulfils,
 * so the CLI (`osmosis rl train/eval`), the experiment runner and the transfer methods can drive
 * any of them by name. Each algorithm is one readable file in the style of CleanRL with a zod
 * schema for its hyperparameters and a `register` call.
 */

/** Progress reported while training: the CLI draws it as a progress bar. */
export interface TrainProgress {
  /** Environment steps taken so far (summed over vectorised envs). */
  globalStep: number;
  totalSteps: number;
  /** Mean return of the episodes finished since the last report, if any finished. */
  episodicReturn?: number;
  episodicLength?: number;
  /** Algorithm-specific numbers (loss, epsilon, entropy, ...). */
  metrics?: Record<string, number>;
}

/** One finished episode during training, in order: learning curves are built from these. */
export interface EpisodeRecord {
  globalStep: number;
  episodicReturn: number;
  episodicLength: number;
  /** Agent id for multi-agent learners. */
  agent?: string;
}

export interface TrainOptions {
  envId: string;
  envOptions?: Record<string, unknown>;
  seed: number;
  totalSteps: number;
  /** Hyperparameters; validated by the algorithm's schema (defaults fill the rest). */
  hyperparams?: Record<string, unknown>;
  /** Checkpoint folder written at the end (and periodically if the algorithm supports it). */
  outDir?: string;
  /**
   * Start from the weights of this checkpoint (same algorithm, same spaces and network shape)
   * instead of a fresh initialisation: fine-tuning. Supported by: dqn, ppo.
   */
  initialCheckpoint?: string;
  onProgress?: (p: TrainProgress) => void;
  onEpisode?: (e: EpisodeRecord) => void;
  /**
   * Periodic deterministic evaluation during training, saving the best agent (SB3's
   * EvalCallback, see common/eval-callback.ts). Supported by: dqn, ppo.
   */
  evaluation?: EvaluationOptions;
}

export interface TrainResult {
  agent: Agent;
  episodes: EpisodeRecord[];
  /** Wall-clock seconds. */
  seconds: number;
  /** The periodic evaluations, when TrainOptions.evaluation asked for them. */
  evaluations?: EvaluationRecord[];
}

/** Periodic evaluation settings: every `every` env steps, `episodes` deterministic episodes. */
export interface EvaluationDefaults {
  every: number;
  episodes: number;
}

/** A trained (or loaded) policy that can act in its environment. */
export interface Agent {
  readonly algo: string;
  readonly envId: string;
  readonly envOptions: Record<string, unknown>;
  /**
   * Choose an action for one observation (flattened Float32Array for single-agent envs).
   * deterministic: greedy / mean action instead of sampling.
   */
  act(observation: unknown, options?: { deterministic?: boolean; agent?: string }): unknown;
  /** Write `config.json` (algo, env, spaces, hyperparams, format version) + `model.safetensors`. */
  save(dir: string): Promise<void>;
}

export interface AlgorithmRegistration<S extends z.ZodTypeAny = z.ZodTypeAny> {
  /** Lowercase unique name: 'dqn', 'ppo', 'reinforce', 'mappo', ... */
  name: string;
  /** 'single' for Gymnasium envs, 'parallel' for PettingZoo parallel envs. */
  envKind: 'single' | 'parallel';
  /** Strict zod schema of the hyperparameters. */
  schema: S;
  /** Tuned defaults per env id (like rl-zoo's hyperparams files), merged under user values. */
  tunedDefaults?: Record<string, Partial<z.infer<S>>>;
  /**
   * Present when train() runs TrainOptions.evaluation (SB3's EvalCallback). `tuned` holds, per
   * env id, the interval and episode count `osmosis rl train` evaluates with by default.
   */
  evaluation?: { tuned: Record<string, EvaluationDefaults> };
  train(options: TrainOptions): Promise<TrainResult>;
  /** Load a checkpoint written by Agent.save; a checkpoint of another algorithm is an error. */
  load(dir: string): Promise<Agent>;
}
