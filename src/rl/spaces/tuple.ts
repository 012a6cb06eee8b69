import { ValueError } from '../../core/errors.js';
import type { Generator } from '../../core/rng.js';
import { Space, type SpaceJSON, type SpaceValue } from './space.js';

export type TupleSpaces = readonly Space<unknown>[];
export type TupleValue<S extends TupleSpaces> = { -readonly [K in keyof S]: SpaceValue<S[K]> };

/** A fixed-length sequence of sub-spaces (Gymnasium's `spaces.Tuple`); values are arrays. */
export class Tuple<S extends TupleSpaces = TupleSpaces> extends Space<
  TupleValue<S>,
  readonly unknown[]
> {
  readonly spaces: S;
  readonly shape: readonly number[] = Object.freeze([]);

  constructor(spaces: S) {
    super();
    spaces.forEach((s, i) => {
      if (!(s instanceof Space)) throw new ValueError(`Tuple: element ${i} is not a Space`);
    });
    this.spaces = Object.freeze([...spaces]) as unknown as S;
  }

  sample(rng: Generator, mask?: readonly unknown[]): TupleValue<S> {
    if (mask !== undefined && mask !== null && mask.length !== this.spaces.length) {
      throw new ValueError(
        `Tuple.sample: mask has ${mask.length} entries, expected ${this.spaces.length}`,
      );
    }
    return this.spaces.map((s, i) => s.sample(rng, mask?.[i])) as TupleValue<S>;
  }

  contains(x: unknown): x is TupleValue<S> {
    return (
      Array.isArray(x) &&
      x.length === this.spaces.length &&
      this.spaces.every((s, i) => s.contains(x[i]))
    );
  }

  toJSON(): SpaceJSON {
    return { type: 'Tuple', spaces: this.spaces.map((s) => s.toJSON()) };
  }
}
