/**
 * Runs (method, seed) jobs: on a pool of worker threads (each imports the method registry and
 * the run's modules once, then takes one job at a time), or one after another in this thread
 * (`size` 0, for debugging). A job that throws, or a worker that dies mid-job, fails that job
 * only (the worker is replaced); modules that cannot load at all fail the whole pool.
 */
import { Worker } from 'node:worker_threads';
import { ConfigError } from '../core/errors.js';
import type { EpisodeRecord, TrainProgress } from '../rl/algos/types.js';
import { getBackend } from '../core/backend/index.js';
import { getMethod, type MethodEvent, type MethodResult } from './methods.js';
import { moduleSpecifier, type ResolvedExperiment } from './schema.js';
import { threadsPerWorker, type BackendChoice, type JobBackend } from './worker-backend.js';

export interface PoolJob {
  key: string;
  method: string;
  seed: number;
  outDir: string;
}

export interface JobCallbacks {
  onStart(job: PoolJob): void;
  onProgress(job: PoolJob, p: TrainProgress): void;
  onEpisode(job: PoolJob, e: EpisodeRecord): void;
  onEvent(job: PoolJob, e: MethodEvent): void;
  onDone(job: PoolJob, result: MethodResult, seconds: number, backend: JobBackend): Promise<void>;
  onFailed(job: PoolJob, error: string): Promise<void>;
}

type FromWorker =
  | { type: 'ready'; backend: JobBackend }
  | { type: 'fatal'; error: string }
  | { type: 'progress'; key: string; p: TrainProgress }
  | { type: 'episode'; key: string; e: EpisodeRecord }
  | { type: 'event'; key: string; e: MethodEvent }
  | { type: 'done'; key: string; result: MethodResult; seconds: number }
  | { type: 'failed'; key: string; error: string };

// Run as TypeScript (vitest, tsx) the sibling modules are .ts and workers need tsx's loader; run
// from the compiled package they are .js and plain Node suffices.
const EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const METHODS_URL = new URL(`./methods${EXT}`, import.meta.url).href;
const BUILTINS_URL = new URL(`./builtins${EXT}`, import.meta.url).href;
const SELECT_URL = new URL(`../core/backend/select${EXT}`, import.meta.url).href;
// job-worker.mjs sits beside this file (scripts/copy-assets.mjs copies it into dist/).
const ENTRY = new URL('./job-worker.mjs', import.meta.url);

function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}\n${err.stack ?? ''}`.trim();
  return String(err);
}

/**
 * Jobs one after another in this thread, on the backend active here; the methods must be
 * registered here already.
 */
export async function runJobsInProcess(
  jobs: readonly PoolJob[],
  experiment: ResolvedExperiment,
  cb: JobCallbacks,
): Promise<void> {
  for (const job of jobs) {
    cb.onStart(job);
    const started = performance.now();
    let result: MethodResult;
    try {
      const config = experiment.methods.find((m) => m.name === job.method);
      if (!config) throw new ConfigError(`no method named '${job.method}' in the experiment`);
      result = await getMethod(config.kind).run({
        config,
        experiment,
        seed: job.seed,
        outDir: job.outDir,
        onProgress: (p) => cb.onProgress(job, p),
        onEpisode: (e) => cb.onEpisode(job, e),
        onEvent: (e) => cb.onEvent(job, e),
      });
    } catch (err) {
      await cb.onFailed(job, describe(err));
      continue;
    }
    const { name, threads } = getBackend();
    await cb.onDone(job, result, (performance.now() - started) / 1000, { name, threads });
  }
}

/**
 * Jobs on `size` worker threads, each selecting `backend` (its threads default to the cores
 * shared out between the workers); resolves once every job is done or failed.
 */
export function runJobsInWorkers(
  jobs: readonly PoolJob[],
  experiment: ResolvedExperiment,
  modules: readonly string[],
  size: number,
  backend: BackendChoice,
  cb: JobCallbacks,
): Promise<void> {
  const n = Math.max(1, Math.min(size, jobs.length));
  const workerData = {
    tsLoader: EXT === '.ts',
    methodsUrl: METHODS_URL,
    selectUrl: SELECT_URL,
    modules: [BUILTINS_URL, ...modules.map(moduleSpecifier)],
    experiment,
    // An environment for initDefaultBackend: the default (wasm, not named) may fall back to js.
    backend: {
      ...(backend.explicit || backend.name !== 'wasm' ? { OSMOSIS_BACKEND: backend.name } : {}),
      OSMOSIS_THREADS: String(threadsPerWorker(backend, n)),
    },
  };
  const byKey = new Map(jobs.map((j) => [j.key, j]));
  const workers = new Set<Worker>();
  const pending = new Set<Promise<void>>();
  let next = 0;
  let settled = 0;
  let stopped = false;

  return new Promise<void>((resolve, reject) => {
    const stop = (err?: Error): void => {
      if (stopped) return;
      stopped = true;
      const all = [...workers].map((w) => w.terminate());
      void Promise.all([...all, ...pending]).then(() => (err ? reject(err) : resolve()));
    };
    const track = (p: Promise<void>): void => {
      const q = p.then(
        () => {
          pending.delete(q);
          if (++settled === jobs.length) stop();
        },
        (err: unknown) => stop(err instanceof Error ? err : new Error(String(err))),
      );
      pending.add(q);
    };

    const spawn = (): void => {
      const worker = new Worker(ENTRY, { workerData });
      workers.add(worker);
      let current: PoolJob | undefined;
      let ready = false;
      let used: JobBackend | undefined;
      let lastError: string | undefined;
      const feed = (): void => {
        current = next < jobs.length ? jobs[next++] : undefined;
        if (current) {
          cb.onStart(current);
          worker.postMessage(current);
        } else {
          workers.delete(worker);
          void worker.terminate();
        }
      };
      worker.on('message', (msg: FromWorker) => {
        if (stopped) return;
        if (msg.type === 'fatal') {
          stop(new ConfigError(`experiment worker cannot load its modules: ${msg.error}`));
          return;
        }
        if (msg.type === 'ready') {
          ready = true;
          used = msg.backend;
          feed();
          return;
        }
        const job = byKey.get(msg.key);
        if (!job || job !== current) return;
        switch (msg.type) {
          case 'progress':
            cb.onProgress(job, msg.p);
            break;
          case 'episode':
            cb.onEpisode(job, msg.e);
            break;
          case 'event':
            cb.onEvent(job, msg.e);
            break;
          case 'done':
            current = undefined;
            track(cb.onDone(job, msg.result, msg.seconds, used!));
            feed();
            break;
          case 'failed':
            current = undefined;
            track(cb.onFailed(job, msg.error));
            feed();
            break;
        }
      });
      worker.on('error', (err) => {
        lastError = describe(err);
      });
      worker.on('exit', (code) => {
        const live = workers.delete(worker);
        if (stopped || !live) return;
        if (!ready) {
          stop(
            new ConfigError(
              `experiment worker died while loading: ${lastError ?? `exit code ${code}`}`,
            ),
          );
          return;
        }
        if (current) {
          const job = current;
          current = undefined;
          track(
            cb.onFailed(job, `worker died during the job: ${lastError ?? `exit code ${code}`}`),
          );
        }
        if (next < jobs.length) spawn();
      });
    };

    if (jobs.length === 0) return resolve();
    for (let i = 0; i < n; i++) spawn();
  });
}
