/**
 * The results of an LM transfer run: per (train size, method), the held-out metrics at the end of
 * the budget and before any target training (step 0), as means over seeds with Student-t
 * intervals (src/metrics), the trainable-parameter counts, and whether frozen weights stayed
 * bitwise unchanged. Plots reuse the experiment runner's banded line charts. A pure function of
 * the config and the finished jobs, so a resumed run summarises like an uninterrupted one.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../../core/io/atomic.js';
import { confidenceInterval, curveBand, type Estimate } from '../../metrics/index.js';
import { taskMetrics } from './jobs.js';
import { lrsOf, runsAt, type LmExperiment } from './schema.js';

export const lmJobResultSchema = z
  .object({
    format: z.literal('osmosis-lm-job'),
    version: z.literal(1),
    method: z.string(),
    kind: z.string(),
    seed: z.number().int(),
    trainSize: z.number().int(),
    trainExamples: z.number().int(),
    params: z.object({ trainable: z.number().int(), total: z.number().int() }).strict(),
    frozenParameters: z.number().int(),
    /** Frozen parameters whose bits changed during training (must be empty). */
    frozenChanged: z.array(z.string()),
    curve: z
      .array(z.object({ step: z.number().int(), metrics: z.record(z.string(), z.number()) }))
      .min(1),
    seconds: z.number(),
    /** The learning rate trained with (absent in runs made before the LR search). */
    lr: z.number().positive().optional(),
    /** Metrics on the seed's validation split after the last step (with target.validationFraction). */
    validation: z.record(z.string(), z.number()).optional(),
  })
  .strict();

export type LmJobResult = z.infer<typeof lmJobResultSchema>;

export interface LmMethodSummary {
  name: string;
  kind: string;
  trainSize: number;
  seeds: number[];
  params: { trainable: number; total: number; percent: number };
  /** After the last step. */
  final: Record<string, Estimate>;
  /** Before target training (the jumpstart). */
  initial: Record<string, Estimate>;
  /** True when every frozen weight kept its bits in every seed; null when nothing was frozen. */
  frozenUnchanged: boolean | null;
  /** The learning rate of each seed's reported job (seeds' order; null: not recorded). */
  lr: (number | null)[];
  /**
   * The LR search (methods with more than one rate): per rate, the mean over seeds of the
   * headline on the validation split, and how many seeds picked it.
   */
  lrSearch?: { lr: number; validation: number; picked: number }[];
}

export interface LmSummary {
  format: 'osmosis-lm-summary';
  version: 1;
  id: string;
  name: string;
  task: LmExperiment['target']['task'];
  data: string;
  headline: string;
  lowerIsBetter: boolean;
  rows: LmMethodSummary[];
  missing: string[];
}

export interface LmSelection {
  /** Per (size, method), in seed order, the job whose metrics are reported. */
  chosen: LmJobResult[];
  /** Jobs not (yet) there, e.g. 'n=1000 lora seed 2 lr 0.001'. */
  missing: string[];
}

/**
 * The reported job of every (size, method, seed): with one learning rate its only job; with a
 * grid the job best on the seed's validation split by the headline metric, then by the loss
 * (accuracy on a few hundred examples ties often), then the grid's order. The
 * held-out evaluation set never takes part in the choice. A seed whose grid is incomplete
 * reports nothing, so a partial search never passes for a finished one.
 */
