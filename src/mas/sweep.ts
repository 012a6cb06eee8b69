/**
 * Parameter sweeps in the style of NetLogo's BehaviorSpace: every combination of the parameter
 * values (the first parameter varies slowest, as nested loops in declaration order) times N
 * repetitions, run numbers from 1. Repetition r of every combination uses the same seed
 * (common random numbers), so differences between combinations are not seed noise.
 *
 * A run is either an in-process function (sequential) or a named export of an `.mjs`/`.js` module
 * run on a pool of worker threads (functions cannot cross threads, a module path can). Either way
 * rows come back in run order, a run that throws becomes an error row, and the CSV is written
 * atomically.
 */
import { availableParallelism } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { writeFileAtomic } from '../core/io/atomic.js';
import { toCsv, type Cell } from './csv.js';
import { SweepError } from './errors.js';
import { runPool, type PoolJob, type PoolOutcome } from './sweep-pool.js';

export type ParamValue = number | string | boolean | null;
/** BehaviorSpace's `["x" [first step last]]`: first, first+step, ... up to last inclusive. */
export interface ParamRange {
  first: number;
  step: number;
  last: number;
}
export type Metrics = Record<string, number | string | boolean | null>;

export interface RunContext {
  run: number;
  params: Record<string, ParamValue>;
  seed: number;
}
export type RunFn = (ctx: RunContext) => Metrics | Promise<Metrics>;

export interface SweepRow extends RunContext {
  metrics: Metrics | null;
  error: string | null;
}

export interface SweepResult {
  rows: SweepRow[];
  header: string[];
  csv: string;
}

const Value = z.union([z.number(), z.string(), z.boolean(), z.null()]);
const Range = z.strictObject({ first: z.number(), step: z.number(), last: z.number() });
const Seed = z.number().int().refine(Number.isSafeInteger, 'must be a safe integer');
export const SweepSpecSchema = z.strictObject({
  params: z.record(z.string().min(1), z.union([z.array(Value).min(1), Range])),
  repetitions: z.number().int().positive().default(1),
  baseSeed: Seed.default(0),
  /** Explicit seeds, one per repetition; overrides repetitions/baseSeed. */
  seeds: z.array(Seed).min(1).optional(),
});
export type SweepSpec = z.input<typeof SweepSpecSchema>;

export interface SweepOptions {
  /** In-process run function: runs sequentially. */
  run?: RunFn;
  /** Module (absolute path, relative to cwd, or file URL) exporting the run function. */
  module?: string | URL;
  /** Name of the export in `module`. Default 'run'. */
  exportName?: string;
  /** Worker threads for `module`; 0 imports it in-process and runs sequentially. */
  workers?: number;
  /** Where to write the CSV (atomically); omitted: nothing is written. */
  csvPath?: string;
  /** Called as each run finishes (completion order, which may differ from run order). */
  onRow?: (row: SweepRow) => void;
}

const RESERVED = ['run', 'seed', 'error'];
const MetricsSchema = z.record(z.string(), Value);

/** Expands the grid into runs, in BehaviorSpace order. */
export function expandSweep(spec: SweepSpec): RunContext[] {
  const parsed = SweepSpecSchema.safeParse(spec);
  if (!parsed.success) throw new SweepError(`sweep: invalid spec: ${parsed.error.message}`);
  const s = parsed.data;
  const names = Object.keys(s.params);
  const clash = names.find((n) => RESERVED.includes(n));
  if (clash) throw new SweepError(`sweep: parameter name '${clash}' is a reserved CSV column`);
  const axes = names.map((n) => values(n, s.params[n]));
  const seeds = s.seeds ?? Array.from({ length: s.repetitions }, (_, r) => s.baseSeed + r);
  const runs: RunContext[] = [];
  const combo = (i: number, acc: [string, ParamValue][]): void => {
    if (i === axes.length) {
      for (const seed of seeds) {
        runs.push({ run: runs.length + 1, params: Object.fromEntries(acc), seed });
      }
      return;
    }
    for (const v of axes[i]) combo(i + 1, [...acc, [names[i], v]]);
  };
  combo(0, []);
  return runs;
}

