/**
 * Transfer metrics of Taylor & Stone (2009), "Transfer Learning for Reinforcement Learning
 * Domains: A Survey", section 2.2: jumpstart, asymptotic performance, total reward (area under the
 * curve, as a ratio to the baseline's) and time to threshold. A transfer agent and a from-scratch
 * baseline are compared seed by seed (paired: seed k of one against seed k of the other), and
 * each metric is a mean over seeds with a confidence interval.
 */
import { ValueError } from '../core/errors.js';
import {
  checkCurve,
  commonGrid,
  resample,
  smooth,
  timeToThreshold,
  trapezoid,
  type Curve,
  type Smoothing,
} from './curves.js';
import { confidenceInterval, mean, type Estimate, type IntervalOptions } from './stats.js';

export interface SeedCurve {
  seed: number;
  curve: Curve;
}

export interface TransferOptions {
  /** Performance level for time to threshold; omitted: that metric is skipped. */
  threshold?: number;
  /**
   * Steps each agent was given (its training budget). A seed that never reaches the threshold is
   * censored there: it counts the budget as its time. Default per seed: the curve's last step.
   */
  budget?: { transfer?: number; scratch?: number };
  /** Grid points averaged for asymptotic performance (the last `window`), default 10. */
  window?: number;
  /** Grid points averaged for initial performance (the first `initialWindow`), default 1. */
  initialWindow?: number;
  /** Points of the common step grid, default 100; ignored when `grid` is given. */
  gridPoints?: number;
  /** An explicit step grid (increasing); default: the steps all curves cover, evenly spaced. */
  grid?: readonly number[];
  /** Applied to every curve before anything else; default none. */
  smoothing?: Smoothing;
  ci?: IntervalOptions;
  /**
   * Subtracted from performance before areas are taken. The area ratio depends on where zero is
   * (Taylor & Stone note this); set it to e.g. the minimum return for envs with negative rewards.
   */
  aucBaseline?: number;
}

export interface SeedTransfer {
  seed: number;
  /** Initial performance, transfer minus scratch. */
  jumpstart: number;
  /** Final-window mean performance, transfer minus scratch. */
  asymptotic: number;
  aucTransfer: number;
  aucScratch: number;
  /** (AUC_transfer - AUC_scratch) / |AUC_scratch|; null when AUC_scratch is 0. */
  aucRatio: number | null;
  /** Steps to reach the threshold; null = never reached (or no threshold set). */
  ttTransfer: number | null;
  ttScratch: number | null;
}

/** Seeds where transfer / scratch did (true) or did not (false) reach the threshold. */
function seedsWhere(perSeed: readonly SeedTransfer[], transfer: boolean, scratch: boolean): string {
  return perSeed
    .filter((p) => (p.ttTransfer !== null) === transfer && (p.ttScratch !== null) === scratch)
    .map((p) => p.seed)
    .join(', ');
}

function checkBudget(budget: number | undefined, who: string): void {
  if (budget !== undefined && !(Number.isFinite(budget) && budget > 0)) {
    throw new ValueError(`transferMetrics: budget.${who} must be a positive number, got ${budget}`);
  }
}

/** A seed's time to threshold, or the budget (censored) when it never got there. */
function censoredTime(
  reached: number | null,
  curve: Curve,
  budget: number | undefined,
  what: string,
): number {
  const limit = budget ?? curve.steps[curve.steps.length - 1];
  if (reached === null) return limit;
  if (reached > limit) {
    throw new ValueError(
      `transferMetrics: ${what} reached the threshold at step ${reached}, after its budget ${limit}`,
    );
  }
  return reached;
}

/**
 * Time to threshold over every paired seed, right-censored at the budget: a seed that never
 * reached the threshold counts the steps it was given (a lower bound on its true time). Dropping
 * such seeds instead would drop exactly the runs where an agent struggled, and with them the
 * pairs that favour whoever did reach it. The censored seeds are listed in `neverReached`.
 */