export function selectLmResults(exp: LmExperiment, results: readonly LmJobResult[]): LmSelection {
  const headline = taskMetrics(exp.target.task)[0]!;
  const lower = exp.target.task === 'causal-lm';
  const chosen: LmJobResult[] = [];
  const missing: string[] = [];
  for (const size of exp.target.trainSizes) {
    for (const m of exp.methods.filter((x) => runsAt(x, size))) {
      const grid = lrsOf(exp, m);
      for (const seed of exp.seeds) {
        const mine = results.filter(
          (r) => r.trainSize === size && r.method === m.name && r.seed === seed,
        );
        // A job without a recorded lr predates the search: it is the method's one rate.
        const jobs = grid.map((lr) =>
          mine.find((r) => r.lr === lr || (r.lr === undefined && grid.length === 1)),
        );
        const absent = grid.filter((_, i) => jobs[i] === undefined);
        const tag = `n=${size} ${m.name} seed ${seed}`;
        if (absent.length > 0) {
          missing.push(grid.length === 1 ? tag : `${tag} lr ${absent.join(', ')}`);
          continue;
        }
        const score = (r: LmJobResult): [number, number] => [
          r.validation?.[headline] ?? NaN,
          r.validation?.loss ?? NaN,
        ];
        let best = jobs[0]!;
        for (const r of jobs.slice(1)) {
          if (better(score(r!), score(best), lower)) best = r!;
        }
        chosen.push(best);
      }
    }
  }
  return { chosen, missing };
}

/** Is validation score a better than b? The headline first, then the loss; NaN never wins. */
function better(a: [number, number], b: [number, number], lowerIsBetter: boolean): boolean {
  for (const [i, lower] of [
    [0, lowerIsBetter],
    [1, true],
  ] as const) {
    if (Number.isNaN(a[i]) || Number.isNaN(b[i])) {
      if (Number.isNaN(a[i]) !== Number.isNaN(b[i])) return Number.isNaN(b[i]);
      continue;
    }
    if (a[i] !== b[i]) return lower ? a[i] < b[i] : a[i] > b[i];
  }
  return false;
}

export function computeLmSummary(
  id: string,
  exp: LmExperiment,
  data: string,
  results: readonly LmJobResult[],
): LmSummary {
  const keys = taskMetrics(exp.target.task);
  const ci = { method: 't' as const, level: exp.ciLevel };
  const rows: LmMethodSummary[] = [];
  const { chosen, missing } = selectLmResults(exp, results);
  for (const size of exp.target.trainSizes) {
    for (const m of exp.methods.filter((x) => runsAt(x, size))) {
      const rs = chosen.filter((r) => r.trainSize === size && r.method === m.name);
      if (rs.length === 0) continue;
      // Cross-lingual runs also score the held-out items in the training language (jobs.ts).
      const reference = keys
        .map((k) => `reference_${k}`)
        .filter((k) => rs.every((r) => k in r.curve.at(-1)!.metrics));
      const est = (
        at: (r: LmJobResult) => Record<string, number>,
        ks: readonly string[] = keys,
      ): Record<string, Estimate> =>
        Object.fromEntries(
          ks.map((k) => [
            k,
            confidenceInterval(
              rs.map((r) => at(r)[k]!),
              ci,
            ),
          ]),
        );
      const { trainable, total } = rs[0]!.params;
      rows.push({
        name: m.name,
        kind: m.kind,
        trainSize: size,
        seeds: rs.map((r) => r.seed),
        params: { trainable, total, percent: (100 * trainable) / total },
        final: est((r) => r.curve.at(-1)!.metrics, [...keys, ...reference]),
        initial: est((r) => r.curve[0]!.metrics),
        frozenUnchanged: rs.every((r) => r.frozenParameters === 0)
          ? null
          : rs.every((r) => r.frozenChanged.length === 0),
        lr: rs.map((r) => r.lr ?? null),
        ...lrSearchOf(exp, m, rs, results, keys[0]!),
      });
    }
  }
  return {
    format: 'osmosis-lm-summary',
    version: 1,
    id,
    name: exp.name,
    task: exp.target.task,
    data,
    headline: keys[0]!,
    lowerIsBetter: exp.target.task === 'causal-lm',
    rows,
    missing,
  };
}

