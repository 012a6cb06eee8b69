import type { z } from 'zod';
import { ConfigError } from '../../../core/index.js';
import type { Env } from '../../env.js';
import { make } from '../../registry.js';
import { RecordEpisodeStatistics, type EpisodeStatistics } from '../../wrappers/index.js';
import type {
  AlgorithmRegistration,
  EpisodeRecord,
  TrainOptions,
  TrainProgress,
} from '../types.js';

/**
 * Plumbing every single-agent trainer shares: hyperparameters resolved as rl-zoo does (schema
 * defaults < tuned defaults for the env < user values), argument checks, the training env, and
 * episode bookkeeping that feeds onEpisode / onProgress.
 */

/** Parse hyperparameters: the algorithm's tuned defaults for `envId` under the user's values. */
export function resolveHyperparams<S extends z.ZodTypeAny>(
  algo: Pick<AlgorithmRegistration<S>, 'name' | 'schema' | 'tunedDefaults'>,
  envId: string,
  user: Record<string, unknown> = {},
): z.infer<S> {
  if (typeof user !== 'object' || user === null || Array.isArray(user)) {
    throw new ConfigError(`${algo.name}: hyperparams must be an object`);
  }
  const tuned = (algo.tunedDefaults?.[envId] ?? {}) as Record<string, unknown>;
  const merged: Record<string, unknown> = { ...tuned, ...user };
  const parsed = algo.schema.safeParse(merged);
  if (parsed.success) return parsed.data as z.infer<S>;
  const issue = parsed.error.issues[0];
  if (issue.code === 'unrecognized_keys') {
    const shape = (algo.schema as unknown as { shape?: Record<string, unknown> }).shape;
    const valid = shape ? ` (valid: ${Object.keys(shape).join(', ')})` : '';
    throw new ConfigError(
      `${algo.name}: unknown hyperparameter${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}${valid}`,
      { cause: parsed.error },
    );
  }
  throw new ConfigError(
    `${algo.name}: hyperparameter '${issue.path.join('.')}': ${issue.message} (got ${JSON.stringify(valueAt(merged, issue.path))})`,
    { cause: parsed.error },
  );
}

function valueAt(obj: unknown, path: readonly PropertyKey[]): unknown {
  let cur = obj;
  for (const k of path) cur = (cur as Record<PropertyKey, unknown> | undefined)?.[k];
  return cur;
}

/** Check the common TrainOptions fields (totalSteps, seed, envOptions). */
export function checkTrainOptions(algo: string, options: TrainOptions): void {
  if (!Number.isSafeInteger(options.totalSteps) || options.totalSteps < 1) {
    throw new ConfigError(
      `${algo}: totalSteps must be a positive integer, got ${options.totalSteps}`,
    );
  }
  if (!Number.isSafeInteger(options.seed)) {
    throw new ConfigError(`${algo}: seed must be a safe integer, got ${options.seed}`);
  }
  const eo = options.envOptions;
  if (eo !== undefined && (typeof eo !== 'object' || eo === null || Array.isArray(eo))) {
    throw new ConfigError(`${algo}: envOptions must be an object`);
  }
}

/** A single-agent env with RecordEpisodeStatistics outermost (CleanRL's make_env). */
export function makeTrainingEnv(
  envId: string,
  envOptions: Record<string, unknown> = {},
): RecordEpisodeStatistics<unknown, unknown> {
  const env: Env<unknown, unknown> = make(envId, envOptions);
  return new RecordEpisodeStatistics(env);
}

/** info.episode from RecordEpisodeStatistics, when the step ended an episode. */
export function episodeStats(info: Record<string, unknown>): EpisodeStatistics | null {
  const e = info.episode as EpisodeStatistics | undefined;
  return e && typeof e.r === 'number' ? e : null;
}

/**
 * Keeps the episode records, forwards them to onEpisode, and reports progress every
 * `reportEvery` steps with the mean return of the episodes finished since the last report.
 */
export class EpisodeTracker {
  readonly episodes: EpisodeRecord[] = [];
  private pendingReturn = 0;
  private pendingLength = 0;
  private pendingCount = 0;
  private lastReport = 0;
  private readonly reportEvery: number;

  constructor(
    private readonly options: Pick<TrainOptions, 'onEpisode' | 'onProgress' | 'totalSteps'>,
    reportEvery?: number,
  ) {
    this.reportEvery = reportEvery ?? Math.max(1, Math.floor(options.totalSteps / 200));
  }

  /** Record a finished episode. */
  episode(
    globalStep: number,
    episodicReturn: number,
    episodicLength: number,
    agent?: string,
  ): void {
    const rec: EpisodeRecord = { globalStep, episodicReturn, episodicLength };
    if (agent !== undefined) rec.agent = agent;
    this.episodes.push(rec);
    this.pendingReturn += episodicReturn;
    this.pendingLength += episodicLength;
    this.pendingCount += 1;
    this.options.onEpisode?.(rec);
  }

  /** Report progress if `reportEvery` steps passed (or `force`). */
  progress(globalStep: number, metrics?: Record<string, number>, force = false): void {
    if (!this.options.onProgress) return;
    if (!force && globalStep - this.lastReport < this.reportEvery) return;
    this.lastReport = globalStep;
    const p: TrainProgress = { globalStep, totalSteps: this.options.totalSteps };
    if (this.pendingCount > 0) {
      p.episodicReturn = this.pendingReturn / this.pendingCount;
      p.episodicLength = this.pendingLength / this.pendingCount;
      this.pendingReturn = 0;
      this.pendingLength = 0;
      this.pendingCount = 0;
    }
    if (metrics) p.metrics = { ...metrics };
    this.options.onProgress(p);
  }
}
