/**
 * The "LM transfer" table of `osmosis results`: one row per (experiment, train size, method) of
 * the configs in experiments/lm/, read from the newest complete run of each exact config (name
 * and lmConfigHash) under the runs folder: the headline metrics at the end of the budget, the
 * method's headline as a share of full fine-tuning's (PEFT's target: >= 95% with <= 5% of the
 * weights trainable), the trainable share and the time a job took. Nothing is trained here: an
 * LM run takes from minutes to an hour on a loaded machine, so `osmosis lm <config>` makes it and
 * this table only reads it; an experiment without a complete run is listed with that command.
 */
import * as fs from 'node:fs';
import { basename, join, relative } from 'node:path';
import { ConfigError } from '../../core/errors.js';
import { parseExperimentYaml } from '../schema.js';
import { mdTable } from '../report.js';
import { formatLmEstimate, formatLrs, lmJobResultSchema, type LmSummary } from './report.js';
import { lmConfigHash } from './runner.js';
import { loadLmExperiment, validateLmExperiment, type LmExperiment } from './schema.js';

export interface LmResultsEntry {
  name: string;
  file: string;
  /** The run shown, or null when the config has no complete run. */
  runId: string | null;
}

/** Newest first: run folders of this exact config whose summary has every job. */
function completeRuns(root: string, exp: LmExperiment): { dir: string; summary: LmSummary }[] {
  if (!fs.existsSync(root)) return [];
  const hash = lmConfigHash(exp);
  const found: { dir: string; summary: LmSummary }[] = [];
  for (const entry of fs.readdirSync(root, { withFileTypes: true })) {
    const dir = join(root, entry.name);
    if (!entry.isDirectory() || !entry.name.startsWith(`${exp.name}-`)) continue;
    try {
      const file = join(dir, 'config.resolved.yaml');
      const text = fs.readFileSync(file, 'utf8');
      const other = validateLmExperiment(parseExperimentYaml(text, file), { file, baseDir: dir });
      if (lmConfigHash(other) !== hash) continue;
      const summary = JSON.parse(fs.readFileSync(join(dir, 'summary.json'), 'utf8')) as LmSummary;
      if (summary.format === 'osmosis-lm-summary' && summary.missing.length === 0)
        found.push({ dir, summary });
    } catch {
      // Not a readable LM run of this config (unfinished, or made by another version): skipped.
    }
  }
  // Run ids carry a UTC stamp after the name: a later id is a later run.
  return found.sort((a, b) => (basename(a.dir) < basename(b.dir) ? 1 : -1));
}

/** Mean seconds of a method's jobs, from the run's result files. */
function meanSeconds(dir: string, size: number, method: string): number | null {
  const folder = join(dir, 'results', `n${size}`, method);
  if (!fs.existsSync(folder)) return null;
  const secs = fs
    .readdirSync(folder)
    .filter((f) => f.endsWith('.json'))
    .map((f) => lmJobResultSchema.parse(JSON.parse(fs.readFileSync(join(folder, f), 'utf8'))))
    .map((r) => r.seconds);
  return secs.length === 0 ? null : secs.reduce((a, b) => a + b, 0) / secs.length;
}

const METRICS: Record<LmSummary['task'], [string, string, number][]> = {
  'causal-lm': [['perplexity', 'perplexity', 1]],
  classification: [
    ['accuracy', 'accuracy', 3],
    ['macro_f1', 'macro-F1', 3],
  ],
  'question-answering': [
    ['f1', 'F1', 1],
    ['exact_match', 'EM', 1],
  ],
};

function rowsOf(dir: string, s: LmSummary): string[][] {
  const key = s.headline;
  return s.rows.map((r) => {
    const full = s.rows.find((x) => x.kind === 'full' && x.trainSize === r.trainSize);
    const mine = r.final[key]!.mean;
    const ref = full?.final[key]!.mean;
    // Perplexity is better lower: the share is full's over the method's.
    const share =
      ref === undefined || r.kind === 'full' ? null : s.lowerIsBetter ? ref / mine : mine / ref;
    const secs = meanSeconds(dir, r.trainSize, r.name);
    return [
      s.name,
      s.task,
      String(r.trainSize),
      r.name,
      METRICS[s.task]
        .map(([k, label, d]) => `${label} ${formatLmEstimate(r.final[k]!, d)}`)
        .join('; '),
      share === null ? '—' : `${(100 * share).toFixed(0)}%`,
      `${r.params.percent.toFixed(r.params.percent < 1 ? 2 : 1)}%`,
      secs === null ? '—' : `${secs.toFixed(0)} s`,
      // Summaries written before the LR search have no rates.
      formatLrs((r.lr as (number | null)[] | undefined) ?? []),
    ];
  });
}

/** The section's Markdown lines and what each LM config showed. */
export async function lmResultsSection(
  experimentsDir: string,
  runsRoot: string,
): Promise<{ lines: string[]; entries: LmResultsEntry[] }> {
  let names: string[];
  try {
    names = fs
      .readdirSync(experimentsDir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort();
  } catch (err) {
    throw new ConfigError(
      `cannot list LM configs in ${experimentsDir}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  const entries: LmResultsEntry[] = [];
  const rows: string[][] = [];
  const notRun: string[] = [];
  for (const f of names) {
    const file = join(experimentsDir, f);
    const exp = await loadLmExperiment(file);
    const run = completeRuns(runsRoot, exp)[0];
    entries.push({ name: exp.name, file, runId: run ? basename(run.dir) : null });
    if (run) rows.push(...rowsOf(run.dir, run.summary));
    else notRun.push(`\`${exp.name}\` (\`osmosis lm ${relative(process.cwd(), file)}\`)`);
  }
  const lines = [
    '## LM transfer',
    '',
    'The language-model transfer experiments of experiments/lm/ (docs/lm-transfer.md), from the newest complete run of each config made with `osmosis lm` (this command reads those runs and never starts one). Metrics are means over seeds at the end of the target budget with 95% intervals; "of full" is the headline metric as a share of full fine-tuning\'s (for perplexity, full\'s over the method\'s), which PEFT aims to keep at 95% or more with at most 5% of the weights trainable; "s per job" is the mean time of one seed\'s target training and evaluations (pretraining not included); "lr" is the learning rate, one per seed where each seed picked its own on a validation split of its training budget (an `lrGrid`).',
    '',
  ];
  if (rows.length > 0) {
    lines.push(
      mdTable({
        head: [
          'experiment',
          'task',
          'n',
          'method',
          'metric',
          'of full',
          'trainable',
          's per job',
          'lr',
        ],
        rows,
      }),
      '',
    );
  }
  if (notRun.length > 0)
    lines.push(`No complete run under the runs folder: ${notRun.join(', ')}.`, '');
  return { lines, entries };
}
