import type { Generator } from '../../core/rng.js';
import { describeValue, EnvCheckError } from '../errors.js';
import { Discrete } from '../spaces/discrete.js';
import type { Space } from '../spaces/space.js';

/**
 * Deep equality for env outputs (Gymnasium's `data_equivalence`): typed arrays compare element
 * by element with Object.is (so NaN equals NaN and the constructor must match), objects by key.
 */
export function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (a.constructor !== b.constructor) return false;
    const x = a as unknown as ArrayLike<number>;
    const y = b as unknown as ArrayLike<number>;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
    return true;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  return ka.every((k) => Object.hasOwn(rb, k) && sameValue(ra[k], rb[k]));
}

/** A random valid action; honours `info.action_mask` for Discrete spaces. */
export function sampleAction<A>(
  space: Space<A>,
  rng: Generator,
  info?: Record<string, unknown>,
): A {
  const mask = info?.action_mask;
  if (space instanceof Discrete && mask !== undefined && mask !== null) {
    return space.sample(rng, mask as ArrayLike<number>) as A;
  }
  return space.sample(rng);
}

export function fail(check: string, msg: string): never {
  throw new EnvCheckError(`${check}: ${msg}`);
}

export function expect(cond: boolean, check: string, msg: () => string): asserts cond {
  if (!cond) fail(check, msg());
}

export function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !ArrayBuffer.isView(x);
}

export function checkInSpace(check: string, what: string, space: Space<unknown>, x: unknown): void {
  expect(space.contains(x), check, () => `${what} ${describeValue(x)} is not in ${space}`);
  if (space.toJSON().type === 'Box') {
    expect(
      x instanceof Float32Array,
      check,
      () => `${what} must be a Float32Array for a float32 Box`,
    );
  }
}

export function checkReward(check: string, what: string, r: unknown): void {
  expect(
    typeof r === 'number' && Number.isFinite(r),
    check,
    () => `${what} must be a finite number, got ${describeValue(r)}`,
  );
}

export function checkBool(check: string, what: string, b: unknown): void {
  expect(typeof b === 'boolean', check, () => `${what} must be a boolean, got ${describeValue(b)}`);
}

export function sameKeys(a: object, keys: readonly string[]): boolean {
  const ka = Object.keys(a);
  return ka.length === keys.length && keys.every((k) => Object.hasOwn(a, k));
}
