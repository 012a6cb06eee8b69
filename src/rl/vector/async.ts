import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ValueError } from '../../core/errors.js';
import type { Info, ResetResult, StepResult } from '../env.js';
import { EnvError } from '../errors.js';
import type { MakeArgs } from '../registry.js';
import type { Space, SpaceJSON } from '../spaces/space.js';
import { Tuple } from '../spaces/tuple.js';
import { spaceFromJSON } from '../spaces/utils.js';
import {
  envSeed,
  type VectorResetArgs,
  type VectorResetResult,
  type VectorStepResult,
} from './types.js';

export interface AsyncVectorEnvOptions {
  /** A registered id; each worker builds its env with `make(id, options, makeArgs)`. */
  id: string;
  numEnvs: number;
  options?: Record<string, unknown>;
  makeArgs?: MakeArgs;
  /**
   * Modules (absolute paths or URLs) each worker imports to register envs before `make`.
   * Defaults to the built-in families (src/rl/envs/index).
   */
  modules?: string[];
}

type Reply =
  | { ok: true; value: unknown }
  | { ok: false; error: { name: string; message: string; stack: string } };

// Run as TypeScript (vitest, tsx) the sibling modules are .ts and workers need tsx's loader;
// run from the compiled package they are .js and plain Node suffices.
const EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const REGISTRY_URL = new URL(`../registry${EXT}`, import.meta.url).href;
const BUILTIN_ENVS_URL = new URL(`../envs/index${EXT}`, import.meta.url).href;
// worker.mjs must sit beside this file (copy it into dist/ when building the package).
const WORKER_URL = new URL('./worker.mjs', import.meta.url);

/** A worker thread hosting one env, with its replies handed out in request order. */
class EnvWorker {
  private readonly pending: { resolve: (v: unknown) => void; reject: (e: Error) => void }[] = [];
  private dead: Error | null = null;

  constructor(
    readonly worker: Worker,
    readonly index: number,
  ) {
    worker.on('message', (m: Reply) => {
      const p = this.pending.shift();
      if (!p) return;
      if (m.ok) p.resolve(m.value);
      else {
        const err = new EnvError(
          `AsyncVectorEnv worker ${index}: ${m.error.name}: ${m.error.message}`,
        );
        err.stack = `${err.stack}\n--- in worker ---\n${m.error.stack}`;
        p.reject(err);
      }
    });
    const fail = (e: Error): void => {
      this.dead = e;
      for (const p of this.pending.splice(0)) p.reject(e);
    };
    worker.on('error', (e) =>
      fail(new EnvError(`AsyncVectorEnv worker ${index} crashed`, { cause: e })),
    );
    worker.on('exit', (code) =>
      fail(new EnvError(`AsyncVectorEnv worker ${index} exited (code ${code})`)),
    );
  }

  /** The next reply (the first one is the init message). */
  next(): Promise<unknown> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }

  request(msg: Record<string, unknown>): Promise<unknown> {
    const p = this.next();
    if (!this.dead) this.worker.postMessage(msg);
    return p;
  }
}

/**
 * Gymnasium's AsyncVectorEnv on worker_threads: one env per worker, built there by registry id.
 * Same seeding and next-step autoreset as SyncVectorEnv, so for equal seeds and actions both
 * give identical trajectories. Methods are async; `stepAsync` / `stepWait` split a step as in
 * Gymnasium so the caller can work while the envs run.
 */
export class AsyncVectorEnv<Obs = unknown, Act = unknown> {
  readonly numEnvs: number;
  readonly autoresetMode = 'next-step' as const;
  private waiting: Promise<unknown[]> | null = null;
  private closed = false;

  private constructor(
    private readonly workers: EnvWorker[],
    readonly singleObservationSpace: Space<Obs>,
    readonly singleActionSpace: Space<Act>,
  ) {
    this.numEnvs = workers.length;
  }

