/**
 * JSON values. Snapshots and messages in flight must survive `JSON.stringify` unchanged, so
 * instead of letting JSON silently turn a Map into `{}` or NaN into `null` we copy and check
 * every value, naming the path of the first offender.
 */
import { CheckpointError } from '../core/errors.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Deep-copies `value` as JSON, throwing `E` (CheckpointError by default) at the first value JSON cannot hold
 * exactly. Object properties that are `undefined` are dropped (as JSON.stringify does) because
 * optional fields are routinely absent-or-undefined; `undefined` inside an array is an error.
 */
export function toJson(
  value: unknown,
  where: string,
  E: new (message: string) => Error = CheckpointError,
): Json {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    throw new E(`${where} is ${value}, which JSON cannot hold`);
  }
  if (Array.isArray(value)) return value.map((v, i) => toJson(v, `${where}[${i}]`, E));
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const kind = (value as object).constructor?.name ?? 'unknown';
      throw new E(`${where} is a ${kind}, not a plain object; JSON cannot hold it`);
    }
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(value)) {
      // defineProperty keeps a `__proto__` key as data; plain assignment would re-parent `out`.
      if (v !== undefined) {
        Object.defineProperty(out, k, {
          value: toJson(v, `${where}.${k}`, E),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
    }
    return out;
  }
  throw new E(`${where} is a ${typeof value}, which JSON cannot hold`);
}