/** Per rate of a searched grid: mean validation headline over the reported seeds, and picks. */
function lrSearchOf(
  exp: LmExperiment,
  m: LmExperiment['methods'][number],
  chosen: readonly LmJobResult[],
  results: readonly LmJobResult[],
  headline: string,
): Pick<LmMethodSummary, 'lrSearch'> {
  const grid = lrsOf(exp, m);
  if (grid.length < 2) return {};
  const seeds = new Set(chosen.map((r) => r.seed));
  const size = chosen[0]!.trainSize;
  return {
    lrSearch: grid.map((lr) => {
      const v = results
        .filter((r) => r.trainSize === size && r.method === m.name && r.lr === lr)
        .filter((r) => seeds.has(r.seed))
        .map((r) => r.validation?.[headline] ?? NaN);
      return {
        lr,
        validation: v.reduce((a, b) => a + b, 0) / v.length,
        picked: chosen.filter((r) => r.lr === lr).length,
      };
    }),
  };
}

const fmt = (x: number, digits: number): string => x.toFixed(digits);

/** A learning rate as written in configs (3e-4, 0.01). */
export function formatLr(lr: number): string {
  return lr < 1e-3 ? lr.toExponential() : String(lr);
}

/** The learning rates of a row: one, or each seed's pick (the grid search). */
export function formatLrs(lrs: readonly (number | null)[]): string {
  const known = lrs.filter((x): x is number => x !== null);
  if (known.length === 0) return '—';
  const distinct = [...new Set(known)];
  return distinct.length === 1 && known.length === lrs.length
    ? formatLr(distinct[0]!)
    : lrs.map((x) => (x === null ? '?' : formatLr(x))).join(', ');
}

export function formatLmEstimate(e: Estimate, digits = 2): string {
  if (e.lower === null || e.upper === null) return fmt(e.mean, digits);
  return `${fmt(e.mean, digits)} [${fmt(e.lower, digits)}, ${fmt(e.upper, digits)}]`;
}

