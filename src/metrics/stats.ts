/**
 * Small-sample statistics for comparing learning curves over seeds: the Student t quantile (for
 * confidence intervals with n of 3 to 30 seeds, where the normal approximation is too narrow) and
 * a percentile bootstrap driven by a seeded Generator.
 */
import { ValueError } from '../core/errors.js';
import { Generator } from '../core/rng.js';

export type IntervalMethod = 't' | 'bootstrap';

export interface IntervalOptions {
  /** 't' (default): mean ± t_{(1+level)/2, n-1} · s/√n. 'bootstrap': percentile bootstrap. */
  method?: IntervalMethod;
  /** Coverage, default 0.95. */
  level?: number;
  /** Bootstrap resamples (default 2000). */
  resamples?: number;
  /** Seed of the bootstrap Generator (default 0): the same seed gives the same interval. */
  seed?: number;
}

/** A mean over seeds with its confidence interval; bounds are null when n < 2 (no spread known). */
export interface Estimate {
  mean: number;
  lower: number | null;
  upper: number | null;
  /** Sample standard deviation (n - 1 denominator); 0 when n < 2. */
  std: number;
  n: number;
  level: number;
  method: IntervalMethod;
}

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) throw new ValueError('mean: empty sample');
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample standard deviation with the n - 1 denominator; 0 for a single value. */
export function sampleStd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) * (x - m);
  return Math.sqrt(s / (xs.length - 1));
}

/**
 * ln Γ(x) for x > 0: Stirling's series past x = 15 (error below 1e-16 there), shifted down by the
 * recurrence Γ(x + 1) = x·Γ(x) for smaller x.
 */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new ValueError(`logGamma: x must be > 0, got ${x}`);
  let shift = 0;
  while (x < 15) {
    shift += Math.log(x);
    x += 1;
  }
  const inv = 1 / x;
  const inv2 = inv * inv;
  const series =
    inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 * (1 / 1680 - inv2 / 1188))));
  return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + series - shift;
}

/** Continued fraction of the incomplete beta function (modified Lentz, Numerical Recipes 6.4). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b). */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(
    logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x),
  );
  // The continued fraction converges fast only for x < (a + 1) / (a + b + 2); use symmetry beyond.
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

/** CDF of Student's t distribution with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  if (!(df > 0)) throw new ValueError(`studentTCdf: df must be > 0, got ${df}`);
  if (t === 0) return 0.5;
  const tail = 0.5 * regularizedBeta(df / (df + t * t), df / 2, 0.5);
  return t > 0 ? 1 - tail : tail;
}

/** Quantile (inverse CDF) of Student's t: the t with P(T <= t) = p. */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new ValueError(`studentTQuantile: p must be in (0, 1), got ${p}`);
  if (!(df > 0) || !Number.isFinite(df)) {
    throw new ValueError(`studentTQuantile: df must be a positive finite number, got ${df}`);
  }
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  // Exact forms for 1 and 2 degrees of freedom; bisection on the CDF elsewhere (monotone, so
  // bisection cannot fail, and 200 halvings reach double precision from any bracket).
  if (df === 1) return Math.tan(Math.PI * (p - 0.5));
  if (df === 2) return (2 * p - 1) / Math.sqrt(2 * p * (1 - p));
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-14 * hi; i++) {
    const mid = 0.5 * (lo + hi);
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/** Linear-interpolated quantile of sorted values (type 7, as numpy's default). */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new ValueError('quantileSorted: empty sample');
  const pos = (sorted.length - 1) * q;
  const i = Math.floor(pos);
  const frac = pos - i;
  return i + 1 < sorted.length ? sorted[i] + frac * (sorted[i + 1] - sorted[i]) : sorted[i];
}

/** The mean of `xs` with a confidence interval (Student t by default, or percentile bootstrap). */
export function confidenceInterval(xs: readonly number[], options: IntervalOptions = {}): Estimate {
  const method = options.method ?? 't';
  const level = options.level ?? 0.95;
  if (!(level > 0 && level < 1)) {
    throw new ValueError(`confidenceInterval: level must be in (0, 1), got ${level}`);
  }
  for (const [i, x] of xs.entries()) {
    if (!Number.isFinite(x)) throw new ValueError(`confidenceInterval: value ${i} is ${x}`);
  }
  const n = xs.length;
  const m = mean(xs);
  const std = sampleStd(xs);
  if (n < 2) return { mean: m, lower: null, upper: null, std, n, level, method };
  if (method === 't') {
    const half = studentTQuantile((1 + level) / 2, n - 1) * (std / Math.sqrt(n));
    return { mean: m, lower: m - half, upper: m + half, std, n, level, method };
  }
  const resamples = options.resamples ?? 2000;
  if (!Number.isInteger(resamples) || resamples < 10) {
    throw new ValueError(
      `confidenceInterval: resamples must be an integer >= 10, got ${resamples}`,
    );
  }
  const gen = new Generator(options.seed ?? 0);
  const means = new Array<number>(resamples);
  for (let b = 0; b < resamples; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += xs[gen.int(n)];
    means[b] = s / n;
  }
  means.sort((a, b) => a - b);
  const alpha = (1 - level) / 2;
  return {
    mean: m,
    lower: quantileSorted(means, alpha),
    upper: quantileSorted(means, 1 - alpha),
    std,
    n,
    level,
    method,
  };
}
