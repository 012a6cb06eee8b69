import type { Info, ResetArgs } from '../env.js';

/**
 * Vector env results. Gymnasium batches observations into one array and infos into a dict of
 * arrays; here observations and infos stay per-env arrays (use `flatten` / `batchObservations`
 * to build network inputs), rewards are a Float64Array and flags boolean arrays.
 */
export interface VectorResetResult<Obs> {
  observations: Obs[];
  infos: Info[];
}

export interface VectorStepResult<Obs> {
  observations: Obs[];
  rewards: Float64Array;
  terminations: boolean[];
  truncations: boolean[];
  infos: Info[];
}

/** Reset arguments: one seed gives env i the seed `seed + i` (Gymnasium); or a seed per env. */
export interface VectorResetArgs {
  seed?: number | (number | undefined)[];
  options?: ResetArgs['options'];
}

/** The seed for env i, as Gymnasium's vector reset derives it. */
export function envSeed(seed: VectorResetArgs['seed'], i: number, n: number): number | undefined {
  if (seed === undefined || seed === null) return undefined;
  if (typeof seed === 'number') return seed + i;
  if (seed.length !== n) {
    throw new RangeError(`vector reset: got ${seed.length} seeds for ${n} envs`);
  }
  return seed[i] ?? undefined;
}
