/**
 * Registry of experiment method kinds: how one (method, seed) job is run. 'scratch' (an RL
 * algorithm trained from nothing) is built in; transfer methods (a2t, mamt, ftml, ...) register
 * themselves with one call. A kind's `schema` lists its own fields of a `methods[]` entry, on top
 * of the common ones (name, kind, algo, totalSteps, hyperparams), and may override those (e.g. to
 * make `algo` required).
 */
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import type { EpisodeRecord, TrainProgress } from '../rl/algos/types.js';
import type { MethodEntry, ResolvedExperiment } from './schema.js';

/** An event other than a training episode (an evaluation, an attention snapshot, ...). */
export interface MethodEvent {
  type: string;
  globalStep: number;
  [key: string]: unknown;
}

export interface MethodContext {
  /** This method's validated `methods[]` entry (common fields plus the kind's own). */
  config: MethodEntry;
  /** The whole resolved experiment (env, source, seeds, other methods). */
  experiment: ResolvedExperiment;
  seed: number;
  /** Checkpoint folder of this job: runs/<id>/checkpoints/<method>/seed-<n>/ (exists, empty). */
  outDir: string;
  onProgress: (p: TrainProgress) => void;
  onEpisode: (e: EpisodeRecord) => void;
  /** Extra events, written to metrics.jsonl beside the episodes. */
  onEvent: (e: MethodEvent) => void;
}

/**
 * A series over training steps that the report plots per method (mean over seeds), e.g. A2T's
 * attention weight on each source policy: `{name: 'attention', steps, series: {src1: [...]}}`.
 */
export interface TimeSeries {
  name: string;
  yLabel?: string;
  steps: number[];
  series: Record<string, number[]>;
}

export interface MethodResult {
  /** Every training episode in order: the learning curve is built from these. */
  episodes: EpisodeRecord[];
  /** Where the final agent was saved, if anywhere (usually `outDir`). */
  checkpointDir?: string;
  /** JSON-serialisable extras kept in the job's result file; `timeSeries` is plotted. */
  extra?: { timeSeries?: TimeSeries[]; [key: string]: unknown };
}

export interface MethodRegistration<S extends z.ZodObject = z.ZodObject> {
  /** Lowercase unique kind: 'scratch', 'finetune', 'a2t', ... */
  kind: string;
  /** Strict object schema of the kind's own fields of a methods[] entry. */
  schema: S;
  /** One line for `osmosis run --help`. */
  summary?: string;
  /** Whether `algo` must name a registered RL algorithm (its schema then checks hyperparams). */
  usesAlgorithm?: boolean;
  run(ctx: MethodContext): Promise<MethodResult>;
}

const methods = new Map<string, MethodRegistration>();

export function registerMethod<S extends z.ZodObject>(registration: MethodRegistration<S>): void {
  const { kind } = registration;
  if (!/^[a-z][a-z0-9_-]*$/.test(kind)) {
    throw new ConfigError(
      `registerMethod: kind '${kind}' must be lowercase letters, digits, '-' or '_'`,
    );
  }
  if (methods.has(kind)) throw new ConfigError(`registerMethod: '${kind}' is already registered`);
  methods.set(kind, registration as unknown as MethodRegistration);
}

export function getMethod(kind: string): MethodRegistration {
  const m = methods.get(kind);
  if (!m) {
    throw new ConfigError(
      `unknown method kind '${kind}'; registered: ${registeredMethods().join(', ') || '(none)'}`,
    );
  }
  return m;
}

export function hasMethod(kind: string): boolean {
  return methods.has(kind);
}

export function registeredMethods(): string[] {
  return [...methods.keys()].sort();
}
