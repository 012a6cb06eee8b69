/**
 * In-process simulation of federated rounds. Per round the server samples clients (a fraction,
 * at least `minClients`), sends each the shared parameters, and waits for updates until the
 * round's deadline; then the strategy aggregates what came back, given what failed.
 *
 * Time is simulated, so runs are deterministic: a client's round time is
 * (bytes down + bytes up) / bandwidth + epochs · examples · secondsPerExample, times a
 * log-normal jitter exp(σ·z). Past the deadline the client is a straggler: dropped, or (with
 * `stragglers: 'partial'`, FedProx's "variable work") told to run only the epochs that fit.
 * A drop-out vanishes after receiving the model. Real failures are real: a client whose fit
 * throws is a failure ('error'), one whose promise does not settle within `timeoutMs` (wall
 * clock) is a failure ('timeout'). All random draws of a round happen before any client runs, in
 * client order, so the outcome does not depend on the order in which promises settle.
 *
 * Communication accounting counts the parameter tensors actually sent: down, the shared model to
 * every sampled client; up, the parameters of every update that reached the server (including
 * ones later excluded as invalid; not those of stragglers and drop-outs).
 */
import { z } from 'zod';
import { Generator } from '../core/index.js';
import { DEFAULT_PROFILE, type FederatedClient } from './client.js';
import { TooFewClientsError, FederatedError } from './errors.js';
import { cloneParams, paramBytes, type ParamMap } from './params.js';
import type { AggregateReport, ClientFailure, ClientResult, Strategy } from './strategies/types.js';
import { partitionResults } from './strategies/validate.js';
import { weightingSchema } from './weights.js';

export const simulationSchema = z
  .object({
    /** Fraction of the clients sampled per round. */
    fraction: z.number().gt(0).lte(1).default(1),
    /** Fewer clients available than this: TooFewClientsError. Also the least sampled. */
    minClients: z.number().int().min(1).default(1),
    /** Fewer valid updates than this: the round fails (TooFewClientsError). */
    minResults: z.number().int().min(0).default(1),
    /** Local epochs per round. */
    epochs: z.number().int().positive().default(1),
    /** Simulated seconds the server waits per round; null: forever. */
    deadline: z.number().positive().nullable().default(null),
    stragglers: z.enum(['drop', 'partial']).default('drop'),
    /** σ of the log-normal latency jitter. */
    jitter: z.number().min(0).default(0),
    /** Wall-clock guard against a client promise that never settles; null: none. */
    timeoutMs: z.number().int().positive().nullable().default(null),
    weighting: weightingSchema.default('data-size'),
    serverLr: z.number().positive().default(1),
    /** A round that fails for too few clients is recorded and skipped instead of thrown. */
    skipFailedRounds: z.boolean().default(false),
  })
  .strict();
export type SimulationOptions = z.input<typeof simulationSchema>;

export interface RoundReport extends AggregateReport {
  round: number;
  status: 'aggregated' | 'skipped';
  sampled: string[];
  /** Why the round was skipped (too few clients). */
  error?: string;
  bytesDown: number;
  bytesUp: number;
  /** Simulated duration: the deadline if anyone missed it, else the slowest client. */
  seconds: number;
}

interface Plan {
  client: FederatedClient;
  epochs: number;
  latency: number;
  fate: 'run' | 'dropout' | 'straggler';
}

