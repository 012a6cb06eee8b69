import { ValueError } from '../../core/errors.js';
import type { Generator } from '../../core/rng.js';
import { Space, type SpaceJSON } from './space.js';

/** A mask over a Discrete space: 1 where the action is allowed, 0 where it is not. */
export type DiscreteMask = ArrayLike<number>;

/** The integers {start, ..., start + n - 1} (Gymnasium's `spaces.Discrete`). */
export class Discrete extends Space<number, DiscreteMask> {
  readonly shape: readonly number[] = Object.freeze([]);
  readonly dtype = 'int64' as const;

  constructor(
    readonly n: number,
    readonly start = 0,
  ) {
    super();
    if (!Number.isSafeInteger(n) || n <= 0) {
      throw new ValueError(`Discrete: n must be a positive integer, got ${n}`);
    }
    if (!Number.isSafeInteger(start)) {
      throw new ValueError(`Discrete: start must be an integer, got ${start}`);
    }
  }

  /**
   * A uniform draw; with a mask, uniform over the allowed actions, and `start` when none is
   * allowed (Gymnasium's convention, so that callers need no special case).
   */
  sample(rng: Generator, mask?: DiscreteMask): number {
    if (mask === undefined || mask === null) return this.start + rng.int(this.n);
    checkBinaryMask('Discrete.sample', mask, this.n, 1);
    let count = 0;
    for (let i = 0; i < this.n; i++) count += mask[i];
    if (count === 0) return this.start;
    let k = rng.int(count);
    for (let i = 0; i < this.n; i++) {
      if (mask[i] === 1 && k-- === 0) return this.start + i;
    }
    return this.start; // unreachable: k < count
  }

  contains(x: unknown): x is number {
    return (
      typeof x === 'number' && Number.isInteger(x) && x >= this.start && x < this.start + this.n
    );
  }

  toJSON(): SpaceJSON {
    return { type: 'Discrete', n: this.n, start: this.start };
  }
}

/** Validates a mask of length n whose entries are integers in [0, maxValue]. */
export function checkBinaryMask(
  op: string,
  mask: ArrayLike<number>,
  n: number,
  maxValue: number,
): void {
  if (mask.length !== n) {
    throw new ValueError(`${op}: mask has length ${mask.length}, expected ${n}`);
  }
  for (let i = 0; i < n; i++) {
    const v = mask[i];
    if (!Number.isInteger(v) || v < 0 || v > maxValue) {
      throw new ValueError(`${op}: mask[${i}] = ${v}, expected an integer in [0, ${maxValue}]`);
    }
  }
}
