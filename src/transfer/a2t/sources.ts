/**
 * Where transfer methods get their source agents: the experiment's `source` entries. An entry
 * with a `checkpoint` is loaded (with the algorithm its config.json names); one without is
 * pretrained here with its `algo`, `totalSteps`, `hyperparams` and `env` (default: the
 * experiment's env), and cached so every method and seed that asks for the same source with the
 * same seed trains it once per run:
 *
 *   runs/<id>/checkpoints/_sources/<name>-<hash of the spec and seed>/   an agent checkpoint
 *
 * (`_sources` cannot clash with a method's folder: method names start with a letter or digit.)
 * Jobs run in parallel worker threads, so training is guarded by a lock file created with 'wx';
 * the holder touches it as training progresses, and a lock nobody touched for `staleMs` (a killed
 * run) is taken over. Training is deterministic in its seed, so whoever trains it, the cached
 * source is the same. With `evaluation` the pretraining evaluates periodically and the cached
 * agent is the best one, checked on its own task (source-report.ts).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CheckpointError, ConfigError } from '../../core/index.js';
import { readCheckpointConfig, CONFIG_FILE } from '../../rl/algos/common/checkpoint.js';
import { getAlgorithm } from '../../rl/algos/registry.js';
import { DEFAULT_EVAL_EPISODES } from '../../rl/algos/common/eval-callback.js';
import type { Agent } from '../../rl/algos/types.js';
import { selectSource, writeSourceReport, type SourceReport } from './source-report.js';

/** One entry of the experiment's `source` (see src/experiments/schema.ts). */
export interface SourceSpec {
  name?: string;
  env?: { id: string; options?: Record<string, unknown> };
  checkpoint?: string;
  algo?: string;
  totalSteps?: number;
  hyperparams?: Record<string, unknown>;
  /** Periodic evaluation while pretraining; the best agent becomes the source. */
  evaluation?: { every: number; episodes?: number };
}

interface ExperimentLike {
  env: { id: string; options: Record<string, unknown> };
  source?: SourceSpec | SourceSpec[];
}

/** The experiment's sources with their names ('source' alone, else 'source-<i>' when unnamed). */
export function experimentSources(experiment: ExperimentLike): (SourceSpec & { name: string })[] {
  const list =
    experiment.source === undefined
      ? []
      : Array.isArray(experiment.source)
        ? experiment.source
        : [experiment.source];
  return list.map((s, i) => ({
    ...s,
    name: s.name ?? (list.length === 1 ? 'source' : `source-${i}`),
  }));
}

/** The source called `name` (or the only one when `name` is undefined). */
export function findSource(
  experiment: ExperimentLike,
  name: string | undefined,
  method: string,
): SourceSpec & { name: string } {
  const all = experimentSources(experiment);
  if (all.length === 0) {
    throw new ConfigError(`${method}: the experiment has no 'source' entry to transfer from`);
  }
  if (name === undefined) {
    if (all.length > 1) {
      throw new ConfigError(
        `${method}: the experiment has ${all.length} sources (${all.map((s) => s.name).join(', ')}); name the one to use`,
      );
    }
    return all[0];
  }
  const hit = all.find((s) => s.name === name);
  if (!hit) {
    throw new ConfigError(
      `${method}: no source named '${name}'; sources: ${all.map((s) => s.name).join(', ')}`,
    );
  }
  return hit;
}

/** The folder sources are cached in, for a job writing its checkpoint to `outDir`. */
export function sourceCacheRoot(outDir: string): string {
  const methodDir = dirname(outDir);
  const checkpoints = dirname(methodDir);
  if (basename(checkpoints) === 'checkpoints') return join(checkpoints, '_sources');
  return join(outDir, '_sources');
}

export interface ObtainSourceOptions {
  /** The experiment's env: the default env of a source that has none. */
  defaultEnv: { id: string; options: Record<string, unknown> };
  /** Seed of the source's own training. */
  seed: number;
  cacheRoot: string;
  /** A lock untouched this long is taken over (default 120 s). */
  staleMs?: number;
  /** Told when this job trains the source (not when it waits for, or loads, one). */
  onTrain?: (info: {
    name: string;
    dir: string;
    seconds: number;
    episodes: number;
    report?: SourceReport;
  }) => void;
}

export interface ObtainedSource {
  name: string;
  dir: string;
  agent: Agent;
  algo: string;
  env: { id: string; options: Record<string, unknown> };
}

