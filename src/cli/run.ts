import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError } from '../core/errors.js';
import { registeredMethods } from '../experiments/methods.js';
import {
  resumeExperiment,
  runExperiment,
  type RunOutcome,
  type RunOptions,
} from '../experiments/runner.js';
import { formatEstimate, metricsTable } from '../experiments/report.js';
import type { RunSummary } from '../experiments/summary.js';
import { processIO, type CommandIO } from './io.js';

const USAGE = `Usage: osmosis run <experiment.yaml> [--seeds N] [--out DIR] [--workers N] [--import MODULE]...
       osmosis run --resume runs/<id> [--workers N]

Runs every (method, seed) job of an experiment config in parallel worker threads and writes
runs/<id>/: config.resolved.yaml (defaults filled in), run.json, metrics.jsonl (one line per
episode/event), results/<method>/seed-<n>.json, checkpoints/<method>/seed-<n>/, summary.json
(transfer metrics of each method against the baseline, 95% CIs over seeds) and plots/*.svg.
The run is recorded in <out>/index.sqlite (see \`osmosis runs\`); \`osmosis report\` renders it.

Options:
  --seeds N        use seeds 0..N-1 instead of the config's seeds
  --out DIR        folder for run folders and the run index (default: runs)
  --workers N      parallel jobs (default: config 'workers', else the number of cores);
                   0 runs jobs one after another in this process
  --import MODULE  import a module first (it registers method kinds, algorithms or envs);
                   repeatable; remembered for --resume
  --resume DIR     continue an interrupted run: finished jobs (those with a result file) are
                   kept, the others run again from a clean checkpoint folder
  --quiet          no progress output
  --json           print the outcome as one JSON object on stdout

Kernels: each worker selects OSMOSIS_BACKEND (default wasm) with OSMOSIS_THREADS threads
(default: the cores divided by the workers); each result file records the backend it ran on.

Exit status: 0 when every job finished, 1 when some failed, 2 for a bad config or arguments.
Method kinds registered now: `;

function int(flag: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new ConfigError(`--${flag} must be an integer >= ${min}, got '${v}'`);
  return n;
}

/** Columns of the metrics table (report.ts) as aligned plain text. */
export function printTable(summary: RunSummary, columns: readonly number[], io: CommandIO): void {
  const t = metricsTable(summary);
  const widths = columns.map((c) => Math.max(t.head[c].length, ...t.rows.map((r) => r[c].length)));
  const line = (r: string[]): string =>
    columns
      .map((c, i) => r[c].padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  io.stdout(`\n${line(t.head)}\n`);
  for (const r of t.rows) io.stdout(`${line(r)}\n`);
}

export function printOutcome(outcome: RunOutcome, io: CommandIO): void {
  const { summary } = outcome;
  io.stdout(
    `\nrun ${outcome.id}: ${outcome.status} (${outcome.ran} job(s) run, ${outcome.skipped} skipped, ${outcome.failed.length} failed)\n  ${outcome.runDir}\n`,
  );
  if (summary) {
    printTable(summary, [0, 2, 3, 4, 6, 8], io);
    for (const m of summary.methods) {
      for (const w of m.transfer?.warnings ?? []) {
        if (w.kind === 'negative-transfer') io.stdout(`WARNING ${m.name}: ${w.message}\n`);
      }
    }
    for (const w of summary.warnings) io.stdout(`note: ${w}\n`);
    if (summary.methods.length === 1 && summary.methods[0].finalReturn) {
      io.stdout(`final return ${formatEstimate(summary.methods[0].finalReturn)}\n`);
    }
  }
  for (const f of outcome.failed)
    io.stdout(`FAILED ${f.method} seed ${f.seed}: ${f.error.split('\n')[0]}\n`);
  if (outcome.indexError) io.stdout(`note: run index not updated: ${outcome.indexError}\n`);
}

export async function runCommand(args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      seeds: { type: 'string' },
      out: { type: 'string' },
      workers: { type: 'string' },
      import: { type: 'string', multiple: true },
      resume: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || (positionals.length === 0 && values.resume === undefined)) {
    io.stdout(`${USAGE}${registeredMethods().join(', ') || '(none)'}\n`);
    return values.help ? 0 : 2;
  }
  if (values.resume !== undefined && positionals.length > 0) {
    throw new ConfigError('give either a config file or --resume DIR, not both');
  }
  if (positionals.length > 1)
    throw new ConfigError(`one config file at a time, got ${positionals.length}`);
  const options: RunOptions = {
    ...(values.out !== undefined ? { out: values.out } : {}),
    ...(values.seeds !== undefined ? { seeds: int('seeds', values.seeds, 1) } : {}),
    ...(values.workers !== undefined ? { workers: int('workers', values.workers, 0) } : {}),
    modules: values.import ?? [],
    log: values.quiet ? undefined : io.stderr,
    tty: io === processIO && process.stderr.isTTY === true,
  };
  // Workers select their backend themselves; jobs run here (--workers 0) use this thread's.
  if (options.workers === 0) {
    const { initDefaultBackend } = await import('../core/backend/select.js');
    await initDefaultBackend();
  }
  let outcome: RunOutcome;
  if (values.resume !== undefined) {
    if (!existsSync(values.resume))
      throw new ConfigError(`--resume: no run folder ${values.resume}`);
    if (values.import)
      throw new ConfigError('--import cannot be combined with --resume: the run keeps its modules');
    outcome = await resumeExperiment(values.resume, options);
  } else {
    outcome = await runExperiment(positionals[0], options);
  }
  if (values.json) {
    io.stdout(
      `${JSON.stringify({ ...outcome, summary: undefined, negativeTransfer: outcome.summary?.negativeTransfer ?? [] })}\n`,
    );
  } else printOutcome(outcome, io);
  return outcome.status === 'finished' ? 0 : 1;
}
