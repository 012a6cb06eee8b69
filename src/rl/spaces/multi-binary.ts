import { ValueError } from '../../core/errors.js';
import type { Generator } from '../../core/rng.js';
import { checkBinaryMask } from './discrete.js';
import { isNumberArrayLike, shapeSize, Space, type SpaceJSON } from './space.js';

/** Per element: 0 forces 0, 1 forces 1, 2 leaves it random (Gymnasium's MultiBinary mask). */
export type MultiBinaryMask = ArrayLike<number>;

/** Binary vectors (or arrays) of a fixed shape, as Int8Arrays (Gymnasium's `spaces.MultiBinary`). */
export class MultiBinary extends Space<Int8Array, MultiBinaryMask> {
  readonly shape: readonly number[];
  readonly dtype = 'int8' as const;
  readonly size: number;

  constructor(n: number | readonly number[]) {
    super();
    const shape = typeof n === 'number' ? [n] : [...n];
    if (!shape.every((d) => Number.isInteger(d) && d > 0)) {
      throw new ValueError(`MultiBinary: n must hold positive integers, got ${JSON.stringify(n)}`);
    }
    this.shape = Object.freeze(shape);
    this.size = shapeSize(shape);
  }

  sample(rng: Generator, mask?: MultiBinaryMask): Int8Array {
    const out = new Int8Array(this.size);
    if (mask !== undefined && mask !== null) {
      checkBinaryMask('MultiBinary.sample', mask, this.size, 2);
    }
    for (let i = 0; i < this.size; i++) {
      const m = mask?.[i] ?? 2;
      out[i] = m === 2 ? rng.int(2) : m;
    }
    return out;
  }

  contains(x: unknown): x is Int8Array {
    if (!isNumberArrayLike(x) || x.length !== this.size) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== 0 && x[i] !== 1) return false;
    return true;
  }

  toJSON(): SpaceJSON {
    return { type: 'MultiBinary', shape: [...this.shape] };
  }
}
