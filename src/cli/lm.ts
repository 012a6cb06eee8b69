import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError } from '../core/errors.js';
import {
  lmSummaryMarkdown,
  resumeLmExperiment,
  runLmExperiment,
  type LmRunOptions,
} from '../experiments/lm/index.js';
import { processIO, type CommandIO } from './io.js';

const USAGE = `Usage: osmosis lm <experiment.yaml> [--seeds N] [--out DIR] [--pretrained RUN] [--quiet]
       osmosis lm --resume runs/<id>

Runs a language-model transfer experiment (experiments/lm/lm-*.yaml; docs/lm-transfer.md): trains
a tokenizer and a small model on the source texts (a GPT-2 as a causal LM, or a BERT by masked
LM for question answering), then each method (scratch, full fine-tuning, a linear head, PEFT
methods) on each seed's target budget, evaluating on a held-out target set. A method with an
lrGrid trains once per rate and reports the rate best on a validation split of its budget
(target.validationFraction). Writes runs/<id>/: config.resolved.yaml, metrics.jsonl, tokenizer/,
pretrained/, results/n<size>/<method>/seed-<n>[-lr-<rate>].json, summary.json, summary.md,
plots/*.svg.

Options:
  --seeds N     use seeds 0..N-1 instead of the config's seeds
  --out DIR     folder for run folders (default: runs)
  --resume DIR  continue a run: its tokenizer, pretrained model and finished jobs are kept
  --pretrained RUN  start from the tokenizer and pretrained model of an earlier run folder
                whose data, tokenizer, model and pretrain settings are the same (no pretraining)
  --quiet       no progress output
`;

export async function lmCommand(args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      seeds: { type: 'string' },
      out: { type: 'string' },
      resume: { type: 'string' },
      pretrained: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || (positionals.length === 0 && values.resume === undefined)) {
    io.stdout(USAGE);
    return values.help ? 0 : 2;
  }
  if (positionals.length + (values.resume === undefined ? 0 : 1) !== 1) {
    throw new ConfigError('give one config file or --resume DIR');
  }
  let seeds: number | undefined;
  if (values.seeds !== undefined) {
    seeds = Number(values.seeds);
    if (!Number.isInteger(seeds) || seeds < 1)
      throw new ConfigError(`--seeds must be an integer >= 1, got '${values.seeds}'`);
  }
  if (io === processIO) {
    const { initDefaultBackend } = await import('../core/backend/select.js');
    await initDefaultBackend();
  }
  const options: LmRunOptions = {
    ...(values.out !== undefined ? { out: values.out } : {}),
    ...(seeds !== undefined ? { seeds } : {}),
    ...(values.quiet ? {} : { log: io.stderr }),
    ...(values.pretrained !== undefined ? { pretrainedFrom: values.pretrained } : {}),
  };
  let outcome;
  if (values.resume !== undefined) {
    if (!existsSync(values.resume))
      throw new ConfigError(`--resume: no run folder ${values.resume}`);
    if (seeds !== undefined || values.pretrained !== undefined)
      throw new ConfigError('--seeds and --pretrained cannot be combined with --resume');
    outcome = await resumeLmExperiment(values.resume, options);
  } else {
    outcome = await runLmExperiment(positionals[0]!, options);
  }
  io.stdout(
    `\nrun ${outcome.id}: ${outcome.ran} job(s) run, ${outcome.skipped} kept\n  ${outcome.runDir}\n\n`,
  );
  io.stdout(`${lmSummaryMarkdown(outcome.summary)}\n`);
  for (const p of outcome.plots) io.stdout(`plot: ${p}\n`);
  const broken = outcome.summary.rows.filter((r) => r.frozenUnchanged === false);
  return broken.length > 0 || outcome.summary.missing.length > 0 ? 1 : 0;
}
