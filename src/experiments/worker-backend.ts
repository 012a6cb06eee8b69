/**
 * Which kernel backend the experiment workers use. Each worker thread has its own copy of the
 * module state, so the backend a parent process selected does not reach it: the runner decides
 * here, passes the choice in workerData, and each worker selects it before its first job.
 */
import { availableParallelism } from 'node:os';
import { parseBackendName, type BackendName } from '../core/backend/index.js';
import { ConfigError } from '../core/errors.js';

export interface BackendChoice {
  name: BackendName;
  /** Kernel threads per worker; undefined: split the cores between the parallel workers. */
  threads?: number;
  /**
   * The user named the backend: a wasm build that is missing is then an error, not a quiet
   * fallback to js (as in initDefaultBackend).
   */
  explicit: boolean;
}

/** The backend the user asked for: OSMOSIS_BACKEND (default wasm) and OSMOSIS_THREADS. */
export function backendFromEnv(env: NodeJS.ProcessEnv = process.env): BackendChoice {
  const name = parseBackendName(env.OSMOSIS_BACKEND ?? 'wasm', 'OSMOSIS_BACKEND');
  const raw = env.OSMOSIS_THREADS;
  let threads: number | undefined;
  if (raw !== undefined && raw !== '') {
    threads = Number(raw);
    if (!Number.isInteger(threads) || threads < 1) {
      throw new ConfigError(`OSMOSIS_THREADS must be an integer >= 1, got '${raw}'`);
    }
  }
  return {
    name,
    ...(threads !== undefined ? { threads } : {}),
    explicit: env.OSMOSIS_BACKEND !== undefined,
  };
}

/**
 * Kernel threads for each of `workers` parallel workers: the cores shared out, at least one.
 * Experiment jobs are small networks whose GEMMs gain little from threads, so parallel jobs use
 * the cores better than threaded kernels (experiments/README.md has the measurement); a job with
 * cores to spare still gets them.
 */
export function threadsPerWorker(
  choice: BackendChoice,
  workers: number,
  cores = availableParallelism(),
): number {
  return choice.threads ?? Math.max(1, Math.floor(cores / Math.max(1, workers)));
}

/** The backend a job ran on, as recorded in its result file. */
export interface JobBackend {
  name: BackendName;
  threads: number;
  /**
   * The wasm kernel build: results differ between them in the last bits (fused multiply-add),
   * so a seeded job reproduces only on the same build (OSMOSIS_WASM_SIMD selects it).
   */
  simd?: 'relaxed' | 'baseline';
}