  get actionSpace(): Tuple<Space<Act>[]> {
    return new Tuple(Array.from({ length: this.numEnvs }, () => this.singleActionSpace));
  }

  static async create<Obs = unknown, Act = unknown>(
    opts: AsyncVectorEnvOptions,
  ): Promise<AsyncVectorEnv<Obs, Act>> {
    if (!Number.isInteger(opts.numEnvs) || opts.numEnvs < 1) {
      throw new ValueError(
        `AsyncVectorEnv: numEnvs must be a positive integer, got ${opts.numEnvs}`,
      );
    }
    const modules = (opts.modules ?? [BUILTIN_ENVS_URL]).map((m) =>
      isAbsolute(m) ? pathToFileURL(m).href : m,
    );
    const workerData = {
      registryUrl: REGISTRY_URL,
      modules,
      id: opts.id,
      options: opts.options ?? {},
      makeArgs: opts.makeArgs ?? {},
      tsLoader: EXT === '.ts',
    };
    const workers = Array.from(
      { length: opts.numEnvs },
      (_, i) => new EnvWorker(new Worker(WORKER_URL, { workerData }), i),
    );
    let inits: unknown[];
    try {
      inits = await Promise.all(workers.map((w) => w.next()));
    } catch (e) {
      await Promise.all(workers.map((w) => w.worker.terminate()));
      throw e;
    }
    const spaces = inits as { observationSpace: SpaceJSON; actionSpace: SpaceJSON }[];
    return new AsyncVectorEnv<Obs, Act>(
      workers,
      spaceFromJSON(spaces[0].observationSpace) as Space<Obs>,
      spaceFromJSON(spaces[0].actionSpace) as Space<Act>,
    );
  }

  async reset(args: VectorResetArgs = {}): Promise<VectorResetResult<Obs>> {
    this.checkIdle('reset');
    const rs = (await Promise.all(
      this.workers.map((w, i) =>
        w.request({
          cmd: 'reset',
          args: { seed: envSeed(args.seed, i, this.numEnvs), options: args.options },
        }),
      ),
    )) as ResetResult<Obs>[];
    return { observations: rs.map((r) => r.observation), infos: rs.map((r) => r.info) };
  }

  stepAsync(actions: readonly Act[]): void {
    this.checkIdle('stepAsync');
    if (actions.length !== this.numEnvs) {
      throw new EnvError(
        `AsyncVectorEnv.step: got ${actions.length} actions for ${this.numEnvs} envs`,
      );
    }
    this.waiting = Promise.all(
      this.workers.map((w, i) => w.request({ cmd: 'step', action: actions[i] })),
    );
  }

  async stepWait(): Promise<VectorStepResult<Obs>> {
    if (this.waiting === null) throw new EnvError('AsyncVectorEnv.stepWait: no stepAsync pending');
    const pending = this.waiting;
    this.waiting = null;
    const rs = (await pending) as StepResult<Obs>[];
    const infos: Info[] = rs.map((r) => r.info);
    return {
      observations: rs.map((r) => r.observation),
      rewards: Float64Array.from(rs, (r) => r.reward),
      terminations: rs.map((r) => r.terminated),
      truncations: rs.map((r) => r.truncated),
      infos,
    };
  }

  step(actions: readonly Act[]): Promise<VectorStepResult<Obs>> {
    this.stepAsync(actions);
    return this.stepWait();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.waiting) await this.waiting.catch(() => undefined);
    await Promise.all(
      this.workers.map(async (w) => {
        await w.request({ cmd: 'close' }).catch(() => undefined);
        await w.worker.terminate();
      }),
    );
  }

  private checkIdle(op: string): void {
    if (this.closed) throw new EnvError(`AsyncVectorEnv.${op}: used after close()`);
    if (this.waiting !== null)
      throw new EnvError(`AsyncVectorEnv.${op}: a step is pending; call stepWait() first`);
  }
}