function withTimeout<T>(value: T | Promise<T>, ms: number | null): Promise<T> {
  const p = Promise.resolve(value);
  if (ms === null) return p;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new FederatedError(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export class FederatedSimulation {
  readonly options: z.output<typeof simulationSchema>;
  private globalParams: ParamMap;
  private readonly rng: Generator;
  readonly reports: RoundReport[] = [];
  private round = 0;

  constructor(
    readonly strategy: Strategy,
    readonly clients: readonly FederatedClient[],
    /** The full client model's initial parameters; the server keeps the shared ones. */
    initial: ParamMap,
    options: SimulationOptions & { seed: number },
  ) {
    const { seed, ...rest } = options;
    this.options = simulationSchema.parse(rest);
    const ids = new Set<string>();
    for (const c of clients) {
      if (ids.has(c.id))
        throw new FederatedError(`FederatedSimulation: duplicate client id '${c.id}'`);
      ids.add(c.id);
    }
    this.globalParams = cloneParams(new Map([...initial].filter(([k]) => strategy.shares(k))));
    this.rng = new Generator(seed);
  }

  /** The server's current shared parameters (a copy). */
  get global(): ParamMap {
    return cloneParams(this.globalParams);
  }

  private plan(sampled: FederatedClient[], bytesDown: number): Plan[] {
    const o = this.options;
    return sampled.map((client) => {
      const p = { ...DEFAULT_PROFILE, ...client.profile };
      const drop = this.rng.uniform() < p.dropoutProb;
      const z = this.rng.normal();
      const jitter = Math.exp(o.jitter * z);
      const net = (2 * bytesDown) / p.bytesPerSecond;
      const perEpoch = client.numExamples * p.secondsPerExample;
      const time = (epochs: number): number => (net + epochs * perEpoch) * jitter;
      if (drop) return { client, epochs: o.epochs, latency: time(o.epochs), fate: 'dropout' };
      if (o.deadline === null || time(o.epochs) <= o.deadline) {
        return { client, epochs: o.epochs, latency: time(o.epochs), fate: 'run' };
      }
      if (o.stragglers === 'partial') {
        const fit = Math.floor((o.deadline / jitter - net) / Math.max(perEpoch, 1e-12));
        const epochs = Math.min(o.epochs, fit);
        if (epochs >= 1) return { client, epochs, latency: time(epochs), fate: 'run' };
      }
      return { client, epochs: o.epochs, latency: time(o.epochs), fate: 'straggler' };
    });
  }

  /** Run one round: sample, fit, aggregate. Throws TooFewClientsError unless skipFailedRounds. */
  async runRound(): Promise<RoundReport> {
    const o = this.options;
    const round = ++this.round;
    const n = this.clients.length;
    if (n < o.minClients) {
      throw new TooFewClientsError(
        `round ${round}: ${n} client(s) available, need at least minClients = ${o.minClients}; global model unchanged`,
        n,
        o.minClients,
      );
    }
    const m = Math.min(n, Math.max(o.minClients, Math.ceil(o.fraction * n)));
    const order = this.rng.permutation(n);
    const sampled = Array.from(order.subarray(0, m))
      .sort((a, b) => a - b)
      .map((i) => this.clients[i]);
    const down = this.globalParams;
    const downBytes = paramBytes(down);
    const plans = this.plan(sampled, downBytes);
    const failures: ClientFailure[] = [];
    const results: ClientResult[] = [];
    let bytesUp = 0;
    let seconds = 0;
    for (const p of plans) {
      const id = p.client.id;
      if (p.fate === 'dropout') {
        failures.push({
          clientId: id,
          reason: 'dropout',
          message: 'vanished after receiving the model',
        });
        seconds = Math.max(seconds, o.deadline ?? p.latency);
        continue;
      }
      if (p.fate === 'straggler') {
        failures.push({
          clientId: id,
          reason: 'straggler',
          message: `needs ${p.latency.toFixed(3)} s, deadline ${o.deadline} s`,
        });
        seconds = Math.max(seconds, o.deadline ?? p.latency);
        continue;
      }
      try {
        const config = this.strategy.fitConfig(round, p.epochs);
        const r = await withTimeout(p.client.fit(cloneParams(down), config), o.timeoutMs);
        if (r?.params instanceof Map) bytesUp += paramBytes(r.params);
        results.push({
          clientId: id,
          params: r?.params,
          numExamples: r?.numExamples,
          loss: r?.loss,
          ...(r?.metrics ? { metrics: r.metrics } : {}),
        });
        seconds = Math.max(seconds, p.latency);
      } catch (err) {
        const timedOut = err instanceof FederatedError && /no answer within/.test(err.message);
        failures.push({
          clientId: id,
          reason: timedOut ? 'timeout' : 'error',
          message: err instanceof Error ? err.message : String(err),
        });
        seconds = Math.max(seconds, o.deadline ?? p.latency);
      }
    }
    const base = {
      round,
      sampled: sampled.map((c) => c.id),
      bytesDown: downBytes * sampled.length,
      bytesUp,
      seconds,
    };
    let report: RoundReport;
    try {
      const out = this.strategy.aggregate(this.globalParams, results, failures, {
        weighting: o.weighting,
        minResults: o.minResults,
        serverLr: o.serverLr,
      });
      this.globalParams = out.global;
      report = { ...base, ...out.report, status: 'aggregated' };
    } catch (err) {
      if (!(err instanceof TooFewClientsError) || !o.skipFailedRounds) throw err;
      const { excluded } = partitionResults(this.globalParams, results);
      report = { ...base, status: 'skipped', error: err.message, included: [], excluded, failures };
    }
    this.reports.push(report);
    return report;
  }

  /** Every client's score with the current shared parameters (and its own private ones). */
  async evaluate(): Promise<
    { clientId: string; score: number; loss: number; numExamples: number }[]
  > {
    const out = [];
    for (const c of this.clients) {
      const r = await c.evaluate(cloneParams(this.globalParams));
      out.push({ clientId: c.id, ...r });
    }
    return out;
  }
}
