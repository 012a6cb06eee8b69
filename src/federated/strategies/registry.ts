/**
 * Strategies by name, as configs refer to them: `register({name, schema, create})`, one call per
 * strategy, names unique and lowercase.
 */
import { z } from 'zod';
import { ConfigError } from '../../core/index.js';
import { fedAvg } from './fedavg.js';
import { fedProx } from './fedprox.js';
import { localOnly } from './local.js';
import { multiTask } from './multitask.js';
import type { Strategy } from './types.js';

export interface StrategyRegistration<S extends z.ZodObject = z.ZodObject> {
  name: string;
  /** Strict schema of the strategy's options. */
  schema: S;
  create(options: z.infer<S>): Strategy;
}

const strategies = new Map<string, StrategyRegistration>();

export function registerStrategy<S extends z.ZodObject>(r: StrategyRegistration<S>): void {
  if (!/^[a-z][a-z0-9_-]*$/.test(r.name)) {
    throw new ConfigError(
      `registerStrategy: name '${r.name}' must be lowercase letters, digits, '-' or '_'`,
    );
  }
  if (strategies.has(r.name))
    throw new ConfigError(`registerStrategy: '${r.name}' is already registered`);
  strategies.set(r.name, r as unknown as StrategyRegistration);
}

export function registeredStrategies(): string[] {
  return [...strategies.keys()].sort();
}

/** Build a strategy from `{name, ...options}`; unknown names and bad options are ConfigErrors. */
export function createStrategy(spec: { name: string; [k: string]: unknown }): Strategy {
  const reg = strategies.get(spec.name);
  if (!reg) {
    throw new ConfigError(
      `unknown strategy '${spec.name}'; registered: ${registeredStrategies().join(', ')}`,
    );
  }
  const { name: _name, ...options } = spec;
  const parsed = reg.schema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(
      `strategy '${spec.name}': ${issue.path.join('.') || '(options)'}: ${issue.message}`,
      { cause: parsed.error },
    );
  }
  return reg.create(parsed.data);
}

registerStrategy({ name: 'fedavg', schema: z.object({}).strict(), create: () => fedAvg() });
registerStrategy({
  name: 'fedprox',
  schema: z.object({ mu: z.number().min(0).default(0.01) }).strict(),
  create: (o) => fedProx(o.mu),
});
registerStrategy({
  name: 'multitask',
  schema: z
    .object({ headPrefix: z.string().min(1).default('head.'), mu: z.number().min(0).default(0) })
    .strict(),
  create: (o) => multiTask(o),
});
registerStrategy({ name: 'local', schema: z.object({}).strict(), create: () => localOnly() });
