import { parseArgs } from 'node:util';
import { ConfigError } from '../core/errors.js';
import { generateResults } from '../experiments/results.js';
import { processIO, type CommandIO } from './io.js';

const USAGE = `Usage: osmosis results [--run-missing] [--experiments DIR] [--runs DIR] [--out FILE] [--workers N]

Writes the results page of the bundled experiments, docs/results.md: for every config in
experiments/*.yaml its description, the newest finished run of that exact config (matched by
name and config hash under --runs), the transfer-metrics table (mean and 95% interval over seeds
against the baseline, negative-transfer flags) and the run's SVG plots, copied to
docs/results/<experiment>/. Without --run-missing nothing is trained: an experiment with no
finished run is listed as such. The LM experiments of experiments/lm/ follow as one "LM transfer"
table read from their newest complete \`osmosis lm\` runs under --runs (never run from here).

Options:
  --run-missing      run each experiment whose config has no finished run; an interrupted or
                     failed run of the same config is resumed instead (finished jobs are kept)
  --experiments DIR  folder of experiment configs (default: experiments)
  --runs DIR         folder of run folders (default: runs)
  --out FILE         the page (default: docs/results.md; plots beside it in docs/results/)
  --workers N        parallel jobs for the runs (default: config 'workers', else the cores;
                     0 runs them one by one in this process)
  --quiet            no progress output

Exit status: 0 when every experiment has a finished run, 1 when some do not, 2 for bad
arguments or configs.
`;

export async function resultsCommand(args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'run-missing': { type: 'boolean', default: false },
      experiments: { type: 'string', default: 'experiments' },
      runs: { type: 'string', default: 'runs' },
      out: { type: 'string', default: 'docs/results.md' },
      workers: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout(USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new ConfigError(`unexpected argument '${positionals[0]}'`);
  let workers: number | undefined;
  if (values.workers !== undefined) {
    workers = Number(values.workers);
    if (!Number.isInteger(workers) || workers < 0)
      throw new ConfigError(`--workers must be an integer >= 0, got '${values.workers}'`);
  }
  if (workers === 0) {
    // Jobs run in this thread then: give them the kernels a worker would select.
    const { initDefaultBackend } = await import('../core/backend/select.js');
    await initDefaultBackend();
  }
  const results = await generateResults({
    experiments: values.experiments,
    runs: values.runs,
    out: values.out,
    runMissing: values['run-missing'],
    ...(workers !== undefined ? { workers } : {}),
    log: values.quiet ? undefined : io.stderr,
    tty: io === processIO && process.stderr.isTTY === true,
  });
  const width = Math.max(...results.map((r) => r.name.length));
  for (const r of results)
    io.stdout(`${r.name.padEnd(width)}  ${r.status.padEnd(10)}  ${r.runId ?? ''}\n`);
  io.stdout(`wrote ${values.out}\n`);
  const incomplete = results.filter((r) => r.status !== 'finished');
  if (incomplete.length > 0 && !values['run-missing']) {
    io.stdout(
      `${incomplete.length} experiment(s) without a finished run: add --run-missing to run them\n`,
    );
  }
  return incomplete.length > 0 ? 1 : 0;
}
