import { Generator, ValueError, type FloatDType } from '../../core/index.js';

/** Options shared by layers with random initialisation. */
export interface InitOptions {
  /** Draws the initial weights; required unless skipInit. */
  rng?: Generator;
  /** Leave weights at zero (they are about to be loaded from a checkpoint). */
  skipInit?: boolean;
  dtype?: FloatDType;
}

/** The generator to initialise with, or null when skipping; no rng and no skipInit is an error. */
export function initRng(layer: string, options: InitOptions): Generator | null {
  if (options.skipInit) return null;
  if (!options.rng) {
    throw new ValueError(
      `${layer}: pass rng (a seeded Generator) to initialise the weights, or skipInit: true when they are loaded from a checkpoint next`,
    );
  }
  return options.rng;
}
