import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import type { AECEnv } from './aec-env.js';
import type { Env, EnvKind, EnvSpec } from './env.js';
import { EnvError } from './errors.js';
import type { ParallelEnv } from './parallel-env.js';
import { AECOrderEnforcing, ParallelOrderEnforcing } from './wrappers/multi-agent-checks.js';
import { ParallelTimeLimit } from './wrappers/parallel-time-limit.js';
import { OrderEnforcing } from './wrappers/order-enforcing.js';
import { PassiveEnvChecker } from './wrappers/passive-env-checker.js';
import { TimeLimit } from './wrappers/time-limit.js';

/*
 * The environment registry (Gymnasium's `register` / `make` / `spec`). Each env family keeps an
 * `index.ts` under src/rl/envs/<family>/ that registers its ids when imported; the conformance
 * suite imports every such file and runs all checkers over every registered id.
 */

type Options = Record<string, unknown>;
type AnyEnv = Env<unknown, unknown>;
type AnyParallelEnv = ParallelEnv<unknown, unknown>;
type AnyAECEnv = AECEnv<unknown, unknown>;

interface RegistrationCommon<O extends Options> {
  /** `[namespace/]Name-vN`, e.g. 'CartPole-v1'. */
  id: string;
  /** Truncate episodes after this many steps (TimeLimit); null/absent for none. */
  maxEpisodeSteps?: number | null;
  /** The return at which the task counts as solved. */
  rewardThreshold?: number | null;
  /** True if the same seed does not give the same trajectory (skips determinism checks). */
  nondeterministic?: boolean;
  defaultOptions?: Partial<O>;
  /** Options schema; object schemas are made strict so unknown keys are rejected. */
  optionsSchema?: z.ZodType<O>;
  description?: string;
}

export type EnvRegistration<O extends Options = Options> =
  | (RegistrationCommon<O> & { kind?: 'single'; entryPoint: (options: O) => AnyEnv })
  | (RegistrationCommon<O> & { kind: 'parallel'; entryPoint: (options: O) => AnyParallelEnv })
  | (RegistrationCommon<O> & { kind: 'aec'; entryPoint: (options: O) => AnyAECEnv });

/** What `make` does beyond building the env (Gymnasium's keyword arguments to make). */
export interface MakeArgs {
  /** Overrides the registered limit; null disables the TimeLimit. */
  maxEpisodeSteps?: number | null;
  /** Skips PassiveEnvChecker (and its per-step action check), for speed. */
  disableEnvChecker?: boolean;
}

export type MadeEnv =
  | { kind: 'single'; env: AnyEnv }
  | { kind: 'parallel'; env: AnyParallelEnv }
  | { kind: 'aec'; env: AnyAECEnv };

interface Stored {
  reg: EnvRegistration<Options>;
  schema: z.ZodType<Options> | null;
}

export const ENV_ID_RE = /^(?:([\w:-]+)\/)?([A-Za-z][\w:.-]*?)-v(\d+)$/;
const registry = new Map<string, Stored>();

export function register<O extends Options>(registration: EnvRegistration<O>): void {
  const reg = registration as unknown as EnvRegistration<Options>;
  const { id } = reg;
  if (typeof id !== 'string' || !ENV_ID_RE.test(id)) {
    throw new ConfigError(
      `register: env id '${id}' must look like 'Name-vN' or 'namespace/Name-vN' (e.g. 'CartPole-v1')`,
    );
  }
  if (registry.has(id)) throw new ConfigError(`register: env id '${id}' is already registered`);
  if (typeof reg.entryPoint !== 'function') {
    throw new ConfigError(`register('${id}'): entryPoint must be a function`);
  }
  const max = reg.maxEpisodeSteps;
  if (max !== undefined && max !== null && !(Number.isInteger(max) && max > 0)) {
    throw new ConfigError(`register('${id}'): maxEpisodeSteps must be a positive integer or null`);
  }
  if (reg.kind === 'aec' && max !== undefined && max !== null) {
    throw new ConfigError(
      `register('${id}'): maxEpisodeSteps is not applied to AEC envs; truncate inside the env ` +
        '(as PettingZoo max_cycles) or register the parallel form',
    );
  }
  const raw = reg.optionsSchema ?? null;
  const schema = raw instanceof z.ZodObject ? (raw.strict() as unknown as z.ZodType<Options>) : raw;
  registry.set(id, { reg, schema });
}

/** Removes an id (for tests that register throwaway envs). */
export function unregister(id: string): boolean {
  return registry.delete(id);
}

export function registeredIds(): string[] {
  return [...registry.keys()].sort();
}

export function isRegistered(id: string): boolean {
  return registry.has(id);
}

/** The spec `make(id)` would attach with default options (Gymnasium's `gymnasium.spec`). */
export function spec(id: string): EnvSpec & { description: string | null } {
  const { reg } = lookup(id);
  return { ...buildSpec(reg, resolveOptions(id, {}), {}), description: reg.description ?? null };
}

/** Builds a single-agent env with its checkers and TimeLimit. */
export function make<Obs = unknown, Act = unknown>(
  id: string,
  options: Options = {},
  args: MakeArgs = {},
): Env<Obs, Act> {
  const made = makeAny(id, options, args);
  if (made.kind !== 'single') {
    const fn = made.kind === 'parallel' ? 'makeParallel' : 'makeAec';
    throw new EnvError(`make('${id}'): '${id}' is a ${made.kind} env; use ${fn}('${id}')`);
  }
  return made.env as Env<Obs, Act>;
}

