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
 * Jobs run one after another in this process: a run is meant for a couple of cores, and the
 * kernels use the worker threads they have. `resume` reuses the tokenizer, the pretrained model
 * and every finished job of an interrupted run.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import { ConfigError } from '../../core/errors.js';
import { writeFileAtomic } from '../../core/io/atomic.js';
import { Generator } from '../../core/rng.js';
import { BertForMaskedLM, GPT2LMHeadModel, type PreTrainedModel } from '../../models/index.js';
import { PreTrainedTokenizer, trainTokenizer } from '../../text/index.js';
import {
  causalLmCollator,
  Trainer,
  type ComputeMetrics,
  type DataCollator,
} from '../../train/index.js';
import { MetricsLog } from '../run-dir.js';
import { parseExperimentYaml } from '../schema.js';
import { loadLmCorpus, splitCorpus, trainSubset, type LmSplit, type TextItem } from './data.js';
import {
  buildJobModel,
  changedParameters,
  classificationDataset,
  lmDataset,
  modelConfig,
  positionsOf,
  snapshot,
  taskMetrics,
  trainJob,
} from './jobs.js';
import {
  mlmCollator,
  mlmDataset,
  newMaskedLm,
  qaDataCollator,
  qaDataset,
  qaMetrics,
} from './qa.js';
import { languageAdaptersFor } from './madx.js';
import {
  finalizeLmRun,
  formatLr,
  lmJobResultSchema,
  type LmJobResult,
  type LmSummary,
} from './report.js';
import {
  loadLmExperiment,
  lrsOf,
  runsAt,
  validateLmExperiment,
  validationCount,
  type LmExperiment,
} from './schema.js';

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

const CONFIG_FILE = 'config.resolved.yaml';

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace('T', '-').replace(/\..*$/, '');
}

export function lmConfigHash(exp: LmExperiment): string {
  return createHash('sha256').update(JSON.stringify(exp)).digest('hex');
}