export interface TimeToThreshold {
  threshold: number;
  /** The budget a never-reached seed counts; null: each seed's own last curve step. */
  budget: { transfer: number | null; scratch: number | null };
  /** Steps to the threshold, censored at the budget, over all paired seeds. */
  transfer: Estimate;
  scratch: Estimate;
  /**
   * t_transfer / t_scratch per seed, censored times included (< 1: transfer is faster). Where
   * only scratch is censored the seed's ratio is an upper bound, where only transfer is, a lower
   * bound; null when a scratch time is 0.
   */
  ratio: Estimate | null;
  /** How the paired seeds split. */
  outcomes: { both: number; transferOnly: number; scratchOnly: number; neither: number };
  /** Censored seeds of each agent. */
  neverReached: { transfer: number[]; scratch: number[] };
}

export interface TransferWarning {
  /** 'negative-transfer' items set TransferMetrics.negativeTransfer; the others are notes. */
  kind: 'negative-transfer' | 'negative-jumpstart' | 'threshold' | 'unpaired' | 'few-seeds' | 'auc';
  message: string;
}

export interface TransferMetrics {
  /** Seeds present for both agents, in increasing order: the pairs the metrics are over. */
  seeds: number[];
  grid: { start: number; end: number; points: number };
  jumpstart: Estimate;
  asymptotic: Estimate;
  aucRatio: Estimate | null;
  timeToThreshold: TimeToThreshold | null;
  perSeed: SeedTransfer[];
  negativeTransfer: boolean;
  warnings: TransferWarning[];
}

function windowMean(values: readonly number[], from: number, to: number): number {
  return mean(values.slice(from, to));
}

function fmt(e: Estimate): string {
  const g = (v: number): string => Number(v.toPrecision(4)).toString();
  return `${g(e.mean)} (${Math.round(e.level * 100)}% CI ${e.lower === null ? '?' : g(e.lower)} to ${e.upper === null ? '?' : g(e.upper)}, n=${e.n})`;
}

