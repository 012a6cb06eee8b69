import { randomInt } from 'node:crypto';
import { Generator } from '../core/rng.js';
import { ValueError } from '../core/errors.js';

/**
 * The random state every environment owns: Gymnasium's `np_random` / `np_random_seed`. Seeding
 * re-creates the generator; an env that was never seeded draws its seed from OS entropy on first
 * use, exactly as Gymnasium does, and records it so even such a run can be replayed.
 */
export class EnvRandom {
  private gen: Generator | null = null;
  private seedUsed: number | null = null;

  get generator(): Generator {
    if (this.gen === null) this.reseed(entropySeed());
    return this.gen!;
  }

  set generator(g: Generator) {
    this.gen = g;
    // Gymnasium sets np_random_seed to -1 when a generator is assigned directly.
    this.seedUsed = -1;
  }

  /** The seed of the current generator: null before first use, -1 if one was assigned. */
  get seed(): number | null {
    return this.seedUsed;
  }

  reseed(seed: number): void {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new ValueError(`seed must be a non-negative safe integer, got ${seed}`);
    }
    this.gen = new Generator(seed);
    this.seedUsed = seed;
  }
}

/** A fresh seed from OS entropy, for generators the user chose not to seed. */
export function entropySeed(): number {
  return randomInt(2 ** 48 - 1);
}
