/**
 * Learning curves: performance (episodic return) against environment steps. Curves from
 * different seeds and methods have episodes ending at different steps, so comparisons resample
 * them to one common step grid by linear interpolation.
 */
import { ValueError } from '../core/errors.js';
import type { EpisodeRecord } from '../rl/algos/types.js';

export interface Curve {
  /** Environment steps, strictly increasing. */
  steps: number[];
  values: number[];
}

export type Smoothing =
  | { kind: 'none' }
  /** Trailing mean of the last `window` points (fewer at the start). */
  | { kind: 'moving-average'; window: number }
  /** Exponential moving average s_i = alpha·v_i + (1 - alpha)·s_{i-1}, s_0 = v_0. */
  | { kind: 'ema'; alpha: number };

export function checkCurve(curve: Curve, what = 'curve'): void {
  const { steps, values } = curve;
  if (steps.length !== values.length) {
    throw new ValueError(
      `${what}: ${steps.length} steps but ${values.length} values; they must pair up`,
    );
  }
  for (let i = 0; i < steps.length; i++) {
    if (!Number.isFinite(steps[i]) || !Number.isFinite(values[i])) {
      throw new ValueError(
        `${what}: point ${i} is (${steps[i]}, ${values[i]}); need finite numbers`,
      );
    }
    if (i > 0 && !(steps[i] > steps[i - 1])) {
      throw new ValueError(
        `${what}: steps must increase strictly, but step[${i}] = ${steps[i]} follows ${steps[i - 1]}`,
      );
    }
  }
}

export interface EpisodesToCurveOptions {
  /** Keep only this agent's episodes (multi-agent runs); by default all agents are averaged. */
  agent?: string;
}

/**
 * Episode records -> curve. Episodes finishing at the same global step (vectorised envs, several
 * agents) become one point holding their mean return.
 */
export function episodesToCurve(
  episodes: readonly EpisodeRecord[],
  options: EpisodesToCurveOptions = {},
): Curve {
  const kept = episodes.filter((e) => options.agent === undefined || e.agent === options.agent);
  const byStep = new Map<number, { sum: number; count: number }>();
  for (const [i, e] of kept.entries()) {
    if (!Number.isFinite(e.globalStep) || !Number.isFinite(e.episodicReturn)) {
      throw new ValueError(
        `episodesToCurve: episode ${i} has globalStep ${e.globalStep}, return ${e.episodicReturn}`,
      );
    }
    const slot = byStep.get(e.globalStep) ?? { sum: 0, count: 0 };
    slot.sum += e.episodicReturn;
    slot.count += 1;
    byStep.set(e.globalStep, slot);
  }
  const steps = [...byStep.keys()].sort((a, b) => a - b);
  return { steps, values: steps.map((s) => byStep.get(s)!.sum / byStep.get(s)!.count) };
}

export function movingAverage(curve: Curve, window: number): Curve {
  if (!Number.isInteger(window) || window < 1) {
    throw new ValueError(`movingAverage: window must be a positive integer, got ${window}`);
  }
  const values = new Array<number>(curve.values.length);
  let sum = 0;
  for (let i = 0; i < curve.values.length; i++) {
    sum += curve.values[i];
    if (i >= window) sum -= curve.values[i - window];
    values[i] = sum / Math.min(i + 1, window);
  }
  return { steps: [...curve.steps], values };
}

export function ema(curve: Curve, alpha: number): Curve {
  if (!(alpha > 0 && alpha <= 1))
    throw new ValueError(`ema: alpha must be in (0, 1], got ${alpha}`);
  const values = new Array<number>(curve.values.length);
  for (let i = 0; i < curve.values.length; i++) {
    values[i] = i === 0 ? curve.values[0] : alpha * curve.values[i] + (1 - alpha) * values[i - 1];
  }
  return { steps: [...curve.steps], values };
}

export function smooth(curve: Curve, smoothing: Smoothing): Curve {
  switch (smoothing.kind) {
    case 'none':
      return { steps: [...curve.steps], values: [...curve.values] };
    case 'moving-average':
      return movingAverage(curve, smoothing.window);
    case 'ema':
      return ema(curve, smoothing.alpha);
  }
}

/** `points` evenly spaced values from `start` to `end` inclusive. */
export function linspace(start: number, end: number, points: number): number[] {
  if (!Number.isInteger(points) || points < 2) {
    throw new ValueError(`linspace: need an integer number of points >= 2, got ${points}`);
  }
  const out = new Array<number>(points);
  for (let i = 0; i < points; i++) out[i] = start + ((end - start) * i) / (points - 1);
  out[points - 1] = end;
  return out;
}

/**
 * The curve's value at `step` by linear interpolation; outside the observed range the nearest
 * end value is held (performance is assumed flat before the first and after the last episode).
 */
export function interpolate(curve: Curve, step: number): number {
  const { steps, values } = curve;
  if (steps.length === 0) throw new ValueError('interpolate: empty curve');
  if (step <= steps[0]) return values[0];
  const last = steps.length - 1;
  if (step >= steps[last]) return values[last];
  let lo = 0;
  let hi = last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (steps[mid] <= step) lo = mid;
    else hi = mid;
  }
  const t = (step - steps[lo]) / (steps[hi] - steps[lo]);
  return values[lo] + t * (values[hi] - values[lo]);
}

export function resample(curve: Curve, grid: readonly number[]): Curve {
  return { steps: [...grid], values: grid.map((s) => interpolate(curve, s)) };
}

/**
 * A grid covering the steps every curve observed: from the latest first step to the earliest
 * last step, so no curve is extrapolated.
 */
export function commonGrid(curves: readonly Curve[], points: number): number[] {
  if (curves.length === 0) throw new ValueError('commonGrid: no curves');
  let start = -Infinity;
  let end = Infinity;
  for (const [i, c] of curves.entries()) {
    if (c.steps.length < 2) {
      throw new ValueError(
        `commonGrid: curve ${i} has ${c.steps.length} point(s); need at least 2`,
      );
    }
    start = Math.max(start, c.steps[0]);
    end = Math.min(end, c.steps[c.steps.length - 1]);
  }
  if (!(end > start)) {
    throw new ValueError(
      `commonGrid: the curves share no step range (latest start ${start}, earliest end ${end})`,
    );
  }
  return linspace(start, end, points);
}

/** Area under the curve by the trapezoid rule, in (value × steps). */
export function trapezoid(curve: Curve): number {
  let area = 0;
  for (let i = 1; i < curve.steps.length; i++) {
    area += ((curve.values[i] + curve.values[i - 1]) / 2) * (curve.steps[i] - curve.steps[i - 1]);
  }
  return area;
}

/**
 * The first step at which the curve reaches `threshold` (value >= threshold), interpolated
 * linearly between the last point below and the first point at or above; null when never reached.
 */
export function timeToThreshold(curve: Curve, threshold: number): number | null {
  const { steps, values } = curve;
  for (let i = 0; i < steps.length; i++) {
    if (values[i] >= threshold) {
      if (i === 0) return steps[0];
      const t = (threshold - values[i - 1]) / (values[i] - values[i - 1]);
      return steps[i - 1] + t * (steps[i] - steps[i - 1]);
    }
  }
  return null;
}