/** A job's result file; `lr` names one rate of a method's grid (one-rate methods leave it out). */
export function lmResultPath(
  dir: string,
  size: number,
  method: string,
  seed: number,
  lr?: number,
): string {
  const at = lr === undefined ? '' : `-lr-${formatLr(lr)}`;
  return join(dir, 'results', `n${size}`, method, `seed-${seed}${at}.json`);
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

function readResult(path: string): LmJobResult | null {
  if (!fs.existsSync(path)) return null;
  const parsed = lmJobResultSchema.safeParse(JSON.parse(fs.readFileSync(path, 'utf8')));
  return parsed.success ? parsed.data : null;
}

async function tokenizerFor(
  dir: string,
  exp: LmExperiment,
  split: LmSplit,
  log: (s: string) => void,
): Promise<PreTrainedTokenizer> {
  const tdir = join(dir, 'tokenizer');
  if (fs.existsSync(join(tdir, 'tokenizer.json'))) return PreTrainedTokenizer.fromPretrained(tdir);
  // Half source, half target pool, spread over each (the KJV file is in canonical order); a
  // cross-lingual corpus shares the texts between its languages instead.
  const groups = split.crossLingual
    ? Object.values(split.crossLingual.languageTexts)
    : [split.source, split.pool];
  const half = Math.floor(exp.tokenizer.maxTexts / groups.length);
  const spread = (xs: readonly { text: string }[]): string[] => {
    const step = Math.max(1, xs.length / half);
    const out: string[] = [];
    for (let i = 0; i < xs.length && out.length < half; i += step)
      out.push(xs[Math.floor(i)]!.text);
    return out;
  };
  const texts = groups.flatMap(spread);
  const kind = exp.model.family === 'bert' ? 'wordpiece' : 'byte-level-bpe';
  log(`tokenizer: ${kind}, vocabulary ${exp.tokenizer.vocabSize}, ${texts.length} texts\n`);
  const tok = PreTrainedTokenizer.fromTokenizer(
    trainTokenizer(texts, { kind, vocabSize: exp.tokenizer.vocabSize }),
  );
  await tok.savePretrained(tdir);
  return tok;
}

async function pretrainedFor(
  dir: string,
  exp: LmExperiment,
  split: LmSplit,
  tok: PreTrainedTokenizer,
  metrics: MetricsLog,
  log: (s: string) => void,
): Promise<PreTrainedModel> {
  const pdir = join(dir, 'pretrained');
  const bert = exp.model.family === 'bert';
  if (fs.existsSync(join(pdir, 'config.json')))
    return bert ? BertForMaskedLM.fromPretrained(pdir) : GPT2LMHeadModel.fromPretrained(pdir);
  const p = exp.pretrain;
  const positions = positionsOf(exp);
  const data = bert
    ? mlmDataset(tok, split.source, positions)
    : lmDataset(tok, split.source, positions, 'pretraining set');
  log(
    `pretraining${bert ? ' (masked LM)' : ''}: ${split.source.length} source texts, ${data.tokens} tokens, ${p.steps} steps\n`,
  );
  const model = bert
    ? newMaskedLm(exp, tok, positions, p.seed)
    : new GPT2LMHeadModel(modelConfig(exp, tok), { rng: new Generator(p.seed) });
  const start = performance.now();
  const trainer = new Trainer<unknown>({
    model,
    args: {
      outputDir: join(dir, 'pretrain-log'),
      maxSteps: p.steps,
      perDeviceTrainBatchSize: p.batchSize,
      learningRate: p.lr,
      warmupSteps: p.warmupSteps,
      loggingSteps: Math.max(1, Math.floor(p.steps / 20)),
      saveStrategy: 'no',
      seed: p.seed,
      disableProgressBar: true,
    },
    trainDataset: data.examples,
    dataCollator: (bert
      ? mlmCollator(exp, tok)
      : causalLmCollator({ padTokenId: tok.eosTokenId })) as DataCollator<unknown>,
    callbacks: [
      {
        name: 'pretrain-progress',
        onLog: (_a, state, _c, logs) => {
          if (typeof logs.loss !== 'number') return;
          metrics.append({ type: 'pretrain', step: state.globalStep, loss: logs.loss });
          const s = ((performance.now() - start) / 1000).toFixed(0);
          log(
            `pretrain step ${state.globalStep}/${p.steps} loss ${logs.loss.toFixed(3)} (${s} s)\n`,
          );
        },
      },
    ],
  });
  await trainer.train();
  model.eval();
  await model.savePretrained(pdir);
  return model;
}

async function execute(
  dir: string,
  id: string,
  exp: LmExperiment,
  log: (s: string) => void,
): Promise<LmRunOutcome> {
  log(`run ${id} -> ${dir}\n`);
  const corpus = await loadLmCorpus(exp.data, log);
  log(`data: ${corpus.description}\n`);
  const split = splitCorpus(corpus, exp);
  const metrics = new MetricsLog(join(dir, 'metrics.jsonl'));
  try {
    const tok = await tokenizerFor(dir, exp, split, log);
    const pretrained = await pretrainedFor(dir, exp, split, tok, metrics, log);
    const languageAdapters = exp.languageAdapters
      ? await languageAdaptersFor(dir, exp, split, tok, pretrained, metrics, log)
      : undefined;
    const t = exp.target;
    const cls = t.task === 'classification';
    const qa = t.task === 'question-answering';
    // Examples of a task, with the SQuAD metrics of their own items for QA.
    const examples = (
      items: TextItem[],
      what: string,
    ): { data: unknown[]; computeMetrics?: ComputeMetrics } => {
      if (qa) {
        const features = qaDataset(tok, items, exp);
        return { data: features, computeMetrics: qaMetrics(items, features) };
      }
      if (cls) return { data: classificationDataset(tok, items, split.labels, t.maxLength) };
      return { data: lmDataset(tok, items, exp.model.blockSize, what).examples };
    };
    const evalExamples = examples(split.evalSet, 'evaluation set');
    const evalSet = evalExamples.data;
    const reference = split.crossLingual
      ? classificationDataset(tok, split.crossLingual.reference, split.labels, t.maxLength)
      : undefined;
    const qaTask = qa
      ? { collator: qaDataCollator(tok), computeMetrics: evalExamples.computeMetrics! }
      : undefined;
    const results: LmJobResult[] = [];
    const jobsOf = (size: number): number =>
      exp.methods.filter((m) => runsAt(m, size)).reduce((n, m) => n + lrsOf(exp, m).length, 0);
    const total = t.trainSizes.reduce((n, size) => n + jobsOf(size), 0) * exp.seeds.length;
    let k = 0;
    let ran = 0;
    for (const size of t.trainSizes) {
      for (const method of exp.methods.filter((m) => runsAt(m, size))) {
        const grid = lrsOf(exp, method);
        for (const seed of exp.seeds) {
          const items = trainSubset(split.pool, seed, size);
          // The validation split is the end of the seed's budget; every method trains on the rest.
          const nVal = validationCount(exp, size);
          const trainItems = items.slice(0, size - nVal);
          // Tokenized once per seed, when the first of its grid's jobs is not done yet.
          let data:
            { train: unknown[]; validation: ReturnType<typeof examples> | null } | undefined;
          const dataOf = () =>
            (data ??= {
              train: examples(trainItems, `target budget n=${size}`).data,
              validation:
                nVal > 0
                  ? examples(items.slice(size - nVal), `validation split of n=${size}`)
                  : null,
            });
          for (const lr of grid) {
            k++;
            const path = lmResultPath(
              dir,
              size,
              method.name,
              seed,
              grid.length > 1 ? lr : undefined,
            );
            const done = readResult(path);
            if (done) {
              results.push(done);
              continue;
            }
            const lrTag = grid.length > 1 ? ` lr ${formatLr(lr)}` : '';
            const tag = `[${k}/${total}] n=${size} ${method.name} seed ${seed}${lrTag}`;
            const { train, validation } = dataOf();
            const job = buildJobModel(
              exp,
              method,
              pretrained,
              tok,
              seed,
              split.labels.length,
              languageAdapters,
            );
            const before = snapshot(job.frozen);
            const start = performance.now();
            const headline = taskMetrics(t.task)[0]!;
            let scored: Record<string, number> | undefined;
            const curve = await trainJob({
              exp,
              job,
              train,
              evalSet,
              padId: tok.eosTokenId ?? tok.padTokenId!,
              ...(qaTask ? { qa: qaTask } : {}),
              ...(reference ? { reference } : {}),
              ...(validation
                ? {
                    validation: {
                      dataset: validation.data,
                      ...(validation.computeMetrics
                        ? { computeMetrics: validation.computeMetrics }
                        : {}),
                    },
                  }
                : {}),
              onValidation: (m) => (scored = m),
              lr,
              seed,
              outputDir: join(
                dir,
                'jobs',
                `n${size}`,
                method.name,
                `seed-${seed}${lrTag.replace(' lr ', '-lr-')}`,
              ),
              onEval: (p) => {
                metrics.append({ type: 'eval', size, method: method.name, seed, lr, ...p });
                const s = ((performance.now() - start) / 1000).toFixed(0);
                log(
                  `${tag}: step ${p.step}/${t.steps} ${headline} ${p.metrics[headline]!.toFixed(3)} (${s} s)\n`,
                );
              },
            });
            if (scored !== undefined) {
              metrics.append({
                type: 'validation',
                size,
                method: method.name,
                seed,
                lr,
                ...scored,
              });
              log(`${tag}: validation ${headline} ${scored[headline]!.toFixed(3)}\n`);
            }
            const changed = changedParameters(job.frozen, before);
            const result: LmJobResult = {
              format: 'osmosis-lm-job',
              version: 1,
              method: method.name,
              kind: method.kind,
              seed,
              trainSize: size,
              trainExamples: train.length,
              params: { trainable: job.trainable, total: job.total },
              frozenParameters: job.frozen.length,
              frozenChanged: changed,
              curve,
              seconds: (performance.now() - start) / 1000,
              lr,
              ...(scored !== undefined ? { validation: scored } : {}),
            };
            fs.mkdirSync(join(path, '..'), { recursive: true });
            metrics.flush();
            await writeFileAtomic(path, `${JSON.stringify(result, null, 2)}\n`);
            results.push(result);
            ran++;
            if (changed.length > 0)
              log(`${tag}: WARNING frozen weights changed: ${changed.join(', ')}\n`);
          }
        }
      }
      // A summary after each size: a long run shows its results as they come.
      await finalizeLmRun(dir, id, exp, corpus.description, results);
    }
    const { summary, plots } = await finalizeLmRun(dir, id, exp, corpus.description, results);
    return { id, runDir: dir, ran, skipped: total - ran, summary, plots };
  } finally {
    metrics.close();
  }
}
