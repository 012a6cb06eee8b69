/**
 * summary.json: per method, its final performance and, against the baseline, the transfer
 * metrics of src/metrics/transfer.ts. A pure function of the resolved config and the finished
 * jobs' results, so a resumed or parallel run gives the same summary as a sequential one.
 */
import { writeFileAtomic } from '../core/io/atomic.js';
import {
  commonGrid,
  confidenceInterval,
  curveBand,
  episodesToCurve,
  resample,
  smooth,
  transferMetrics,
  trapezoid,
  type Curve,
  type CurveBand,
  type Estimate,
  type IntervalOptions,
  type TransferMetrics,
} from '../metrics/index.js';
import type { TimeSeries } from './methods.js';
import type { JobResult } from './run-dir.js';
import type { ResolvedExperiment } from './schema.js';
import type { SourceReport } from '../transfer/a2t/source-report.js';

export interface MethodSummary {
  name: string;
  kind: string;
  /** Seeds whose job finished. */
  seeds: number[];
  /** Seeds of the config whose job did not finish (failed or not run). */
  missingSeeds: number[];
  /** Mean return over the last `metrics.window` grid points. */
  finalReturn: Estimate | null;
  /** Area under the learning curve on the common grid (minus metrics.aucBaseline). */
  auc: Estimate | null;
  /** Against the baseline; null for the baseline itself or when it could not be computed. */
  transfer: TransferMetrics | null;
}

export interface RunSummary {
  format: 'osmosis-summary';
  version: 1;
  id: string;
  name: string;
  env: string;
  baseline: string | null;
  threshold: number | null;
  grid: { start: number; end: number; points: number } | null;
  methods: MethodSummary[];
  /** Names of the methods flagged for negative transfer. */
  negativeTransfer: string[];
  warnings: string[];
  /**
   * The pretrained sources that were evaluated (a source entry with `evaluation`): which agent
   * was kept and whether it solves its own task. Absent when there are none.
   */
  sources?: SourceReport[];
}

export interface MethodCurves {
  name: string;
  kind: string;
  bySeed: { seed: number; curve: Curve }[];
}

/** Smoothed learning curves per method, seeds in increasing order. */
export function methodCurves(
  experiment: ResolvedExperiment,
  results: readonly JobResult[],
): MethodCurves[] {
  const { metrics } = experiment;
  return experiment.methods.map((m) => ({
    name: m.name,
    kind: m.kind,
    bySeed: results
      .filter((r) => r.method === m.name)
      .sort((a, b) => a.seed - b.seed)
      .map((r) => ({
        seed: r.seed,
        curve: smooth(
          episodesToCurve(r.episodes, metrics.agent !== undefined ? { agent: metrics.agent } : {}),
          metrics.smoothing,
        ),
      })),
  }));
}

/** The last step any of the method's curves reaches. */
function curveEnd(m: MethodCurves): number {
  return Math.max(...m.bySeed.map((s) => s.curve.steps[s.curve.steps.length - 1]));
}

export function intervalOptions(experiment: ResolvedExperiment): IntervalOptions {
  return { ...experiment.metrics.ci };
}

/** The step grid every finished curve covers, or null (with the reason) when there is none. */
export function runGrid(curves: readonly MethodCurves[], points: number): number[] | string {
  const all = curves.flatMap((m) => m.bySeed.map((s) => s.curve));
  const short = curves.flatMap((m) =>
    m.bySeed.filter((s) => s.curve.steps.length < 2).map((s) => `${m.name} seed ${s.seed}`),
  );
  if (all.length === 0) return 'no job finished';
  if (short.length > 0) return `fewer than 2 episodes in: ${short.join(', ')}`;
  try {
    return commonGrid(all, points);
  } catch (err) {
    return (err as Error).message;
  }
}

