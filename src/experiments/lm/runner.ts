/**
 * `osmosis lm`: run an LM transfer experiment (schema.ts) and write its run folder:
 *
 *   runs/<id>/config.resolved.yaml   the config with every default filled in
 *   runs/<id>/metrics.jsonl          pretraining logs and every evaluation of every job
 *   runs/<id>/tokenizer/             the byte-level BPE trained on source + target texts
 *   runs/<id>/pretrained/            the source model (Hugging Face layout)
 *   runs/<id>/language-adapters/<lang>/   MAD-X language adapters (AdapterHub layout), if any
 *   runs/<id>/results/n<size>/<method>/seed-<s>.json   a finished job (its presence: done)
 *   runs/<id>/summary.json, summary.md, plots/*.svg
 *
 * Jobs run one after another in this process (job-loop.ts): a run is meant for a couple of
 * cores, and the kernels use the worker threads they have. `resume` reuses the tokenizer, the
 * pretrained model (base.ts) and every finished job of an interrupted run.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import { ConfigError } from '../../core/errors.js';
import { writeFileAtomic } from '../../core/io/atomic.js';
import { CONFIG_FILE } from '../run-dir.js';
import { parseExperimentYaml } from '../schema.js';
import { runLmJobs } from './job-loop.js';
import { positionsOf } from './jobs.js';
import type { LmSummary } from './report.js';
import { loadLmExperiment, validateLmExperiment, type LmExperiment } from './schema.js';

export interface LmRunOptions {
  /** Folder holding run folders (default 'runs'). */
  out?: string;
  /** Use seeds 0..n-1 instead of the config's. */
  seeds?: number;
  /** Progress lines (default: nowhere). */
  log?: (s: string) => void;
  /**
   * A run folder whose tokenizer and pretrained model to start from instead of pretraining
   * again; its data, tokenizer, model and pretrain settings must be this config's.
   */
  pretrainedFrom?: string;
}

export interface LmRunOutcome {
  id: string;
  runDir: string;
  ran: number;
  skipped: number;
  summary: LmSummary;
  plots: string[];
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace('T', '-').replace(/\..*$/, '');
}

export function lmConfigHash(exp: LmExperiment): string {
  return createHash('sha256').update(JSON.stringify(exp)).digest('hex');
}

/** Start a new run of a config file. */
export async function runLmExperiment(
  configFile: string,
  options: LmRunOptions = {},
): Promise<LmRunOutcome> {
  let exp = await loadLmExperiment(configFile);
  if (options.seeds !== undefined) {
    if (!Number.isInteger(options.seeds) || options.seeds < 1)
      throw new ConfigError(`--seeds must be a positive integer, got ${options.seeds}`);
    exp = { ...exp, seeds: Array.from({ length: options.seeds }, (_, i) => i) };
  }
  const root = resolve(options.out ?? 'runs');
  fs.mkdirSync(root, { recursive: true });
  const id = `${exp.name}-${stamp(new Date())}-${lmConfigHash(exp).slice(0, 8)}`;
  const dir = join(root, id);
  fs.mkdirSync(dir);
  await writeFileAtomic(join(dir, CONFIG_FILE), YAML.stringify(exp, { lineWidth: 0 }));
  if (options.pretrainedFrom !== undefined) {
    copyPretrained(resolve(options.pretrainedFrom), dir, exp);
    options.log?.(`reusing the tokenizer and pretrained model of ${options.pretrainedFrom}\n`);
  }
  return execute(dir, id, exp, options.log ?? (() => undefined));
}

/** Copy another run's tokenizer and pretrained model, after checking they were made alike. */
function copyPretrained(from: string, dir: string, exp: LmExperiment): void {
  const file = join(from, CONFIG_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`--pretrained: cannot read ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const other = validateLmExperiment(parseExperimentYaml(text, file), { file, baseDir: from });
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  const differ: string[] = (['data', 'tokenizer', 'model', 'pretrain'] as const).filter(
    (k) => !same(exp[k], other[k]),
  );
  if (positionsOf(exp) !== positionsOf(other)) differ.push('positions');
  if (exp.target.task !== other.target.task) differ.push('target.task');
  if (differ.length > 0) {
    throw new ConfigError(
      `--pretrained ${from}: its ${differ.join(', ')} settings differ from this config's, so its model is not this config's pretrained model`,
    );
  }
  for (const sub of ['tokenizer', 'pretrained']) {
    if (!fs.existsSync(join(from, sub)))
      throw new ConfigError(
        `--pretrained ${from}: no ${sub}/ folder (did its pretraining finish?)`,
      );
    fs.cpSync(join(from, sub), join(dir, sub), { recursive: true });
  }
}

/** Continue a run folder: its tokenizer, pretrained model and finished jobs are kept. */
export async function resumeLmExperiment(
  runDir: string,
  options: LmRunOptions = {},
): Promise<LmRunOutcome> {
  const dir = resolve(runDir);
  const file = join(dir, CONFIG_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot resume ${dir}: ${(err as Error).message}`, { cause: err });
  }
  const exp = validateLmExperiment(parseExperimentYaml(text, file), { file, baseDir: dir });
  const id = dir.split(/[/\\]/).at(-1)!;
  return execute(dir, id, exp, options.log ?? (() => undefined));
}

async function execute(
  dir: string,
  id: string,
  exp: LmExperiment,
  log: (s: string) => void,
): Promise<LmRunOutcome> {
  const { ran, total, summary, plots } = await runLmJobs(dir, id, exp, log);
  return { id, runDir: dir, ran, skipped: total - ran, summary, plots };
}
