import type { Generator } from '../../core/rng.js';

/** Bounds that JSON cannot hold as numbers are written as strings. */
export type JSONNumber = number | 'inf' | '-inf';

/** The JSON description of a space; `spaceFromJSON` rebuilds the space from it losslessly. */
export type SpaceJSON =
  | { type: 'Box'; low: JSONNumber[]; high: JSONNumber[]; shape: number[]; dtype: 'float32' }
  | { type: 'Discrete'; n: number; start: number }
  | { type: 'MultiDiscrete'; nvec: number[]; start: number[] }
  | { type: 'MultiBinary'; shape: number[] }
  | { type: 'Dict'; spaces: Record<string, SpaceJSON> }
  | { type: 'Tuple'; spaces: SpaceJSON[] };

/**
 * A set of values an observation or action may take (Gymnasium's `spaces.Space`). Unlike
 * Gymnasium a space holds no generator of its own: `sample` takes one explicitly, so a single
 * seeded stream decides every random draw.
 */
export abstract class Space<T, M = unknown> {
  /** Shape of one value; [] for scalars (Discrete) and for composite spaces (Dict, Tuple). */
  abstract readonly shape: readonly number[];
  /** A random member of the space; `mask` restricts the draw where the space supports it. */
  abstract sample(rng: Generator, mask?: M): T;
  /** Whether `x` is a member of the space. */
  abstract contains(x: unknown): x is T;
  abstract toJSON(): SpaceJSON;

  /** Structural equality, through the JSON description. */
  equals(other: Space<unknown>): boolean {
    return JSON.stringify(this.toJSON()) === JSON.stringify(other.toJSON());
  }

  toString(): string {
    return JSON.stringify(this.toJSON());
  }
}

/** The value type a space holds. */
export type SpaceValue<S> = S extends Space<infer T, unknown> ? T : never;

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Whether a value is a number array in JS terms: a plain array or a non-bigint typed array. */
export function isNumberArrayLike(x: unknown): x is ArrayLike<number> {
  if (Array.isArray(x)) return true;
  return (
    ArrayBuffer.isView(x) &&
    !(x instanceof DataView) &&
    !(x instanceof BigInt64Array) &&
    !(x instanceof BigUint64Array)
  );
}