function count(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(1)}k` : String(n);
}

/** Markdown tables: one per train size, methods as rows. */
export function lmSummaryMarkdown(s: LmSummary): string {
  const keys = {
    'causal-lm': ['perplexity'],
    classification: ['accuracy', 'macro_f1'],
    'question-answering': ['exact_match', 'f1'],
  }[s.task];
  // SQuAD's EM and F1 are percentages.
  const digits = s.task === 'classification' ? 3 : 1;
  const level = Math.round((s.rows[0]?.final[keys[0]!]?.level ?? 0.95) * 100);
  const out: string[] = [`Data: ${s.data}.`, ''];
  const sizes = [...new Set(s.rows.map((r) => r.trainSize))];
  for (const size of sizes) {
    out.push(`**${size} target training examples** (mean [${level}% CI] over seeds)`, '');
    const rows = s.rows.filter((x) => x.trainSize === size);
    const reference = `reference_${keys[0]!}`;
    const withReference = rows.some((r) => r.final[reference] !== undefined);
    const head = [
      'method',
      'kind',
      'trainable params',
      'lr',
      ...keys.map((k) => `${k} at end`),
      `${keys[0]} at step 0`,
      ...(withReference ? [`${keys[0]} in the training language`] : []),
      'frozen base unchanged',
    ];
    out.push(`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`);
    for (const r of rows) {
      const ref = r.final[reference];
      out.push(
        `| ${[
          r.name,
          r.kind,
          `${count(r.params.trainable)} (${r.params.percent.toFixed(r.params.percent < 1 ? 2 : 1)}%)`,
          formatLrs(r.lr),
          ...keys.map((k) => formatLmEstimate(r.final[k]!, digits)),
          formatLmEstimate(r.initial[keys[0]!]!, digits),
          ...(withReference ? [ref ? formatLmEstimate(ref, digits) : '—'] : []),
          r.frozenUnchanged === null ? '—' : r.frozenUnchanged ? 'yes (bitwise)' : '**NO**',
        ].join(' | ')} |`,
      );
    }
    out.push('');
    const searched = s.rows.filter((x) => x.trainSize === size && x.lrSearch !== undefined);
    if (searched.length > 0) {
      out.push(
        `LR search (mean validation ${s.headline} over seeds; picks: seeds whose validation chose the rate):`,
        '',
      );
      for (const r of searched) {
        const cells = r.lrSearch!.map(
          (g) => `${formatLr(g.lr)}: ${fmt(g.validation, digits)} (${g.picked})`,
        );
        out.push(`- ${r.name}: ${cells.join('; ')}`);
      }
      out.push('');
    }
  }
  if (s.missing.length > 0) out.push(`Missing jobs: ${s.missing.join('; ')}.`, '');
  return out.join('\n');
}

function fileSafe(x: string): string {
  return x.replace(/[^A-Za-z0-9_.-]+/g, '_');
}

/** summary.json, summary.md and the plots of a run folder. */
export async function finalizeLmRun(
  dir: string,
  id: string,
  exp: LmExperiment,
  data: string,
  results: readonly LmJobResult[],
): Promise<{ summary: LmSummary; plots: string[] }> {
  const summary = computeLmSummary(id, exp, data, results);
  // The curves plotted are the reported jobs' (each seed's chosen learning rate).
  const chosen = selectLmResults(exp, results).chosen;
  await writeFileAtomic(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  await writeFileAtomic(join(dir, 'summary.md'), `# ${exp.name}\n\n${lmSummaryMarkdown(summary)}`);
  const { learningCurvesSvg } = await import('../plots.js');
  const plotsDir = join(dir, 'plots');
  fs.mkdirSync(plotsDir, { recursive: true });
  const plots: string[] = [];
  const key = summary.headline;
  const ci = { method: 't' as const, level: exp.ciLevel };
  // Perplexity before training is of the order of the vocabulary: it would flatten the rest.
  const from = exp.target.task === 'causal-lm' ? 1 : 0;
  for (const size of exp.target.trainSizes) {
    const bands = exp.methods.flatMap((m) => {
      const rs = chosen.filter((r) => r.trainSize === size && r.method === m.name);
      if (rs.length === 0) return [];
      const curves = rs.map((r) => ({
        steps: r.curve.slice(from).map((p) => p.step),
        values: r.curve.slice(from).map((p) => p.metrics[key]!),
      }));
      return [
        {
          name: m.name,
          band: curveBand(curves, curves[0]!.steps, ci),
          dashed: m.kind === 'scratch',
        },
      ];
    });
    if (bands.length === 0 || bands[0]!.band.steps.length < 2) continue;
    const name = `${fileSafe(key)}-vs-steps-n${size}.svg`;
    const svg = await learningCurvesSvg(bands, {
      title: `${exp.name}: held-out ${key}, ${size} target examples`,
      level: exp.ciLevel,
      xTitle: 'target training steps',
      yTitle: `held-out ${key}`,
    });
    await writeFileAtomic(join(plotsDir, name), svg);
    plots.push(`plots/${name}`);
  }
  if (exp.target.trainSizes.length > 1) {
    const sizes = [...exp.target.trainSizes].sort((a, b) => a - b);
    const bands = exp.methods.flatMap((m) => {
      const rows = sizes.map((n) =>
        summary.rows.find((r) => r.trainSize === n && r.name === m.name),
      );
      if (rows.some((r) => r === undefined)) return [];
      const est = rows.map((r) => r!.final[key]!);
      return [
        {
          name: m.name,
          band: {
            steps: sizes,
            mean: est.map((e) => e.mean),
            lower: est.map((e) => e.lower),
            upper: est.map((e) => e.upper),
            n: Math.min(...est.map((e) => e.n)),
          },
          dashed: m.kind === 'scratch',
        },
      ];
    });
    if (bands.length > 0) {
      const name = `${fileSafe(key)}-vs-size.svg`;
      const svg = await learningCurvesSvg(bands, {
        title: `${exp.name}: held-out ${key} after ${exp.target.steps} steps`,
        level: exp.ciLevel,
        xTitle: 'target training examples',
        yTitle: `held-out ${key}`,
      });
      await writeFileAtomic(join(plotsDir, name), svg);
      plots.push(`plots/${name}`);
    }
  }
  return { summary, plots };
}