export function computeSummary(
  id: string,
  experiment: ResolvedExperiment,
  results: readonly JobResult[],
): RunSummary {
  const { metrics } = experiment;
  const curves = methodCurves(experiment, results);
  const warnings: string[] = [];
  const ci = intervalOptions(experiment);
  const grid = runGrid(curves, metrics.gridPoints);
  if (typeof grid === 'string') warnings.push(`no learning-curve metrics: ${grid}`);
  const window = typeof grid === 'string' ? 0 : Math.min(metrics.window, grid.length);
  const baseline = metrics.baseline ?? null;
  if (baseline === null && experiment.methods.length > 1) {
    warnings.push(
      'no baseline: set metrics.baseline or add a method of kind "scratch" to get transfer metrics',
    );
  }
  const baseCurves = curves.find((c) => c.name === baseline);

  const methods: MethodSummary[] = curves.map((m) => {
    const seeds = m.bySeed.map((s) => s.seed);
    const missingSeeds = experiment.seeds.filter((s) => !seeds.includes(s));
    if (missingSeeds.length > 0) {
      warnings.push(`${m.name}: no result for seed(s) ${missingSeeds.join(', ')}`);
    }
    const out: MethodSummary = {
      name: m.name,
      kind: m.kind,
      seeds,
      missingSeeds,
      finalReturn: null,
      auc: null,
      transfer: null,
    };
    if (typeof grid === 'string' || m.bySeed.length === 0) return out;
    const resampled = m.bySeed.map((s) => resample(s.curve, grid).values);
    out.finalReturn = confidenceInterval(
      resampled.map((v) => v.slice(v.length - window).reduce((a, b) => a + b, 0) / window),
      ci,
    );
    out.auc = confidenceInterval(
      resampled.map((v) =>
        trapezoid({ steps: grid, values: v.map((x) => x - metrics.aucBaseline) }),
      ),
      ci,
    );
    if (baseCurves && m.name !== baseline && baseCurves.bySeed.length > 0) {
      try {
        // The curves are smoothed already: no second smoothing inside transferMetrics.
        out.transfer = transferMetrics(m.bySeed, baseCurves.bySeed, {
          grid,
          window,
          initialWindow: Math.min(metrics.initialWindow, grid.length),
          ci,
          aucBaseline: metrics.aucBaseline,
          ...(metrics.threshold !== undefined ? { threshold: metrics.threshold } : {}),
          // A seed that never reaches the threshold counts the steps its method's curves cover:
          // for RL methods the budget up to the last episode's end; other kinds' curves have
          // their own x axis (mamt: inner adaptation steps), which totalSteps does not measure.
          budget: { transfer: curveEnd(m), scratch: curveEnd(baseCurves) },
        });
      } catch (err) {
        warnings.push(`${m.name}: no transfer metrics: ${(err as Error).message}`);
      }
    }
    return out;
  });

  return {
    format: 'osmosis-summary',
    version: 1,
    id,
    name: experiment.name,
    env: experiment.env.id,
    baseline,
    threshold: metrics.threshold ?? null,
    grid:
      typeof grid === 'string'
        ? null
        : { start: grid[0], end: grid[grid.length - 1], points: grid.length },
    methods,
    negativeTransfer: methods.filter((m) => m.transfer?.negativeTransfer).map((m) => m.name),
    warnings,
  };
}

export async function writeSummary(path: string, summary: RunSummary): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(summary, null, 2)}\n`);
}

/** Bands (mean and CI over seeds) of each method on the run's grid, for plots. */
export function methodBands(
  experiment: ResolvedExperiment,
  results: readonly JobResult[],
): { grid: number[] | null; bands: { name: string; band: CurveBand }[] } {
  const curves = methodCurves(experiment, results);
  const grid = runGrid(curves, Math.min(experiment.metrics.gridPoints, 200));
  if (typeof grid === 'string') return { grid: null, bands: [] };
  const ci = intervalOptions(experiment);
  return {
    grid,
    bands: curves
      .filter((m) => m.bySeed.length > 0)
      .map((m) => ({
        name: m.name,
        band: curveBand(
          m.bySeed.map((s) => s.curve),
          grid,
          ci,
        ),
      })),
  };
}

/** The time series a method returned (extra.timeSeries), averaged over seeds per step. */
export function methodTimeSeries(method: string, results: readonly JobResult[]): TimeSeries[] {
  const byName = new Map<string, TimeSeries[]>();
  for (const r of results.filter((x) => x.method === method)) {
    const list = (r.extra as { timeSeries?: unknown }).timeSeries;
    if (!Array.isArray(list)) continue;
    for (const ts of list as TimeSeries[]) {
      if (!ts || typeof ts.name !== 'string' || !Array.isArray(ts.steps)) continue;
      byName.set(ts.name, [...(byName.get(ts.name) ?? []), ts]);
    }
  }
  return [...byName.entries()].map(([name, list]) => {
    const steps = list[0].steps;
    const keys = Object.keys(list[0].series ?? {});
    const series: Record<string, number[]> = {};
    for (const k of keys) {
      series[k] = steps.map((_, i) => {
        const vals = list
          .map((ts) => (ts.steps[i] === steps[i] ? ts.series?.[k]?.[i] : undefined))
          .filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
        return vals.length > 0 ? vals.reduce((a, b) => a + b, 0) / vals.length : NaN;
      });
    }
    return {
      name,
      ...(list[0].yLabel !== undefined ? { yLabel: list[0].yLabel } : {}),
      steps,
      series,
    };
  });
}
