import { ValueError } from '../../core/errors.js';
import type { Generator } from '../../core/rng.js';
import { Space, type SpaceJSON, type SpaceValue } from './space.js';

export type DictSpaces = Record<string, Space<unknown>>;
export type DictValue<S extends DictSpaces> = { [K in keyof S]: SpaceValue<S[K]> };
export type DictMask<S extends DictSpaces> = { [K in keyof S]?: unknown };

// Keys that would reach Object.prototype through plain-object access; never valid space names.
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * A dictionary of named sub-spaces (Gymnasium's `spaces.Dict`). Keys are sorted, as Gymnasium
 * sorts a plain dict's keys, so samples and flattening have one canonical order.
 */
export class Dict<S extends DictSpaces = DictSpaces> extends Space<DictValue<S>, DictMask<S>> {
  readonly spaces: Readonly<S>;
  readonly keys: readonly string[];
  readonly shape: readonly number[] = Object.freeze([]);

  constructor(spaces: S) {
    super();
    const keys = Object.keys(spaces).sort();
    for (const k of keys) {
      if (FORBIDDEN_KEYS.has(k)) throw new ValueError(`Dict: key '${k}' is not allowed`);
      if (!(spaces[k] instanceof Space)) {
        throw new ValueError(`Dict: value for key '${k}' is not a Space`);
      }
    }
    const sorted = {} as S;
    for (const k of keys) (sorted as DictSpaces)[k] = spaces[k];
    this.spaces = Object.freeze(sorted);
    this.keys = Object.freeze(keys);
  }

  sample(rng: Generator, mask?: DictMask<S>): DictValue<S> {
    const out = {} as Record<string, unknown>;
    for (const k of this.keys) out[k] = this.spaces[k].sample(rng, mask?.[k]);
    return out as DictValue<S>;
  }

  contains(x: unknown): x is DictValue<S> {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
    const xk = Object.keys(x);
    if (xk.length !== this.keys.length) return false;
    const rec = x as Record<string, unknown>;
    return this.keys.every((k) => Object.hasOwn(rec, k) && this.spaces[k].contains(rec[k]));
  }

  toJSON(): SpaceJSON {
    const spaces: Record<string, SpaceJSON> = {};
    for (const k of this.keys) spaces[k] = this.spaces[k].toJSON();
    return { type: 'Dict', spaces };
  }
}
