import { Worker } from 'node:worker_threads';
import { BackendError } from '../../errors.js';
import { ACTIVE, CLOSED, CTL_BYTES, DONE, ERROR, GEN, JOINED, STOP } from './layout.js';
import type { WasmMemory, WasmModule } from './wasm-api.js';

/**
 * The main thread polls DONE this long before sleeping in Atomics.wait: its workers usually
 * finish within microseconds of it. Kept short for the same reason as SPIN_MS in worker.mjs.
 */
const MAIN_SPIN_MS = 0.05;

/**
 * Worker threads that share the backend's wasm memory. A job is started by writing its
 * parameters into the control block and bumping GEN (Atomics.notify); the main thread runs
 * share 0 itself, then waits for the workers that joined. No message passing per call.
 *
 * Work is claimed from a shared counter (assembly/gemm.ts), so the main thread alone can finish
 * a job. On a loaded machine a woken worker often waits for a core longer than the job takes
 * (a 64^3 GEMM: 12.6 us alone, 138 us when it had to wait for the worker at load average 8 on
 * 2 cores). So the main thread, once its share is done, closes the job (JOINED -> CLOSED):
 * workers that joined before are waited for, a worker that wakes later skips the job.
 */
export class WorkerPool {
  private disposed = false;
  /** Set when a worker exits or throws outside a job (a job would then wait for it forever). */
  private dead: unknown = null;

  private constructor(
    private readonly ctl: Int32Array,
    private readonly workers: Worker[],
  ) {}

  static async start(
    module: WasmModule,
    memory: WasmMemory,
    ctlOffset: number,
    count: number,
    workerPath: string,
  ): Promise<WorkerPool> {
    const ctl = new Int32Array(memory.buffer, ctlOffset, CTL_BYTES / 4);
    const workers: Worker[] = [];
    try {
      const ready: Promise<void>[] = [];
      for (let tid = 1; tid <= count; tid++) {
        // execArgv: [] - the worker is plain JS and must not inherit flags that only make sense
        // for the main script (--input-type, loaders such as tsx).
        const worker = new Worker(workerPath, {
          workerData: { module, memory, ctlOffset, tid },
          execArgv: [],
        });
        workers.push(worker);
        ready.push(
          new Promise<void>((resolve, reject) => {
            worker.once('message', () => resolve());
            worker.once('error', reject);
            worker.once('exit', (code) => reject(new Error(`exited with code ${code}`)));
          }),
        );
      }
      await Promise.all(ready);
    } catch (cause) {
      for (const w of workers) void w.terminate();
      throw new BackendError(`wasm backend: could not start worker thread ${workerPath}`, {
        cause,
      });
    }
    for (const w of workers) {
      w.removeAllListeners();
      w.unref(); // an idle pool never keeps the process alive
    }
    const pool = new WorkerPool(ctl, workers);
    for (const w of workers) {
      // A worker that dies must not crash the process; the next job reports it instead.
      w.on('error', (e) => (pool.dead ??= e));
      w.on('exit', (code) => (pool.dead ??= new Error(`worker exited with code ${code}`)));
    }
    return pool;
  }

  /** Runs a job on `active` threads (2..workers+1); `own` runs the main thread's share. */
  run(active: number, own: () => void, op: string): void {
    if (this.disposed) throw new BackendError(`${op}: the wasm backend was disposed`);
    if (this.dead !== null) {
      throw new BackendError(`${op}: a wasm worker thread died`, { cause: this.dead });
    }
    const ctl = this.ctl;
    Atomics.store(ctl, ACTIVE, active);
    Atomics.store(ctl, ERROR, 0);
    Atomics.store(ctl, DONE, 0);
    Atomics.store(ctl, JOINED, 0);
    Atomics.add(ctl, GEN, 1);
    Atomics.notify(ctl, GEN);
    let failure: unknown = null;
    try {
      own();
    } catch (e) {
      failure = e; // still wait: workers are writing into the same output
    }
    const joined = Atomics.exchange(ctl, JOINED, CLOSED);
    const until = performance.now() + MAIN_SPIN_MS;
    for (let i = 1, d = Atomics.load(ctl, DONE); d !== joined; i++, d = Atomics.load(ctl, DONE)) {
      if ((i & 1023) === 0 && performance.now() > until) Atomics.wait(ctl, DONE, d);
    }
    if (failure !== null) throw new BackendError(`${op}: wasm kernel failed`, { cause: failure });
    if (Atomics.load(ctl, ERROR) !== 0) {
      throw new BackendError(`${op}: wasm kernel failed in a worker thread`);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    Atomics.store(this.ctl, STOP, 1);
    Atomics.add(this.ctl, GEN, 1);
    Atomics.notify(this.ctl, GEN);
    for (const w of this.workers) void w.terminate();
  }
}