/** Paired transfer metrics of `transfer` against `scratch` (both: one curve per seed). */
export function transferMetrics(
  transfer: readonly SeedCurve[],
  scratch: readonly SeedCurve[],
  options: TransferOptions = {},
): TransferMetrics {
  const window = options.window ?? 10;
  const initialWindow = options.initialWindow ?? 1;
  const smoothing = options.smoothing ?? { kind: 'none' };
  const aucBaseline = options.aucBaseline ?? 0;
  const warnings: TransferWarning[] = [];

  const index = (runs: readonly SeedCurve[], who: string): Map<number, Curve> => {
    const m = new Map<number, Curve>();
    for (const { seed, curve } of runs) {
      if (m.has(seed)) throw new ValueError(`transferMetrics: ${who} has seed ${seed} twice`);
      checkCurve(curve, `transferMetrics: ${who} seed ${seed}`);
      m.set(seed, smooth(curve, smoothing));
    }
    return m;
  };
  const t = index(transfer, 'transfer');
  const s = index(scratch, 'scratch');
  const seeds = [...t.keys()].filter((k) => s.has(k)).sort((a, b) => a - b);
  const unpairedT = [...t.keys()].filter((k) => !s.has(k));
  const unpairedS = [...s.keys()].filter((k) => !t.has(k));
  if (unpairedT.length + unpairedS.length > 0) {
    warnings.push({
      kind: 'unpaired',
      message:
        `seeds without a partner are left out: transfer only [${unpairedT.join(', ')}], ` +
        `scratch only [${unpairedS.join(', ')}]`,
    });
  }
  if (seeds.length === 0) throw new ValueError('transferMetrics: no seed has both curves');
  if (seeds.length < 2) {
    warnings.push({
      kind: 'few-seeds',
      message: `only ${seeds.length} paired seed: no confidence interval, no significance`,
    });
  }

  const grid = options.grid
    ? [...options.grid]
    : commonGrid(
        seeds.flatMap((k) => [t.get(k)!, s.get(k)!]),
        options.gridPoints ?? 100,
      );
  checkCurve({ steps: grid, values: grid.map(() => 0) }, 'transferMetrics: grid');
  if (grid.length < 2) throw new ValueError('transferMetrics: the grid needs at least 2 steps');
  for (const [name, w] of [
    ['window', window],
    ['initialWindow', initialWindow],
  ] as const) {
    if (!Number.isInteger(w) || w < 1 || w > grid.length) {
      throw new ValueError(
        `transferMetrics: ${name} must be an integer in [1, ${grid.length}] (grid points), got ${w}`,
      );
    }
  }

  const perSeed: SeedTransfer[] = seeds.map((seed) => {
    const ct = t.get(seed)!;
    const cs = s.get(seed)!;
    const rt = resample(ct, grid).values;
    const rs = resample(cs, grid).values;
    const n = grid.length;
    const aucT = trapezoid({ steps: grid, values: rt.map((v) => v - aucBaseline) });
    const aucS = trapezoid({ steps: grid, values: rs.map((v) => v - aucBaseline) });
    return {
      seed,
      jumpstart: windowMean(rt, 0, initialWindow) - windowMean(rs, 0, initialWindow),
      asymptotic: windowMean(rt, n - window, n) - windowMean(rs, n - window, n),
      aucTransfer: aucT,
      aucScratch: aucS,
      aucRatio: aucS === 0 ? null : (aucT - aucS) / Math.abs(aucS),
      ttTransfer: options.threshold === undefined ? null : timeToThreshold(ct, options.threshold),
      ttScratch: options.threshold === undefined ? null : timeToThreshold(cs, options.threshold),
    };
  });

  const ci = options.ci ?? {};
  const jumpstart = confidenceInterval(
    perSeed.map((p) => p.jumpstart),
    ci,
  );
  const asymptotic = confidenceInterval(
    perSeed.map((p) => p.asymptotic),
    ci,
  );
  const ratios = perSeed.filter((p) => p.aucRatio !== null).map((p) => p.aucRatio!);
  const aucRatio = ratios.length > 0 ? confidenceInterval(ratios, ci) : null;
  if (ratios.length < perSeed.length) {
    warnings.push({
      kind: 'auc',
      message:
        `the scratch area is 0 for ${perSeed.length - ratios.length} seed(s): no area ratio there; ` +
        'set metrics.aucBaseline to move the zero of performance',
    });
  }
  if (perSeed.some((p) => p.aucScratch < 0)) {
    warnings.push({
      kind: 'auc',
      message:
        'the scratch area is negative for some seeds; the ratio divides by its magnitude, so ' +
        'a positive ratio still means more reward, but consider metrics.aucBaseline',
    });
  }

  let tt: TimeToThreshold | null = null;
  if (options.threshold !== undefined) {
    const budget = options.budget ?? {};
    checkBudget(budget.transfer, 'transfer');
    checkBudget(budget.scratch, 'scratch');
    const outcomes = { both: 0, transferOnly: 0, scratchOnly: 0, neither: 0 };
    for (const p of perSeed) {
      if (p.ttTransfer !== null && p.ttScratch !== null) outcomes.both++;
      else if (p.ttTransfer !== null) outcomes.transferOnly++;
      else if (p.ttScratch !== null) outcomes.scratchOnly++;
      else outcomes.neither++;
    }
    const timesT = perSeed.map((p) =>
      censoredTime(p.ttTransfer, t.get(p.seed)!, budget.transfer, `transfer seed ${p.seed}`),
    );
    const timesS = perSeed.map((p) =>
      censoredTime(p.ttScratch, s.get(p.seed)!, budget.scratch, `scratch seed ${p.seed}`),
    );
    const ratioValues = timesT.flatMap((v, i) => (timesS[i] > 0 ? [v / timesS[i]] : []));
    tt = {
      threshold: options.threshold,
      budget: { transfer: budget.transfer ?? null, scratch: budget.scratch ?? null },
      transfer: confidenceInterval(timesT, ci),
      scratch: confidenceInterval(timesS, ci),
      ratio: ratioValues.length > 0 ? confidenceInterval(ratioValues, ci) : null,
      outcomes,
      neverReached: {
        transfer: perSeed.filter((p) => p.ttTransfer === null).map((p) => p.seed),
        scratch: perSeed.filter((p) => p.ttScratch === null).map((p) => p.seed),
      },
    };
    if (outcomes.scratchOnly > 0) {
      warnings.push({
        kind: 'threshold',
        message:
          `transfer never reached the threshold ${options.threshold} on ${outcomes.scratchOnly} ` +
          `seed(s) where scratch did (seeds ${seedsWhere(perSeed, false, true)}): its time ` +
          'there is censored at the budget, so the time ratio understates it',
      });
    }
    if (outcomes.transferOnly > 0) {
      warnings.push({
        kind: 'threshold',
        message:
          `scratch never reached the threshold ${options.threshold} on ${outcomes.transferOnly} ` +
          `seed(s) where transfer did (seeds ${seedsWhere(perSeed, true, false)}): its time ` +
          'there is censored at the budget, so the time ratio overstates it',
      });
    }
    if (outcomes.neither > 0) {
      warnings.push({
        kind: 'threshold',
        message:
          `neither agent reached the threshold ${options.threshold} on ${outcomes.neither} ` +
          'seed(s): both times are censored at their budgets there',
      });
    }
  }

  // Negative transfer: the transfer agent is significantly worse, i.e. the whole interval of the
  // paired difference lies below zero.
  if (aucRatio && aucRatio.upper !== null && aucRatio.upper < 0) {
    warnings.push({
      kind: 'negative-transfer',
      message: `negative transfer: area under the curve ratio ${fmt(aucRatio)} lies entirely below 0 — transfer collected less reward than learning from scratch`,
    });
  }
  if (asymptotic.upper !== null && asymptotic.upper < 0) {
    warnings.push({
      kind: 'negative-transfer',
      message: `negative transfer: asymptotic performance difference ${fmt(asymptotic)} lies entirely below 0 — transfer ends worse than learning from scratch`,
    });
  }
  // A worse start alone is common (a transferred policy must first adapt) and not counted as
  // negative transfer, but it is worth a note.
  if (jumpstart.upper !== null && jumpstart.upper < 0) {
    warnings.push({
      kind: 'negative-jumpstart',
      message: `negative jumpstart: ${fmt(jumpstart)} lies entirely below 0 — transfer starts worse than learning from scratch`,
    });
  }

  return {
    seeds,
    grid: { start: grid[0], end: grid[grid.length - 1], points: grid.length },
    jumpstart,
    asymptotic,
    aucRatio,
    timeToThreshold: tt,
    perSeed,
    negativeTransfer: warnings.some((w) => w.kind === 'negative-transfer'),
    warnings,
  };
}

/** Mean curve over seeds on a grid, with a pointwise confidence band (for plots). */
export interface CurveBand {
  steps: number[];
  mean: number[];
  lower: (number | null)[];
  upper: (number | null)[];
  n: number;
}

export function curveBand(
  curves: readonly Curve[],
  grid: readonly number[],
  ci: IntervalOptions = {},
): CurveBand {
  if (curves.length === 0) throw new ValueError('curveBand: no curves');
  const resampled = curves.map((c) => resample(c, grid).values);
  const band: CurveBand = { steps: [...grid], mean: [], lower: [], upper: [], n: curves.length };
  for (let i = 0; i < grid.length; i++) {
    const e = confidenceInterval(
      resampled.map((r) => r[i]),
      ci,
    );
    band.mean.push(e.mean);
    band.lower.push(e.lower);
    band.upper.push(e.upper);
  }
  return band;
}
