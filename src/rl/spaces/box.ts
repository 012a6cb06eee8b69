import { ValueError } from '../../core/errors.js';
import type { Generator } from '../../core/rng.js';
import { isNumberArrayLike, shapeSize, Space, type JSONNumber, type SpaceJSON } from './space.js';

/**
 * A (possibly unbounded) box in R^n, float32 as Gymnasium's default Box. Values are flat
 * row-major Float32Arrays of `shape`'s size. Bounds are rounded to float32 on construction, as
 * Gymnasium casts them to the dtype.
 */
export class Box extends Space<Float32Array, never> {
  readonly low: Float32Array;
  readonly high: Float32Array;
  readonly shape: readonly number[];
  readonly dtype = 'float32' as const;
  readonly size: number;
  private readonly boundedBelow: Uint8Array;
  private readonly boundedAbove: Uint8Array;

  constructor(
    low: number | ArrayLike<number>,
    high: number | ArrayLike<number>,
    shape?: readonly number[],
  ) {
    super();
    const inferred =
      shape ??
      (typeof low !== 'number' ? [low.length] : typeof high !== 'number' ? [high.length] : null);
    if (inferred === null) throw new ValueError('Box: scalar low and high need an explicit shape');
    if (!inferred.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new ValueError(`Box: shape must hold non-negative integers, got [${inferred}]`);
    }
    this.shape = Object.freeze([...inferred]);
    this.size = shapeSize(this.shape);
    this.low = Box.expand('low', low, this.size, this.shape);
    this.high = Box.expand('high', high, this.size, this.shape);
    this.boundedBelow = new Uint8Array(this.size);
    this.boundedAbove = new Uint8Array(this.size);
    for (let i = 0; i < this.size; i++) {
      if (!(this.low[i] <= this.high[i])) {
        throw new ValueError(
          `Box: low[${i}] = ${this.low[i]} must be <= high[${i}] = ${this.high[i]} (and not NaN)`,
        );
      }
      this.boundedBelow[i] = this.low[i] > -Infinity ? 1 : 0;
      this.boundedAbove[i] = this.high[i] < Infinity ? 1 : 0;
    }
  }

  private static expand(
    name: string,
    v: number | ArrayLike<number>,
    size: number,
    shape: readonly number[],
  ): Float32Array {
    if (typeof v === 'number') return new Float32Array(size).fill(v);
    if (v.length !== size) {
      throw new ValueError(`Box: ${name} has ${v.length} values but shape [${shape}] has ${size}`);
    }
    return Float32Array.from(v);
  }

  /** Whether every dimension is bounded on both sides ("both"), or below/above only. */
  isBounded(manner: 'both' | 'below' | 'above' = 'both'): boolean {
    const below = this.boundedBelow.every((b) => b === 1);
    const above = this.boundedAbove.every((b) => b === 1);
    return manner === 'both' ? below && above : manner === 'below' ? below : above;
  }

  /**
   * Gymnasium's Box.sample: uniform on [low, high] where both bounds are finite, low + Exp(1)
   * where only the lower one is, high - Exp(1) where only the upper one is, N(0, 1) otherwise.
   */
  sample(rng: Generator, mask?: never): Float32Array {
    if (mask !== undefined && mask !== null) {
      throw new ValueError('Box.sample: masks are not supported for Box (as in Gymnasium)');
    }
    const out = new Float32Array(this.size);
    for (let i = 0; i < this.size; i++) {
      const lo = this.boundedBelow[i] === 1;
      const hi = this.boundedAbove[i] === 1;
      if (lo && hi) out[i] = rng.uniformRange(this.low[i], this.high[i]);
      else if (lo) out[i] = this.low[i] + exponential(rng);
      else if (hi) out[i] = this.high[i] - exponential(rng);
      else out[i] = rng.normal();
      // Float32 rounding can carry a draw just past a bound; keep the sample inside the box.
      if (out[i] < this.low[i]) out[i] = this.low[i];
      if (out[i] > this.high[i]) out[i] = this.high[i];
    }
    return out;
  }

  contains(x: unknown): x is Float32Array {
    if (!isNumberArrayLike(x) || x.length !== this.size) return false;
    for (let i = 0; i < this.size; i++) {
      const v = x[i];
      // NaN fails both comparisons, as in numpy.
      if (typeof v !== 'number' || !(v >= this.low[i] && v <= this.high[i])) return false;
    }
    return true;
  }

  toJSON(): SpaceJSON {
    return {
      type: 'Box',
      low: Array.from(this.low, toJSONNumber),
      high: Array.from(this.high, toJSONNumber),
      shape: [...this.shape],
      dtype: 'float32',
    };
  }
}

function exponential(rng: Generator): number {
  // Inverse CDF; 1 - u lies in (0, 1] so the log is finite.
  return -Math.log(1 - rng.uniform());
}

export function toJSONNumber(v: number): JSONNumber {
  return v === Infinity ? 'inf' : v === -Infinity ? '-inf' : v;
}

export function fromJSONNumber(v: JSONNumber): number {
  return v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v;
}
