/**
 * The jobs of an LM run, one after another in this process: for each train size, method, seed
 * and learning rate of the method's grid, one model built from the run's base, trained on the
 * seed's budget and scored, its result written to results/n<size>/<method>/seed-<s>[-lr-<r>].json.
 * A job whose result file exists is kept, so an interrupted run resumes where it stopped.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import type { PreTrainedModel } from '../../models/index.js';
import type { PreTrainedTokenizer } from '../../text/index.js';
import { writeFileAtomic } from '../../core/io/atomic.js';
import { MetricsLog } from '../run-dir.js';
import { pretrainedFor, tokenizerFor } from './base.js';
import { loadLmCorpus, splitCorpus } from './data.js';
import { buildJobModel, changedParameters, snapshot, taskMetrics, trainJob } from './jobs.js';
import { languageAdaptersFor } from './madx.js';
import type { LanguageAdapterSet } from './madx.js';
import {
  finalizeLmRun,
  formatLr,
  lmJobResultSchema,
  type LmJobResult,
  type LmSummary,
} from './report.js';
import { lrsOf, runsAt, type LmExperiment, type LmMethod } from './schema.js';
import { seedBudget, taskData, type SeedBudget, type TaskData } from './task-data.js';

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

function readResult(path: string): LmJobResult | null {
  if (!fs.existsSync(path)) return null;
  const parsed = lmJobResultSchema.safeParse(JSON.parse(fs.readFileSync(path, 'utf8')));
  return parsed.success ? parsed.data : null;
}

export interface LmRunTotals {
  ran: number;
  total: number;
  summary: LmSummary;
  plots: string[];
}

/** Run (or resume) every job of the run folder `dir` and write its summary. */
export async function runLmJobs(
  dir: string,
  id: string,
  exp: LmExperiment,
  log: (s: string) => void,
): Promise<LmRunTotals> {
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
    const run: RunContext = {
      dir,
      exp,
      tok,
      pretrained,
      labels: split.labels.length,
      languageAdapters,
      task: taskData(exp, split, tok),
      metrics,
      log,
    };
    const t = exp.target;
    const jobsOf = (size: number): number =>
      exp.methods.filter((m) => runsAt(m, size)).reduce((n, m) => n + lrsOf(exp, m).length, 0);
    const total = t.trainSizes.reduce((n, size) => n + jobsOf(size), 0) * exp.seeds.length;
    const results: LmJobResult[] = [];
    let k = 0;
    let ran = 0;
    for (const size of t.trainSizes) {
      for (const method of exp.methods.filter((m) => runsAt(m, size))) {
        const grid = lrsOf(exp, method);
        for (const seed of exp.seeds) {
          const budget = seedBudget(exp, split, run.task, size, seed);
          for (const lr of grid) {
            k++;
            const at = grid.length > 1 ? lr : undefined;
            const path = lmResultPath(dir, size, method.name, seed, at);
            const done = readResult(path);
            if (done) {
              results.push(done);
              continue;
            }
            const tag = `[${k}/${total}] n=${size} ${method.name} seed ${seed}${at === undefined ? '' : ` lr ${formatLr(lr)}`}`;
            const job = { size, method, seed, lr, inGrid: at !== undefined, tag };
            const result = await runJob(run, job, budget());
            fs.mkdirSync(join(path, '..'), { recursive: true });
            metrics.flush();
            await writeFileAtomic(path, `${JSON.stringify(result, null, 2)}\n`);
            results.push(result);
            ran++;
          }
        }
      }
      // A summary after each size: a long run shows its results as they come.
      await finalizeLmRun(dir, id, exp, corpus.description, results);
    }
    const { summary, plots } = await finalizeLmRun(dir, id, exp, corpus.description, results);
    return { ran, total, summary, plots };
  } finally {
    metrics.close();
  }
}

/** What every job of a run shares. */
interface RunContext {
  dir: string;
  exp: LmExperiment;
  tok: PreTrainedTokenizer;
  pretrained: PreTrainedModel;
  labels: number;
  languageAdapters: LanguageAdapterSet | undefined;
  task: TaskData;
  metrics: MetricsLog;
  log: (s: string) => void;
}

interface JobSpec {
  size: number;
  method: LmMethod;
  seed: number;
  lr: number;
  /** One rate of a grid (its folders and logs name the rate). */
  inGrid: boolean;
  /** The job's progress-line prefix. */
  tag: string;
}

/** Build, train and score one job; its result (written by the caller). */
async function runJob(run: RunContext, j: JobSpec, budget: SeedBudget): Promise<LmJobResult> {
  const { exp, tok, task, metrics, log } = run;
  const t = exp.target;
  const job = buildJobModel(
    exp,
    j.method,
    run.pretrained,
    tok,
    j.seed,
    run.labels,
    run.languageAdapters,
  );
  const before = snapshot(job.frozen);
  const start = performance.now();
  const headline = taskMetrics(t.task)[0]!;
  const { train, validation } = budget;
  let scored: Record<string, number> | undefined;
  const curve = await trainJob({
    exp,
    job,
    train,
    evalSet: task.evalSet,
    padId: tok.eosTokenId ?? tok.padTokenId!,
    ...(task.qa ? { qa: task.qa } : {}),
    ...(task.reference ? { reference: task.reference } : {}),
    ...(validation
      ? {
          validation: {
            dataset: validation.data,
            ...(validation.computeMetrics ? { computeMetrics: validation.computeMetrics } : {}),
          },
        }
      : {}),
    onValidation: (m) => (scored = m),
    lr: j.lr,
    seed: j.seed,
    outputDir: join(
      run.dir,
      'jobs',
      `n${j.size}`,
      j.method.name,
      `seed-${j.seed}${j.inGrid ? `-lr-${formatLr(j.lr)}` : ''}`,
    ),
    onEval: (p) => {
      metrics.append({
        type: 'eval',
        size: j.size,
        method: j.method.name,
        seed: j.seed,
        lr: j.lr,
        ...p,
      });
      const s = ((performance.now() - start) / 1000).toFixed(0);
      log(
        `${j.tag}: step ${p.step}/${t.steps} ${headline} ${p.metrics[headline]!.toFixed(3)} (${s} s)\n`,
      );
    },
  });
  if (scored !== undefined) {
    const at = { size: j.size, method: j.method.name, seed: j.seed, lr: j.lr };
    metrics.append({ type: 'validation', ...at, ...scored });
    log(`${j.tag}: validation ${headline} ${scored[headline]!.toFixed(3)}\n`);
  }
  const changed = changedParameters(job.frozen, before);
  if (changed.length > 0) log(`${j.tag}: WARNING frozen weights changed: ${changed.join(', ')}\n`);
  return {
    format: 'osmosis-lm-job',
    version: 1,
    method: j.method.name,
    kind: j.method.kind,
    seed: j.seed,
    trainSize: j.size,
    trainExamples: train.length,
    params: { trainable: job.trainable, total: job.total },
    frozenParameters: job.frozen.length,
    frozenChanged: changed,
    curve,
    seconds: (performance.now() - start) / 1000,
    lr: j.lr,
    ...(scored !== undefined ? { validation: scored } : {}),
  };
}
