/**
 * `osmosis run`: resolve an experiment config, run every (method, seed) job on a pool of worker
 * threads, and write the run folder (layout in run-dir.ts): metrics.jsonl as jobs go, a result
 * file per finished job, then summary.json, plots and the run index row.
 *
 * Resume: a job is finished exactly when its result file exists (written atomically after its
 * metrics lines were flushed), so after a crash or SIGKILL `resumeExperiment` reruns the jobs
 * without one, from a clean checkpoint folder, and keeps the others untouched.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { CheckpointError, ConfigError } from '../core/errors.js';
import { writeFileAtomic } from '../core/io/atomic.js';
import type { EpisodeRecord } from '../rl/algos/types.js';
import './builtins.js';
import { loadRlRegistries } from './rl-registries.js';
import type { MethodResult } from './methods.js';
import { runJobsInProcess, runJobsInWorkers, type JobCallbacks, type PoolJob } from './pool.js';
import { ProgressBoard } from './progress.js';
import { scheduleJobs } from './schedule.js';
import { backendFromEnv, threadsPerWorker, type BackendChoice } from './worker-backend.js';
import {
  checkpointPath,
  CONFIG_FILE,
  jobResultSchema,
  METRICS_FILE,
  MetricsLog,
  readRunInfo,
  SUMMARY_FILE,
  tryReadJobResult,
  writeJobResult,
  writeRunInfo,
  type JobResult,
  type RunInfo,
} from './run-dir.js';
import { RunIndex, summaryMetricRows } from './run-index.js';
import {
  configHash,
  experimentToYaml,
  importModules,
  loadExperiment,
  parseExperimentYaml,
  validateExperiment,
  type ResolvedExperiment,
} from './schema.js';
import {
  computeSummary,
  methodBands,
  methodTimeSeries,
  writeSummary,
  type RunSummary,
} from './summary.js';

export interface RunOptions {
  /** Folder holding run folders and index.sqlite (default 'runs'). */
  out?: string;
  /** Use seeds 0..n-1 instead of the config's seeds. */
  seeds?: number;
  /** Parallel jobs: worker threads (default: config `workers`, else the number of cores); 0 runs the jobs one by one in this thread. */
  workers?: number;
  /** Modules to import first (registering methods, algorithms, envs); kept for resume. */
  modules?: string[];
  /** Progress and log lines (default: nowhere). */
  log?: (s: string) => void;
  /** Redraw progress in place (a terminal). */
  tty?: boolean;
  /** Kernel backend of the worker threads (default: OSMOSIS_BACKEND / OSMOSIS_THREADS, wasm). */
  backend?: BackendChoice;
}

export interface RunOutcome {
  id: string;
  runDir: string;
  status: 'finished' | 'failed';
  /** Jobs run now, and jobs skipped because a previous attempt finished them. */
  ran: number;
  skipped: number;
  failed: { method: string; seed: number; error: string }[];
  summary: RunSummary | null;
  plots: string[];
  /** Why the SQLite index could not be updated, if it could not. */
  indexError?: string;
}

function gitCommit(cwd: string): string | null {
  try {
    const out = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd,
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    });
    return out.toString().trim() || null;
  } catch {
    return null;
  }
}