export function makeParallel<Obs = unknown, Act = unknown>(
  id: string,
  options: Options = {},
  args: MakeArgs = {},
): ParallelEnv<Obs, Act> {
  const made = makeAny(id, options, args);
  if (made.kind !== 'parallel') {
    throw new EnvError(`makeParallel('${id}'): '${id}' is a ${made.kind} env`);
  }
  return made.env as ParallelEnv<Obs, Act>;
}

export function makeAec<Obs = unknown, Act = unknown>(
  id: string,
  options: Options = {},
  args: MakeArgs = {},
): AECEnv<Obs, Act> {
  const made = makeAny(id, options, args);
  if (made.kind !== 'aec') throw new EnvError(`makeAec('${id}'): '${id}' is a ${made.kind} env`);
  return made.env as AECEnv<Obs, Act>;
}

/** Builds any registered env, tagged with its kind (for code that handles every kind). */
export function makeAny(id: string, options: Options = {}, args: MakeArgs = {}): MadeEnv {
  const { reg } = lookup(id);
  const resolved = resolveOptions(id, options);
  const envSpec = buildSpec(reg, resolved, args);
  const max = envSpec.maxEpisodeSteps;
  if (reg.kind === 'parallel') {
    const inner = reg.entryPoint(resolved);
    inner.spec = envSpec;
    const limited = max !== null ? new ParallelTimeLimit(inner, max) : inner;
    return {
      kind: 'parallel',
      env: new ParallelOrderEnforcing(limited, !envSpec.disableEnvChecker),
    };
  }
  if (reg.kind === 'aec') {
    const inner = reg.entryPoint(resolved);
    inner.spec = envSpec;
    return { kind: 'aec', env: new AECOrderEnforcing(inner, !envSpec.disableEnvChecker) };
  }
  const inner = reg.entryPoint(resolved);
  inner.spec = envSpec;
  // OrderEnforcing goes outside TimeLimit (Gymnasium puts it inside) so that it also sees
  // truncations made by the TimeLimit and can refuse a step after them.
  let env: AnyEnv = envSpec.disableEnvChecker ? inner : new PassiveEnvChecker(inner);
  if (max !== null) env = new TimeLimit(env, max);
  return { kind: 'single', env: new OrderEnforcing(env) };
}

function buildSpec(reg: EnvRegistration<Options>, options: Options, args: MakeArgs): EnvSpec {
  const max = args.maxEpisodeSteps !== undefined ? args.maxEpisodeSteps : reg.maxEpisodeSteps;
  if (max !== undefined && max !== null && !(Number.isInteger(max) && max > 0)) {
    throw new ConfigError(`make('${reg.id}'): maxEpisodeSteps must be a positive integer or null`);
  }
  return {
    id: reg.id,
    kind: reg.kind ?? 'single',
    maxEpisodeSteps: max ?? null,
    rewardThreshold: reg.rewardThreshold ?? null,
    nondeterministic: reg.nondeterministic ?? false,
    options,
    disableEnvChecker: args.disableEnvChecker ?? false,
  };
}

function resolveOptions(id: string, options: Options): Options {
  const { reg, schema } = lookup(id);
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ConfigError(`make('${id}'): options must be an object`);
  }
  // Spread copies a JSON '__proto__' key as an own property, which the strict schema rejects.
  const merged: Options = { ...(reg.defaultOptions ?? {}), ...options };
  if (schema === null) {
    const keys = Object.keys(merged);
    if (keys.length > 0) {
      throw new ConfigError(
        `make('${id}'): '${id}' takes no options, got unknown key '${keys[0]}'`,
      );
    }
    return {};
  }
  const parsed = schema.safeParse(merged);
  if (parsed.success) return parsed.data;
  const valid = schema instanceof z.ZodObject ? Object.keys(schema.shape).join(', ') : '';
  const msgs = parsed.error.issues.map((iss) => {
    if (iss.code === 'unrecognized_keys') {
      const keys = iss.keys.map((k) => `'${k}'`).join(', ');
      return `unknown option${iss.keys.length > 1 ? 's' : ''} ${keys} (valid: ${valid})`;
    }
    return `option '${iss.path.join('.')}': ${iss.message}`;
  });
  throw new ConfigError(`make('${id}'): ${msgs.join('; ')}`, { cause: parsed.error });
}

function lookup(id: string): Stored {
  const found = registry.get(id);
  if (found) return found;
  const m = typeof id === 'string' ? ENV_ID_RE.exec(id) : null;
  const base = m ? `${m[1] ? `${m[1]}/` : ''}${m[2]}` : String(id);
  const versions = registeredIds().filter((k) => k.replace(/-v\d+$/, '') === base);
  if (versions.length > 0) {
    throw new EnvError(`Env '${id}' is not registered; available versions: ${versions.join(', ')}`);
  }
  const close = closeMatches(String(id), registeredIds());
  const hint = close.length > 0 ? `; did you mean ${close.map((c) => `'${c}'`).join(', ')}?` : '';
  throw new EnvError(`Env '${id}' is not registered${hint}`);
}

/** Up to 3 ids within a small edit distance of `id`, closest first (case-insensitive). */
export function closeMatches(id: string, ids: readonly string[]): string[] {
  const q = id.toLowerCase();
  const limit = Math.max(2, Math.floor(q.length / 3));
  return ids
    .map((c) => ({ c, d: levenshtein(q, c.toLowerCase()) }))
    .filter(({ d }) => d <= limit)
    .sort((a, b) => a.d - b.d || a.c.localeCompare(b.c))
    .slice(0, 3)
    .map(({ c }) => c);
}

function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** The kind of an env instance, by class. */
export type { EnvKind };
