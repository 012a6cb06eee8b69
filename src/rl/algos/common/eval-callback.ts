import { ConfigError } from '../../../core/index.js';
import type { Agent } from '../types.js';
import { evaluateAgent } from './evaluate.js';

/**
 * SB3's EvalCallback: every `every` env steps of training, play `episodes` episodes with the
 * deterministic policy in a fresh env and, when the mean return beats every earlier evaluation
 * (strictly, as SB3: ties keep the earlier model), save the agent to `bestDir`. Value-based
 * learners such as DQN on CartPole oscillate late in training; the best checkpoint is what
 * rl-zoo keeps (best_model.zip), and the final weights are still written to outDir as before.
 *
 * The episodes are reset with seeds `seed .. seed + episodes - 1` (default 10000 on), away from
 * the seeds `osmosis rl eval` uses by default (0 .. 99), so the checkpoint is chosen on other
 * episodes than those it is then reported on.
 */
export interface EvaluationOptions {
  /** Env steps (summed over vectorised envs) between evaluations. */
  every: number;
  /** Episodes per evaluation (default 10). */
  episodes?: number;
  /** Seed of the first episode of each evaluation (default 10000). */
  seed?: number;
  /** Where the best agent so far is saved (config.json + model.safetensors); none if absent. */
  bestDir?: string;
  onEvaluation?: (e: EvaluationRecord) => void;
}

export interface EvaluationRecord {
  /** Env steps trained when the evaluation ran. */
  globalStep: number;
  meanReturn: number;
  stdReturn: number;
  /** True when this evaluation beat all earlier ones (and was saved to bestDir). */
  best: boolean;
  /**
   * Wall-clock seconds from the callback's creation (the start of training) to the start of this
   * evaluation: the time to reach this step, earlier evaluations included ("time to solve").
   */
  seconds: number;
}

export const DEFAULT_EVAL_EPISODES = 10;
export const DEFAULT_EVAL_SEED = 10_000;

export class EvalCallback {
  readonly evaluations: EvaluationRecord[] = [];
  private nextAt: number;
  private bestMean = -Infinity;
  private readonly episodes: number;
  private readonly seed: number;
  private readonly started = performance.now();

  /** `algo` names the learner in error messages. */
  constructor(
    private readonly options: EvaluationOptions,
    algo: string,
  ) {
    const { every } = options;
    this.episodes = options.episodes ?? DEFAULT_EVAL_EPISODES;
    this.seed = options.seed ?? DEFAULT_EVAL_SEED;
    if (!Number.isSafeInteger(every) || every < 1) {
      throw new ConfigError(`${algo}: evaluation.every must be a positive integer, got ${every}`);
    }
    if (!Number.isSafeInteger(this.episodes) || this.episodes < 1) {
      throw new ConfigError(
        `${algo}: evaluation.episodes must be a positive integer, got ${this.episodes}`,
      );
    }
    if (!Number.isSafeInteger(this.seed) || this.seed < 0) {
      throw new ConfigError(
        `${algo}: evaluation.seed must be a non-negative integer, got ${this.seed}`,
      );
    }
    this.nextAt = every;
  }

  /**
   * Evaluate `agent()` if training reached the next multiple of `every` (a loop that advances
   * several steps at a time, as PPO's rollouts, evaluates once when it passes one or more).
   */
  async maybeEvaluate(globalStep: number, agent: () => Agent): Promise<EvaluationRecord | null> {
    if (globalStep < this.nextAt) return null;
    const every = this.options.every;
    this.nextAt = (Math.floor(globalStep / every) + 1) * every;
    const seconds = (performance.now() - this.started) / 1000;
    const current = agent();
    const result = evaluateAgent(current, {
      episodes: this.episodes,
      seed: this.seed,
      deterministic: true,
    });
    const best = result.meanReturn > this.bestMean;
    const record: EvaluationRecord = {
      globalStep,
      meanReturn: result.meanReturn,
      stdReturn: result.stdReturn,
      best,
      seconds,
    };
    if (best) {
      this.bestMean = result.meanReturn;
      if (this.options.bestDir !== undefined) await current.save(this.options.bestDir);
    }
    this.evaluations.push(record);
    this.options.onEvaluation?.(record);
    return record;
  }
}
