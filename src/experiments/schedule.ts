/**
 * The order jobs are handed to the workers. A transfer job whose source is not trained yet
 * trains it first, and every other job of that source waits for it on a lock (sources.ts in
 * src/transfer/a2t): with the jobs in config order (scratch seeds first) a worker would sit idle
 * for most of a source's pretraining. So one job per source goes first, and jobs that need no
 * source fill the other workers meanwhile. Results do not depend on the order.
 */
import type { MethodEntry, ResolvedExperiment } from './schema.js';

interface Job {
  method: string;
  seed: number;
}

/**
 * Which pretrained source a job waits for, or null when it needs none. Methods other than
 * `scratch` read the experiment's sources; `sourceSeed` (a number shared by every seed, or 'job',
 * the default) picks which pretraining of them.
 */
function sourceKey(m: MethodEntry | undefined, seed: number, hasSource: boolean): string | null {
  if (!m || !hasSource || m.kind === 'scratch') return null;
  const s = m.sourceSeed;
  return typeof s === 'number' ? `seed ${s}` : `seed ${seed}`;
}

/** The jobs reordered: one per distinct source first, then the rest in their given order. */
export function scheduleJobs<J extends Job>(
  jobs: readonly J[],
  experiment: ResolvedExperiment,
): J[] {
  const byName = new Map(experiment.methods.map((m) => [m.name, m]));
  const hasSource = experiment.source !== undefined;
  const claimed = new Set<string>();
  const first: J[] = [];
  const rest: J[] = [];
  for (const job of jobs) {
    const key = sourceKey(byName.get(job.method), job.seed, hasSource);
    if (key !== null && !claimed.has(key)) {
      claimed.add(key);
      first.push(job);
    } else rest.push(job);
  }
  return [...first, ...rest];
}