export async function runSweep(spec: SweepSpec, options: SweepOptions): Promise<SweepResult> {
  const runs = expandSweep(spec);
  const paramNames = Object.keys(spec.params);
  const rows: SweepRow[] = new Array(runs.length);
  const finish = (i: number, outcome: PoolOutcome): void => {
    rows[i] = toRow(runs[i], outcome, paramNames);
    options.onRow?.(rows[i]);
  };
  if ((options.run === undefined) === (options.module === undefined)) {
    throw new SweepError('sweep: give exactly one of options.run and options.module');
  }
  const exportName = options.exportName ?? 'run';
  if (options.run || options.workers === 0) {
    const fn = options.run ?? (await importRun(moduleUrl(options.module!), exportName));
    for (let i = 0; i < runs.length; i++) {
      try {
        finish(i, { metrics: await fn({ ...runs[i], params: { ...runs[i].params } }) });
      } catch (err) {
        finish(i, { error: describe(err) });
      }
    }
  } else {
    const workers = options.workers ?? availableParallelism();
    if (!(Number.isInteger(workers) && workers > 0)) {
      throw new SweepError(`sweep: workers must be a positive integer, got ${workers}`);
    }
    const jobs: PoolJob[] = runs.map((r, index) => ({ index, ...r }));
    await runPool(jobs, moduleUrl(options.module!), exportName, workers, (job, outcome) =>
      finish(job.index, outcome),
    );
  }
  const header = csvHeader(paramNames, rows);
  const csv = toCsv(
    header,
    rows.map((r) => csvRow(r, header, paramNames)),
  );
  if (options.csvPath !== undefined) await writeFileAtomic(options.csvPath, csv);
  return { rows, header, csv };
}

function values(name: string, axis: readonly ParamValue[] | ParamRange): ParamValue[] {
  if (Array.isArray(axis)) return [...axis];
  const { first, step, last } = axis as ParamRange;
  if (!(step !== 0 && Math.sign(last - first) !== -Math.sign(step))) {
    throw new SweepError(
      `sweep: range of '${name}' never reaches ${last} from ${first} by ${step}`,
    );
  }
  // Counted, not accumulated, so 0.1 steps do not drift; the epsilon keeps `last` itself in.
  const n = Math.floor((last - first) / step + 1e-9) + 1;
  if (n > 1e6) throw new SweepError(`sweep: range of '${name}' has ${n} values (over 1e6)`);
  return Array.from({ length: n }, (_, i) => first + i * step);
}

function toRow(ctx: RunContext, outcome: PoolOutcome, paramNames: string[]): SweepRow {
  if (outcome.error !== undefined) return { ...ctx, metrics: null, error: outcome.error };
  const parsed = MetricsSchema.safeParse(outcome.metrics);
  const fail = (why: string): SweepRow => ({ ...ctx, metrics: null, error: why });
  if (!parsed.success || Array.isArray(outcome.metrics)) {
    return fail('run did not return a record of numbers, strings, booleans or null');
  }
  const clash = Object.keys(parsed.data).find(
    (k) => RESERVED.includes(k) || paramNames.includes(k),
  );
  if (clash) return fail(`metric '${clash}' has the name of a parameter or reserved column`);
  return { ...ctx, metrics: parsed.data, error: null };
}

function csvHeader(paramNames: string[], rows: SweepRow[]): string[] {
  const metrics = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r.metrics ?? {})) metrics.add(k);
  return ['run', ...paramNames, 'seed', ...metrics, 'error'];
}

function csvRow(row: SweepRow, header: string[], paramNames: string[]): Cell[] {
  return header.map((col) => {
    if (col === 'run') return row.run;
    if (col === 'seed') return row.seed;
    if (col === 'error') return row.error;
    if (paramNames.includes(col)) return row.params[col];
    return row.metrics?.[col];
  });
}

function moduleUrl(module: string | URL): string {
  if (module instanceof URL) return module.href;
  return module.startsWith('file:') ? module : pathToFileURL(resolvePath(module)).href;
}

async function importRun(url: string, exportName: string): Promise<RunFn> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (err) {
    throw new SweepError(`sweep: cannot import ${url}: ${describe(err)}`, { cause: err });
  }
  const fn = mod[exportName];
  if (typeof fn !== 'function') {
    throw new SweepError(`sweep: export '${exportName}' of ${url} is ${typeof fn}, not a function`);
  }
  return fn as RunFn;
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