async function loadAny(dir: string, name: string): Promise<{ agent: Agent; algo: string }> {
  const config = await readCheckpointConfig(dir);
  let algo;
  try {
    algo = getAlgorithm(config.algo);
  } catch (err) {
    throw new CheckpointError(`source '${name}': ${dir}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return { agent: await algo.load(dir), algo: config.algo };
}

function evaluationOf(spec: SourceSpec): SourceReport['evaluation'] | undefined {
  const e = spec.evaluation;
  return e === undefined
    ? undefined
    : { every: e.every, episodes: e.episodes ?? DEFAULT_EVAL_EPISODES };
}

function specHash(spec: SourceSpec, env: ObtainedSource['env'], seed: number): string {
  const evaluation = evaluationOf(spec);
  const key = JSON.stringify({
    env: { id: env.id, options: sortKeys(env.options) },
    algo: spec.algo,
    totalSteps: spec.totalSteps,
    hyperparams: sortKeys(spec.hyperparams ?? {}),
    seed,
    // Only when set, so that the folders of sources without it keep their names.
    ...(evaluation ? { evaluation } : {}),
  });
  return createHash('sha256').update(key).digest('hex').slice(0, 12);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(o)
        .sort()
        .map((k) => [k, sortKeys(o[k])]),
    );
  }
  return v;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Load the source's checkpoint, or pretrain it (once per cache folder) and load that. */
export async function obtainSource(
  spec: SourceSpec & { name: string },
  options: ObtainSourceOptions,
): Promise<ObtainedSource> {
  const env = {
    id: spec.env?.id ?? options.defaultEnv.id,
    options: spec.env?.options ?? (spec.env ? {} : options.defaultEnv.options),
  };
  if (spec.checkpoint !== undefined) {
    const { agent, algo } = await loadAny(spec.checkpoint, spec.name);
    return {
      name: spec.name,
      dir: spec.checkpoint,
      agent,
      algo,
      env: { id: agent.envId, options: agent.envOptions },
    };
  }
  if (spec.algo === undefined || spec.totalSteps === undefined) {
    throw new ConfigError(
      `source '${spec.name}': give either 'checkpoint' or both 'algo' and 'totalSteps' to pretrain it`,
    );
  }
  const algo = getAlgorithm(spec.algo);
  const evaluation = evaluationOf(spec);
  if (evaluation && algo.evaluation === undefined) {
    throw new ConfigError(
      `source '${spec.name}': algorithm '${spec.algo}' has no periodic evaluation (drop 'evaluation')`,
    );
  }
  const dir = join(options.cacheRoot, `${spec.name}-${specHash(spec, env, options.seed)}`);
  const bestDir = `${dir}.best`;
  const lock = `${dir}.lock`;
  const done = (): boolean => fs.existsSync(join(dir, CONFIG_FILE));
  const staleMs = options.staleMs ?? 120_000;
  fs.mkdirSync(options.cacheRoot, { recursive: true });
  for (;;) {
    if (done()) {
      const { agent } = await loadAny(dir, spec.name);
      return { name: spec.name, dir, agent, algo: spec.algo, env };
    }
    let fd: number;
    try {
      fd = fs.openSync(lock, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      try {
        if (Date.now() - fs.statSync(lock).mtimeMs > staleMs) fs.rmSync(lock, { force: true });
      } catch {
        // The holder finished between the two calls: look again.
      }
      await sleep(200);
      continue;
    }
    try {
      fs.closeSync(fd);
      if (done()) continue;
      const started = performance.now();
      let touched = Date.now();
      if (evaluation) fs.rmSync(bestDir, { recursive: true, force: true });
      const result = await algo.train({
        envId: env.id,
        envOptions: env.options,
        seed: options.seed,
        totalSteps: spec.totalSteps,
        hyperparams: spec.hyperparams,
        ...(evaluation ? { evaluation: { ...evaluation, bestDir } } : {}),
        onProgress: () => {
          if (Date.now() - touched < 1000) return;
          touched = Date.now();
          const now = new Date();
          try {
            fs.utimesSync(lock, now, now);
          } catch {
            // A lock taken over as stale: the other trainer writes the same files.
          }
        },
      });
      let agent = result.agent;
      let report: SourceReport | undefined;
      if (evaluation) {
        ({ agent, report } = await selectSource({
          name: spec.name,
          algo,
          env,
          seed: options.seed,
          totalSteps: spec.totalSteps,
          evaluation,
          result,
          bestDir,
        }));
        // Before the checkpoint: its config.json is what marks the source as done.
        await writeSourceReport(dir, report);
      }
      await agent.save(dir);
      fs.rmSync(bestDir, { recursive: true, force: true });
      options.onTrain?.({
        name: spec.name,
        dir,
        seconds: (performance.now() - started) / 1000,
        episodes: result.episodes.length,
        ...(report ? { report } : {}),
      });
      // Loaded back below like any cached source, so every job sees the same agent.
    } finally {
      fs.rmSync(lock, { force: true });
    }
  }
}

export interface SourceRequest {
  /** The experiment source's name (default: the only one). */
  source?: string;
}

export interface SourceContext {
  experiment: ExperimentLike;
  /** The method's name (for messages). */
  method: string;
  /** The job's seed, and the source seed setting ('job': the job's seed). */
  seed: number;
  sourceSeed: 'job' | number;
  /** The job's checkpoint folder (sources are cached beside it). */
  outDir: string;
  /** Told when this job pretrains a source. */
  onEvent?: (e: { type: string; globalStep: number; [key: string]: unknown }) => void;
}

/**
 * Obtain the experiment sources that `requests` name, each once (several uses of one source,
 * e.g. with different maps, share the agent object: it is frozen).
 */
export async function obtainSources(
  requests: readonly SourceRequest[],
  ctx: SourceContext,
): Promise<ObtainedSource[]> {
  const cache = new Map<string, ObtainedSource>();
  const out: ObtainedSource[] = [];
  for (const r of requests) {
    const spec = findSource(ctx.experiment, r.source, ctx.method);
    let got = cache.get(spec.name);
    if (!got) {
      got = await obtainSource(spec, {
        defaultEnv: ctx.experiment.env,
        seed: ctx.sourceSeed === 'job' ? ctx.seed : ctx.sourceSeed,
        cacheRoot: sourceCacheRoot(ctx.outDir),
        onTrain: (info) =>
          ctx.onEvent?.({
            type: 'source-trained',
            globalStep: 0,
            source: info.name,
            seconds: info.seconds,
            episodes: info.episodes,
            ...(info.report ? sourceEventFields(info.report) : {}),
          }),
      });
      cache.set(spec.name, got);
    }
    out.push(got);
  }
  return out;
}

/** What the 'source-trained' event records of a source's evaluation and check. */
function sourceEventFields(r: SourceReport): Record<string, unknown> {
  return {
    selected: r.selected,
    bestStep: r.bestStep,
    checkEpisodes: r.check.episodes,
    checkReturn: r.check.selected.meanReturn,
    finalReturn: r.check.final.meanReturn,
    solved: r.solved,
  };
}
