import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../core/errors.js';
import { runExperiment } from '../experiments/runner.js';
import { findPackageRoot } from '../util/package-root.js';
import { processIO, type CommandIO } from './io.js';
import { reportCommand } from './report.js';
import { printOutcome, printTable } from './run.js';

/** The main job's experiment, bundled with the package. */
export const DEMO_CONFIG = 'experiments/cartpole-a2t.yaml';
/** The demo's seeds: the config's first 5 (docs/results.md runs all of them, for tighter intervals). */
export const DEMO_SEEDS = 5;

const USAGE = `Usage: osmosis demo [--out DIR] [--seeds N] [--workers N] [--quiet]

The main job: the bundled CartPole transfer experiment (${DEMO_CONFIG}), end to end.
  1. A source PPO agent is pretrained on CartPole-v1 with the default physics (50k steps).
  2. On the target, a heavier and longer pole, four ways to learn are trained for 20k steps
     each, on seeds 0..4: from scratch (the baseline), fine-tuning the source, A2T (attention over
     the frozen source and a base learned from scratch) and A2T's distillation reading.
  3. The transfer metrics against scratch are printed (jumpstart, asymptotic difference, AUC
     ratio, time to a return of 195; means with 95% intervals over seeds; negative-transfer
     flags), and a Markdown/HTML report with learning-curve plots is written.
About 3 CPU-minutes with the wasm kernels: a few minutes on 2 cores. The same as
\`osmosis run ${DEMO_CONFIG}\` followed by \`osmosis report runs/<id>\`; an interrupted
run continues with \`osmosis run --resume runs/<id>\`.

Options:
  --out DIR     folder for the run folder and the run index (default: runs)
  --seeds N     seeds 0..N-1 instead of 0..4 (fewer: quicker, wider intervals; more:
                the config runs 20, which docs/results.md reports)
  --workers N   parallel jobs (default: the number of cores)
  --quiet       no progress output
`;

function int(flag: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new ConfigError(`--${flag} must be an integer >= ${min}, got '${v}'`);
  return n;
}

/** `config` is for tests: the demo always runs the bundled experiment. */
export async function demoCommand(
  args: string[],
  io: CommandIO,
  config = join(findPackageRoot(), DEMO_CONFIG),
): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      out: { type: 'string', default: 'runs' },
      seeds: { type: 'string' },
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
  const seeds = int('seeds', values.seeds, 1);
  const workers = int('workers', values.workers, 1);
  io.stdout(
    `Osmosis main job: ${relative(process.cwd(), config) || config}\n` +
      'pretrain a CartPole source, transfer it to a heavier, longer pole by fine-tuning and A2T,\n' +
      'compare with learning from scratch over seeds (`osmosis demo --help` explains it).\n\n',
  );
  const outcome = await runExperiment(config, {
    out: values.out,
    seeds: seeds ?? DEMO_SEEDS,
    ...(workers !== undefined ? { workers } : {}),
    log: values.quiet ? undefined : io.stderr,
    tty: io === processIO && process.stderr.isTTY === true,
  });
  printOutcome(outcome, io);
  if (outcome.summary) {
    io.stdout('\nagainst scratch at the end, and steps to the threshold (ratio < 1: faster):');
    printTable(outcome.summary, [0, 5, 7], io);
  }
  io.stdout('\n');
  await reportCommand([outcome.runDir], io);
  const plots = outcome.plots.map((p) => join(outcome.runDir, p)).filter((p) => existsSync(p));
  io.stdout(`plots:\n${plots.map((p) => `  ${p}\n`).join('')}`);
  io.stdout(
    `all runs: \`osmosis runs list --dir ${values.out}\`; every bundled experiment: \`npm run results\` (docs/results.md)\n`,
  );
  return outcome.status === 'finished' ? 0 : 1;
}