function stamp(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

/** Create runs/<name>-<utc time>-<hash8>[-k], the first such folder that does not exist yet. */
function createRunDir(
  root: string,
  experiment: ResolvedExperiment,
  hash: string,
): { id: string; dir: string } {
  fs.mkdirSync(root, { recursive: true });
  const base = `${experiment.name}-${stamp(new Date())}-${hash.slice(0, 8)}`;
  for (let k = 1; k < 1000; k++) {
    const id = k === 1 ? base : `${base}-${k}`;
    const dir = join(root, id);
    try {
      fs.mkdirSync(dir);
      return { id, dir };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  throw new CheckpointError(`cannot create a run folder for ${base} under ${root}`);
}

export async function runExperiment(
  configFile: string,
  options: RunOptions = {},
): Promise<RunOutcome> {
  const modules = (options.modules ?? []).map((m) => (/^\.{1,2}[/\\]/.test(m) ? resolve(m) : m));
  await loadRlRegistries();
  let experiment = await loadExperiment(configFile, { modules });
  if (options.seeds !== undefined) {
    if (!Number.isInteger(options.seeds) || options.seeds < 1) {
      throw new ConfigError(`--seeds must be a positive integer, got ${options.seeds}`);
    }
    experiment = { ...experiment, seeds: Array.from({ length: options.seeds }, (_, i) => i) };
  }
  const hash = configHash(experiment);
  const root = resolve(options.out ?? 'runs');
  const { id, dir } = createRunDir(root, experiment, hash);
  await writeFileAtomic(join(dir, CONFIG_FILE), experimentToYaml(experiment));
  const now = new Date().toISOString();
  const info: RunInfo = {
    format: 'osmosis-run',
    version: 1,
    id,
    name: experiment.name,
    configHash: hash,
    status: 'running',
    createdAt: now,
    startedAt: now,
    finishedAt: null,
    gitCommit: gitCommit(dirname(resolve(configFile))),
    modules,
    attempts: 1,
    jobs: experiment.methods.flatMap((m) =>
      experiment.seeds.map((seed) => ({
        method: m.name,
        seed,
        status: 'pending' as const,
        seconds: null,
        error: null,
      })),
    ),
  };
  await writeRunInfo(dir, info);
  return execute(dir, experiment, info, options);
}

/** Continue an interrupted or failed run: finished jobs are kept, the others run again. */
export async function resumeExperiment(
  runDir: string,
  options: RunOptions = {},
): Promise<RunOutcome> {
  const dir = resolve(runDir);
  const info = await readRunInfo(dir);
  const file = join(dir, CONFIG_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new CheckpointError(`cannot resume ${dir}: ${(err as Error).message}`, { cause: err });
  }
  const raw = parseExperimentYaml(text, file);
  const imports =
    raw !== null && typeof raw === 'object' && Array.isArray((raw as { imports?: unknown }).imports)
      ? ((raw as { imports: unknown[] }).imports.filter((m) => typeof m === 'string') as string[])
      : [];
  await loadRlRegistries();
  await importModules([...info.modules, ...imports]);
  const experiment = validateExperiment(raw, { file, baseDir: dir });
  const hash = configHash(experiment);
  if (hash !== info.configHash) {
    throw new ConfigError(
      `cannot resume ${dir}: ${CONFIG_FILE} no longer matches the run (hash ${hash.slice(0, 12)}, run.json has ${info.configHash.slice(0, 12)}); start a new run instead`,
    );
  }
  if (options.seeds !== undefined) {
    throw new ConfigError('--seeds cannot be combined with --resume: the run keeps its seeds');
  }
  info.attempts += 1;
  info.status = 'running';
  info.startedAt = new Date().toISOString();
  info.finishedAt = null;
  await writeRunInfo(dir, info);
  return execute(dir, experiment, info, options);
}

function openIndex(root: string): { index: RunIndex | null; error?: string } {
  try {
    return { index: RunIndex.open(join(root, 'index.sqlite')) };
  } catch (err) {
    return { index: null, error: (err as Error).message };
  }
}

async function execute(
  dir: string,
  experiment: ResolvedExperiment,
  info: RunInfo,
  options: RunOptions,
): Promise<RunOutcome> {
  const log = options.log ?? ((): void => undefined);
  const { index, error: indexError } = openIndex(dirname(dir));
  const indexed = (f: (ix: RunIndex) => void): void => {
    if (!index) return;
    try {
      f(index);
    } catch (err) {
      log(`warning: run index not updated: ${(err as Error).message}\n`);
    }
  };
  if (indexError) log(`warning: run index unavailable: ${indexError}\n`);
  indexed((ix) => ix.upsertRun(info, dir));

  // run.json is rewritten as jobs end; writes are chained so an older state never lands last.
  let infoWrites = Promise.resolve();
  const saveInfo = (): Promise<void> =>
    (infoWrites = infoWrites.then(() => writeRunInfo(dir, info)));

  const results: JobResult[] = [];
  const configOrder: PoolJob[] = [];
  for (const m of experiment.methods) {
    for (const seed of experiment.seeds) {
      const done = await tryReadJobResult(dir, m.name, seed);
      if (done) {
        results.push(done);
        continue;
      }
      const outDir = checkpointPath(dir, m.name, seed);
      // A rerun starts from a clean folder: what a killed attempt left there is not trusted.
      fs.rmSync(outDir, { recursive: true, force: true });
      fs.mkdirSync(outDir, { recursive: true });
      configOrder.push({ key: `${m.name}/seed-${seed}`, method: m.name, seed, outDir });
    }
  }
  const jobs = scheduleJobs(configOrder, experiment);
  const skipped = results.length;
  if (skipped > 0)
    log(`resuming ${info.id}: skipping ${skipped} finished job(s), running ${jobs.length}\n`);
  else log(`run ${info.id}: ${jobs.length} job(s) -> ${dir}\n`);
  const workers = options.workers ?? experiment.workers ?? availableParallelism();
  if (!Number.isInteger(workers) || workers < 0) {
    throw new ConfigError(`workers must be a non-negative integer, got ${workers}`);
  }
  const backend = options.backend ?? backendFromEnv();
  if (workers > 0 && jobs.length > 0) {
    const n = Math.min(workers, jobs.length);
    const t = threadsPerWorker(backend, n);
    log(`${n} worker(s), ${backend.name} kernels with ${t} thread(s) each\n`);
  }

  const metrics = new MetricsLog(join(dir, METRICS_FILE));
  const attempt = info.attempts;
  metrics.append({
    type: 'run-start',
    attempt,
    time: new Date().toISOString(),
    jobs: jobs.length,
    skipped,
  });
  const board = new ProgressBoard(log, jobs.length, options.tty === true);
  const totals = new Map(experiment.methods.map((m) => [m.name, m.totalSteps]));
  const failed: RunOutcome['failed'] = [];
  const jobInfo = (job: PoolJob): RunInfo['jobs'][number] | undefined =>
    info.jobs.find((j) => j.method === job.method && j.seed === job.seed);

  const callbacks: JobCallbacks = {
    onStart(job) {
      metrics.append({
        type: 'job-start',
        method: job.method,
        seed: job.seed,
        attempt,
        time: new Date().toISOString(),
      });
      board.start(job.key, totals.get(job.method) ?? 0);
    },
    onProgress(job, p) {
      board.update(job.key, p.globalStep, p.totalSteps, p.episodicReturn);
    },
    onEpisode(job, e: EpisodeRecord) {
      metrics.append({ type: 'episode', method: job.method, seed: job.seed, attempt, ...e });
    },
    onEvent(job, e) {
      metrics.append({
        ...e,
        type: 'event',
        event: e.type,
        method: job.method,
        seed: job.seed,
        attempt,
      });
    },
    async onDone(job, result: MethodResult, seconds, backend) {
      const kind = experiment.methods.find((m) => m.name === job.method)!.kind;
      const candidate = {
        format: 'osmosis-job-result' as const,
        version: 1 as const,
        method: job.method,
        kind,
        seed: job.seed,
        episodes: result?.episodes,
        checkpointDir:
          result?.checkpointDir === undefined
            ? null
            : resolve(result.checkpointDir).startsWith(dir)
              ? resolve(result.checkpointDir).slice(dir.length + 1)
              : resolve(result.checkpointDir),
        extra: JSON.parse(JSON.stringify(result?.extra ?? {})) as Record<string, unknown>,
        seconds,
        backend,
        finishedAt: new Date().toISOString(),
      };
      const parsed = jobResultSchema.safeParse(candidate);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        await callbacks.onFailed(
          job,
          `method '${job.method}' returned a malformed result at ${issue.path.join('.') || '(root)'}: ${issue.message}`,
        );
        return;
      }
      metrics.append({
        type: 'job-end',
        method: job.method,
        seed: job.seed,
        attempt,
        status: 'finished',
        seconds,
      });
      // Lines first, then the result file: a result file always has all its lines on disk.
      metrics.flush();
      await writeJobResult(dir, parsed.data);
      results.push(parsed.data);
      const j = jobInfo(job);
      if (j) Object.assign(j, { status: 'finished', seconds, error: null });
      indexed((ix) =>
        ix.upsertJob(info.id, {
          method: job.method,
          seed: job.seed,
          status: 'finished',
          seconds,
          error: null,
        }),
      );
      await saveInfo();
      const last = parsed.data.episodes.at(-1);
      board.finish(
        job.key,
        true,
        last ? `last return ${last.episodicReturn.toFixed(2)}` : 'no episodes',
      );
    },
    async onFailed(job, error) {
      failed.push({ method: job.method, seed: job.seed, error });
      metrics.append({
        type: 'job-end',
        method: job.method,
        seed: job.seed,
        attempt,
        status: 'failed',
        error,
      });
      metrics.flush();
      const j = jobInfo(job);
      if (j) Object.assign(j, { status: 'failed', seconds: null, error: error.split('\n')[0] });
      indexed((ix) =>
        ix.upsertJob(info.id, {
          method: job.method,
          seed: job.seed,
          status: 'failed',
          seconds: null,
          error,
        }),
      );
      await saveInfo();
      board.finish(job.key, false, error.split('\n')[0]);
    },
  };

  try {
    if (workers === 0) await runJobsInProcess(jobs, experiment, callbacks);
    else
      await runJobsInWorkers(
        jobs,
        experiment,
        [...info.modules, ...experiment.imports],
        workers,
        backend,
        callbacks,
      );
  } finally {
    board.close();
    metrics.close();
  }

  const { summary, plots } = await finalize(dir, info.id, experiment, results);
  info.status = failed.length > 0 ? 'failed' : 'finished';
  info.finishedAt = new Date().toISOString();
  await saveInfo();
  indexed((ix) => {
    ix.upsertRun(info, dir);
    ix.replaceMetrics(info.id, summaryMetricRows(summary));
  });
  index?.close();
  return {
    id: info.id,
    runDir: dir,
    status: info.status,
    ran: jobs.length,
    skipped,
    failed,
    summary,
    plots,
    ...(indexError ? { indexError } : {}),
  };
}

function fileSafe(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 80);
}

/** summary.json and the SVG plots, from the finished jobs' results. */
export async function finalize(
  dir: string,
  id: string,
  experiment: ResolvedExperiment,
  results: readonly JobResult[],
): Promise<{ summary: RunSummary; plots: string[] }> {
  const ordered = [...results].sort((a, b) =>
    a.method === b.method ? a.seed - b.seed : a.method < b.method ? -1 : 1,
  );
  const summary = computeSummary(id, experiment, ordered);
  // The sources' reports live beside their cached checkpoints (src/transfer/a2t/sources.ts).
  const { readSourceReports } = await import('../transfer/a2t/source-report.js');
  const sources = readSourceReports(join(dir, 'checkpoints', '_sources'));
  if (sources.length > 0) {
    summary.sources = sources;
    for (const s of sources.filter((x) => x.solved === false)) {
      summary.warnings.push(
        `source '${s.name}' (seed ${s.seed}) does not solve its own task: ${s.check.selected.meanReturn} < ${s.threshold} over ${s.check.episodes} episodes`,
      );
    }
  }
  await writeSummary(join(dir, SUMMARY_FILE), summary);
  // Vega is large: load it only when there is something to plot.
  const { learningCurvesSvg, timeSeriesSvg } = await import('./plots.js');
  const plotsDir = join(dir, 'plots');
  fs.mkdirSync(plotsDir, { recursive: true });
  const plots: string[] = [];
  const save = async (name: string, svg: Promise<string>): Promise<void> => {
    await writeFileAtomic(join(plotsDir, name), await svg);
    plots.push(`plots/${name}`);
  };
  const { bands } = methodBands(experiment, ordered);
  const baseline = summary.baseline;
  const level = experiment.metrics.ci.level;
  if (bands.length > 0) {
    await save(
      'learning-curves.svg',
      learningCurvesSvg(
        bands.map((b) => ({ ...b, dashed: b.name === baseline })),
        { title: `${experiment.name}: learning curves`, level },
      ),
    );
    const base = bands.find((b) => b.name === baseline);
    if (base) {
      for (const b of bands.filter((x) => x.name !== baseline)) {
        await save(
          `${fileSafe(b.name)}-vs-${fileSafe(base.name)}.svg`,
          learningCurvesSvg([b, { ...base, dashed: true }], {
            title: `${b.name} vs ${base.name}`,
            level,
          }),
        );
      }
    }
  }
  for (const m of experiment.methods) {
    for (const ts of methodTimeSeries(m.name, ordered)) {
      await save(
        `${fileSafe(m.name)}-${fileSafe(ts.name)}.svg`,
        timeSeriesSvg(ts, { title: `${m.name}: ${ts.name} (mean over seeds)` }),
      );
    }
  }
  return { summary, plots };
}
