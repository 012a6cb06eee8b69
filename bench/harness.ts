/** Shared timing helpers for the benchmarks: medians over repeats, peak RSS, JSON records. */

export interface BenchRecord {
  name: string;
  backend: string;
  threads: number;
  /** Median time of one step, in the unit named by `unit`. */
  median: number;
  unit: 'ms' | 'us';
  /** Every timed repeat, same unit, in run order. */
  samples: number[];
  peakRssMb: number;
  node: string;
  [extra: string]: unknown;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Run fn `warmup` times untimed, then `repeats` times timed; returns milliseconds per run. */
export function timeRuns(fn: () => void, warmup: number, repeats: number): number[] {
  for (let i = 0; i < warmup; i++) fn();
  const out: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    fn();
    out.push(performance.now() - t0);
  }
  return out;
}

/** Peak resident set size of this process so far, in MB (getrusage ru_maxrss). */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}
