/**
 * A fixed pool of worker threads for a sweep. Each worker imports the user's module once and
 * takes one job at a time; results land in the slot of their job index, so the output order never
 * depends on which worker finished first. A run that throws comes back as an error; a worker that
 * dies mid-run (process.exit, an uncaught async throw, out of memory) fails only that run and is
 * replaced. A module that cannot be loaded at all is a SweepError: every run would fail alike.
 */
import { Worker } from 'node:worker_threads';
import { SweepError } from './errors.js';

export interface PoolJob {
  index: number;
  run: number;
  params: Record<string, unknown>;
  seed: number;
}

export type PoolOutcome = { metrics: unknown; error?: undefined } | { error: string };

type FromWorker =
  | { type: 'ready' }
  | { type: 'fatal'; error: string }
  | { type: 'result'; index: number; metrics?: unknown; error?: string };

const ENTRY = new URL('./sweep-worker.mjs', import.meta.url);

export function runPool(
  jobs: readonly PoolJob[],
  moduleUrl: string,
  exportName: string,
  size: number,
  onOutcome: (job: PoolJob, outcome: PoolOutcome) => void,
): Promise<PoolOutcome[]> {
  const outcomes: PoolOutcome[] = new Array(jobs.length);
  const workers = new Set<Worker>();
  let next = 0;
  let finished = 0;
  let settled = false;

  return new Promise((resolve, reject) => {
    const stop = (err?: Error): void => {
      if (settled) return;
      settled = true;
      const all = [...workers].map((w) => w.terminate());
      void Promise.all(all).then(() => (err ? reject(err) : resolve(outcomes)));
    };

    const record = (job: PoolJob, outcome: PoolOutcome): void => {
      if (outcomes[job.index] !== undefined) return;
      outcomes[job.index] = outcome;
      finished++;
      try {
        onOutcome(job, outcome);
      } catch (err) {
        return stop(err instanceof Error ? err : new SweepError(String(err)));
      }
      if (finished === jobs.length) stop();
    };

    const spawn = (): void => {
      const worker = new Worker(ENTRY, { workerData: { moduleUrl, exportName } });
      workers.add(worker);
      let current: PoolJob | undefined;
      let ready = false;
      let lastError: string | undefined;
      const feed = (): void => {
        current = next < jobs.length ? jobs[next++] : undefined;
        if (current) worker.postMessage(current);
        else {
          workers.delete(worker);
          void worker.terminate();
        }
      };
      worker.on('message', (msg: FromWorker) => {
        if (settled) return;
        if (msg.type === 'fatal') {
          stop(
            new SweepError(`sweep: cannot load '${exportName}' from ${moduleUrl}: ${msg.error}`),
          );
        } else if (msg.type === 'ready') {
          ready = true;
          feed();
        } else if (current && msg.index === current.index) {
          const job = current;
          record(job, msg.error === undefined ? { metrics: msg.metrics } : { error: msg.error });
          if (!settled) feed();
        }
      });
      worker.on('error', (err) => {
        lastError = err instanceof Error ? (err.stack ?? err.message) : String(err);
      });
      worker.on('exit', (code) => {
        const wasLive = workers.delete(worker);
        if (settled || !wasLive) return;
        if (!ready) {
          const why = lastError ?? `exit code ${code}`;
          return stop(new SweepError(`sweep: worker for ${moduleUrl} died while loading: ${why}`));
        }
        if (current)
          record(current, { error: `worker died during run: ${lastError ?? `exit code ${code}`}` });
        if (!settled && next < jobs.length) spawn();
      });
    };

    if (jobs.length === 0) return resolve(outcomes);
    const n = Math.max(1, Math.min(size, jobs.length));
    for (let i = 0; i < n; i++) spawn();
  });
}
