import { OsmosisError } from '../core/errors.js';

/**
 * Misuse of an environment: an action outside the action space, stepping before reset or after
 * an episode ended, an unknown env id. Messages name the env id and the offending value.
 */
export class EnvError extends OsmosisError {}

/** A short, bounded rendering of a value for error messages (typed arrays included). */
export function describeValue(x: unknown, max = 120): string {
  let s: string;
  if (ArrayBuffer.isView(x) && !(x instanceof DataView)) {
    s = `${x.constructor.name}[${Array.from(x as unknown as ArrayLike<number>).join(', ')}]`;
  } else if (x === undefined) {
    s = 'undefined';
  } else {
    try {
      s = JSON.stringify(x) ?? String(x);
    } catch {
      s = String(x);
    }
  }
  return s.length > max ? `${s.slice(0, max)}...` : s;
}

/** A conformance check (checkEnv, parallelApiTest, ...) found an env breaking the API contract. */
export class EnvCheckError extends EnvError {}
