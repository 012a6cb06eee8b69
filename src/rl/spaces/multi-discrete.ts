import { ValueError } from '../../core/errors.js';
import type { Generator } from '../../core/rng.js';
import { checkBinaryMask } from './discrete.js';
import { isNumberArrayLike, Space, type SpaceJSON } from './space.js';

/** One mask per component, each as a Discrete mask. */
export type MultiDiscreteMask = readonly (ArrayLike<number> | null | undefined)[];

/**
 * A vector of independent discrete values, component i in {start[i], ..., start[i] + nvec[i] - 1}
 * (Gymnasium's `spaces.MultiDiscrete`, one-dimensional nvec). Values are Int32Arrays.
 */
export class MultiDiscrete extends Space<Int32Array, MultiDiscreteMask> {
  readonly nvec: Int32Array;
  readonly start: Int32Array;
  readonly shape: readonly number[];
  readonly dtype = 'int64' as const;

  constructor(nvec: ArrayLike<number>, start?: ArrayLike<number>) {
    super();
    for (let i = 0; i < nvec.length; i++) {
      if (!Number.isInteger(nvec[i]) || nvec[i] <= 0 || nvec[i] > 2 ** 31 - 1) {
        throw new ValueError(`MultiDiscrete: nvec[${i}] = ${nvec[i]}, expected a positive int32`);
      }
    }
    if (start !== undefined && start.length !== nvec.length) {
      throw new ValueError(
        `MultiDiscrete: start has length ${start.length}, nvec has ${nvec.length}`,
      );
    }
    this.nvec = Int32Array.from(nvec);
    this.start = start ? Int32Array.from(start) : new Int32Array(nvec.length);
    this.shape = Object.freeze([nvec.length]);
  }

  sample(rng: Generator, mask?: MultiDiscreteMask): Int32Array {
    const out = new Int32Array(this.nvec.length);
    if (mask !== undefined && mask !== null && mask.length !== this.nvec.length) {
      throw new ValueError(
        `MultiDiscrete.sample: mask has ${mask.length} entries, expected ${this.nvec.length}`,
      );
    }
    for (let i = 0; i < out.length; i++) {
      const m = mask?.[i];
      if (m === undefined || m === null) {
        out[i] = this.start[i] + rng.int(this.nvec[i]);
        continue;
      }
      checkBinaryMask(`MultiDiscrete.sample (component ${i})`, m, this.nvec[i], 1);
      const allowed: number[] = [];
      for (let j = 0; j < this.nvec[i]; j++) if (m[j] === 1) allowed.push(j);
      out[i] = this.start[i] + (allowed.length === 0 ? 0 : allowed[rng.int(allowed.length)]);
    }
    return out;
  }

  contains(x: unknown): x is Int32Array {
    if (!isNumberArrayLike(x) || x.length !== this.nvec.length) return false;
    for (let i = 0; i < x.length; i++) {
      const v = x[i] - this.start[i];
      if (!Number.isInteger(v) || v < 0 || v >= this.nvec[i]) return false;
    }
    return true;
  }

  toJSON(): SpaceJSON {
    return { type: 'MultiDiscrete', nvec: Array.from(this.nvec), start: Array.from(this.start) };
  }
}
