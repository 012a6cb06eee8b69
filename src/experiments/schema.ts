/**
 * The experiment config: a YAML file validated by strict zod schemas. Every problem is reported
 * with its path (`methods[1].hyperparams.lr: expected number, got "fast"`), all at once, and keys
 * that could pollute prototypes (`__proto__`, `constructor`, `prototype`) are refused anywhere.
 *
 * Method entries are validated in two layers: the common fields plus the fields of the entry's
 * registered kind (methods.ts), then `hyperparams` against the schema of the RL algorithm named
 * by `algo` (src/rl/algos/registry.ts), with that algorithm's tuned defaults for the env filled in.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import YAML from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { getAlgorithm, registeredAlgorithms } from '../rl/algos/registry.js';
import { hasMethod, getMethod, registeredMethods } from './methods.js';

export type ConfigPath = (string | number)[];

export interface ConfigIssue {
  path: ConfigPath;
  message: string;
}

/** A config that fails validation; `issues` holds every problem with its path. */
export class ExperimentConfigError extends ConfigError {
  constructor(
    readonly file: string,
    readonly issues: ConfigIssue[],
  ) {
    super(
      `${file}: invalid experiment config (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n` +
        issues.map((i) => `  ${formatPath(i.path)}: ${i.message}`).join('\n'),
    );
  }
}

const SLUG = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const slug = z
  .string()
  .regex(SLUG, 'expected letters, digits, "_", "." or "-" (at most 64, no leading punctuation)');
const int = z.number().int();

export const envSchema = z
  .object({
    id: z.string().min(1),
    options: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

const sourceEntrySchema = z
  .object({
    name: slug.optional(),
    env: envSchema.optional(),
    /** A saved agent (Agent.save folder); relative paths are from the config file. */
    checkpoint: z.string().min(1).optional(),
    algo: z.string().optional(),
    totalSteps: int.positive().optional(),
    hyperparams: z.record(z.string(), z.unknown()).optional(),
    /**
     * Pretrain with periodic evaluation (dqn, ppo: SB3's EvalCallback) and keep the best agent
     * as the source, checked on its own task (src/transfer/a2t/source-report.ts).
     */
    evaluation: z
      .object({ every: int.positive(), episodes: int.positive().default(10) })
      .strict()
      .optional(),
  })
  .strict();

/** Fields every methods[] entry has; a kind's schema adds to them or overrides them. */
export const baseMethodShape = {
  name: slug,
  kind: z.string(),
  algo: z.string().optional(),
  totalSteps: int.positive(),
  hyperparams: z.record(z.string(), z.unknown()).default({}),
};

export interface MethodEntry {
  name: string;
  kind: string;
  algo?: string;
  totalSteps: number;
  hyperparams: Record<string, unknown>;
  [field: string]: unknown;
}

const smoothingSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }).strict(),
  z.object({ kind: z.literal('moving-average'), window: int.positive() }).strict(),
  z.object({ kind: z.literal('ema'), alpha: z.number().gt(0).lte(1) }).strict(),
]);

export const metricsSchema = z
  .object({
    /** Method the others are compared with; default: the first method of kind 'scratch'. */
    baseline: z.string().optional(),
    /** Return that counts as "learned" for time to threshold. */
    threshold: z.number().optional(),
    /** Last grid points averaged for asymptotic performance. */
    window: int.positive().default(10),
    /** First grid points averaged for initial performance (jumpstart). */
    initialWindow: int.positive().default(1),
    gridPoints: int.min(2).max(100_000).default(100),
    smoothing: smoothingSchema.default({ kind: 'none' }),
    ci: z
      .object({
        method: z.enum(['t', 'bootstrap']).default('t'),
        level: z.number().gt(0).lt(1).default(0.95),
        resamples: int.min(10).max(1_000_000).default(2000),
        seed: int.default(0),
      })
      .strict()
      .prefault({}),
    aucBaseline: z.number().default(0),
    /** For multi-agent runs: the agent whose episodes make the curve (default: all, averaged). */
    agent: z.string().optional(),
  })
  .strict();

const topSchema = z
  .object({
    name: slug,
    description: z.string().optional(),
    /** A count n (seeds 0..n-1) or the list of seeds. */
    seeds: z.union([int.min(1).max(10_000), z.array(int.nonnegative()).min(1)]),
    env: envSchema,
    source: z.union([sourceEntrySchema, z.array(sourceEntrySchema).min(1)]).optional(),
    methods: z.array(z.unknown()).min(1),
    metrics: metricsSchema.prefault({}),
    /** Parallel jobs (default: the number of cores). */
    workers: int.positive().optional(),
    /** Modules to import first (registering methods, algorithms, envs); relative to the file. */
    imports: z.array(z.string().min(1)).default([]),
  })
  .strict();

export type MetricsConfig = z.infer<typeof metricsSchema>;
type Top = z.infer<typeof topSchema>;

export interface ResolvedExperiment {
  name: string;
  description?: string;
  seeds: number[];
  env: { id: string; options: Record<string, unknown> };
  source?: Top['source'];
  methods: MethodEntry[];
  metrics: MetricsConfig;
  workers?: number;
  imports: string[];
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export function findForbiddenKeys(
  value: unknown,
  path: ConfigPath,
  out: ConfigIssue[],
  depth = 0,
): void {
  if (depth > 64) {
    out.push({ path, message: 'nested deeper than 64 levels' });
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => findForbiddenKeys(v, [...path, i], out, depth + 1));
  } else if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) {
        out.push({ path: [...path, key], message: `key '${key}' is not allowed` });
      } else {
        findForbiddenKeys((value as Record<string, unknown>)[key], [...path, key], out, depth + 1);
      }
    }
  }
}

export function formatPath(path: ConfigPath): string {
  if (path.length === 0) return '(root)';
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(p)) out += out === '' ? p : `.${p}`;
    else out += `[${JSON.stringify(p)}]`;
  }
  return out;
}

function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') {
    const s = JSON.stringify(v);
    return s.length > 42 ? `${s.slice(0, 40)}…"` : s;
  }
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') return 'an object';
  return String(v);
}

type ZodIssue = z.ZodError['issues'][number];

export function toConfigIssues(issues: readonly ZodIssue[], prefix: ConfigPath): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...(issue.path as ConfigPath)];
    const input = (issue as { input?: unknown }).input;
    switch (issue.code) {
      case 'invalid_type':
        out.push({
          path,
          message:
            input === undefined
              ? `missing (expected ${issue.expected})`
              : `expected ${issue.expected}, got ${describeValue(input)}`,
        });
        break;
      case 'unrecognized_keys':
        for (const key of issue.keys) out.push({ path: [...path, key], message: 'unknown key' });
        break;
      case 'invalid_value':
        out.push({
          path,
          message: `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(input)}`,
        });
        break;
      case 'invalid_union': {
        const disc = (issue as { discriminator?: string }).discriminator;
        out.push({
          path: disc && path.at(-1) !== disc ? [...path, disc] : path,
          message: disc
            ? `unknown ${disc} ${describeValue((input as Record<string, unknown> | undefined)?.[disc])}`
            : `${issue.message.replace(/^Invalid input$/, 'does not match any allowed form')}, got ${describeValue(input)}`,
        });
        break;
      }
      default:
        out.push({
          path,
          message:
            input === undefined ? issue.message : `${issue.message}, got ${describeValue(input)}`,
        });
    }
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Parse YAML text; syntax errors, duplicate keys and forbidden keys become config errors. */
export function parseExperimentYaml(text: string, file = '<config>'): unknown {
  const doc = YAML.parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ExperimentConfigError(
      file,
      doc.errors.map((e) => ({
        path: [],
        message: `YAML ${e.code}: ${e.message.split('\n')[0]}${e.linePos ? ` (line ${e.linePos[0].line}, column ${e.linePos[0].col})` : ''}`,
      })),
    );
  }
  return doc.toJS({ maxAliasCount: 100 });
}

/** Absolute module paths of `imports`, resolved against the config's folder. */
function resolveImports(imports: readonly string[], baseDir: string): string[] {
  return imports.map((m) =>
    m.startsWith('file:') || isAbsolute(m) || !/^\.{1,2}[/\\]/.test(m) ? m : resolve(baseDir, m),
  );
}

/** Import modules by path, file URL or package name (each registers what it defines). */
export async function importModules(modules: readonly string[]): Promise<void> {
  for (const m of modules) await import(moduleSpecifier(m));
}

export function moduleSpecifier(m: string): string {
  return isAbsolute(m) ? pathToFileURL(m).href : m;
}

export interface ValidateOptions {
  /** File name for messages. */
  file?: string;
  /** Folder relative paths (imports, source checkpoints) are resolved against. */
  baseDir?: string;
}

/**
 * Validate a parsed config against the registries as they are now (import the modules that
 * register its methods first: see {@link loadExperiment}). Returns the config with every default
 * filled in; validating that result again returns it unchanged.
 */
export function validateExperiment(
  raw: unknown,
  options: ValidateOptions = {},
): ResolvedExperiment {
  const file = options.file ?? '<config>';
  const baseDir = options.baseDir ?? process.cwd();
  const issues: ConfigIssue[] = [];
  findForbiddenKeys(raw, [], issues);
  if (issues.length > 0) throw new ExperimentConfigError(file, issues);
  if (!isPlainObject(raw)) {
    throw new ExperimentConfigError(file, [
      { path: [], message: `expected a mapping, got ${describeValue(raw)}` },
    ]);
  }
  const top = topSchema.safeParse(raw, { reportInput: true });
  if (!top.success) issues.push(...toConfigIssues(top.error.issues, []));

  const rawMethods = Array.isArray(raw.methods) ? raw.methods : [];
  const envId = isPlainObject(raw.env) && typeof raw.env.id === 'string' ? raw.env.id : '';
  const methods: MethodEntry[] = [];
  const seen = new Map<string, number>();
  rawMethods.forEach((entry, i) => {
    const at: ConfigPath = ['methods', i];
    if (!isPlainObject(entry)) {
      issues.push({ path: at, message: `expected a mapping, got ${describeValue(entry)}` });
      return;
    }
    if (typeof entry.name === 'string') {
      const j = seen.get(entry.name);
      if (j !== undefined) {
        issues.push({
          path: [...at, 'name'],
          message: `duplicate method name "${entry.name}" (also methods[${j}])`,
        });
      } else seen.set(entry.name, i);
    }
    if (typeof entry.kind !== 'string') {
      issues.push({
        path: [...at, 'kind'],
        message: `${entry.kind === undefined ? 'missing' : `expected string, got ${describeValue(entry.kind)}`}; one of: ${registeredMethods().join(', ') || '(none registered)'}`,
      });
      return;
    }
    if (!hasMethod(entry.kind)) {
      issues.push({
        path: [...at, 'kind'],
        message: `unknown method kind "${entry.kind}"; registered: ${registeredMethods().join(', ') || '(none)'}`,
      });
      return;
    }
    const reg = getMethod(entry.kind);
    const schema = z.object({ ...baseMethodShape, ...reg.schema.shape }).strict();
    const parsed = schema.safeParse(entry, { reportInput: true });
    if (!parsed.success) {
      issues.push(...toConfigIssues(parsed.error.issues, at));
      return;
    }
    const method = parsed.data as MethodEntry;
    if (method.algo !== undefined || reg.usesAlgorithm) {
      if (method.algo === undefined) {
        issues.push({
          path: [...at, 'algo'],
          message: `missing; kind "${method.kind}" trains an RL algorithm: one of ${registeredAlgorithms().join(', ') || '(none registered)'}`,
        });
        return;
      }
      if (!registeredAlgorithms().includes(method.algo)) {
        issues.push({
          path: [...at, 'algo'],
          message: `unknown algorithm "${method.algo}"; registered: ${registeredAlgorithms().join(', ') || '(none)'}`,
        });
        return;
      }
      const algo = getAlgorithm(method.algo);
      const merged = { ...(algo.tunedDefaults?.[envId] ?? {}), ...method.hyperparams };
      const hp = algo.schema.safeParse(merged, { reportInput: true });
      if (!hp.success) {
        issues.push(...toConfigIssues(hp.error.issues, [...at, 'hyperparams']));
        return;
      }
      method.hyperparams = hp.data as Record<string, unknown>;
    }
    methods.push(method);
  });

  if (!top.success || issues.length > 0) throw new ExperimentConfigError(file, issues);
  const t = top.data;

  const seeds =
    typeof t.seeds === 'number' ? Array.from({ length: t.seeds }, (_, i) => i) : t.seeds;
  const firstAt = new Map<number, number>();
  seeds.forEach((s, i) => {
    if (firstAt.has(s)) {
      issues.push({ path: ['seeds', i], message: `seed ${s} repeats seeds[${firstAt.get(s)}]` });
    } else firstAt.set(s, i);
  });
  const metrics = { ...t.metrics };
  if (metrics.baseline !== undefined) {
    if (!methods.some((m) => m.name === metrics.baseline)) {
      issues.push({
        path: ['metrics', 'baseline'],
        message: `"${metrics.baseline}" is not a method name; methods: ${methods.map((m) => m.name).join(', ')}`,
      });
    }
  } else {
    const scratch = methods.find((m) => m.kind === 'scratch');
    if (scratch) metrics.baseline = scratch.name;
  }
  issues.push(...sourceEvaluationIssues(t.source));
  if (issues.length > 0) throw new ExperimentConfigError(file, issues);

  const fixSource = (s: z.infer<typeof sourceEntrySchema>): z.infer<typeof sourceEntrySchema> =>
    s.checkpoint === undefined ? s : { ...s, checkpoint: resolve(baseDir, s.checkpoint) };
  const out: ResolvedExperiment = {
    name: t.name,
    ...(t.description !== undefined ? { description: t.description } : {}),
    seeds,
    env: t.env,
    ...(t.source !== undefined
      ? { source: Array.isArray(t.source) ? t.source.map(fixSource) : fixSource(t.source) }
      : {}),
    methods,
    metrics,
    ...(t.workers !== undefined ? { workers: t.workers } : {}),
    imports: resolveImports(t.imports, baseDir),
  };
  return out;
}

/** A source's `evaluation` needs a pretraining, by a learner that evaluates, within its budget. */
function sourceEvaluationIssues(source: Top['source']): ConfigIssue[] {
  const list = source === undefined ? [] : Array.isArray(source) ? source : [source];
  const issues: ConfigIssue[] = [];
  list.forEach((s, i) => {
    if (s.evaluation === undefined) return;
    const at: ConfigPath = Array.isArray(source)
      ? ['source', i, 'evaluation']
      : ['source', 'evaluation'];
    if (s.checkpoint !== undefined) {
      issues.push({
        path: at,
        message: 'only a pretrained source is evaluated; this one loads its checkpoint',
      });
      return;
    }
    const supported = registeredAlgorithms().filter(
      (a) => getAlgorithm(a).evaluation !== undefined,
    );
    if (s.algo !== undefined && !supported.includes(s.algo)) {
      issues.push({
        path: at,
        message: `algorithm "${s.algo}" has no periodic evaluation; supported: ${supported.join(', ') || '(none registered)'}`,
      });
    }
    if (s.totalSteps !== undefined && s.evaluation.every > s.totalSteps) {
      issues.push({
        path: [...at, 'every'],
        message: `${s.evaluation.every} is more than the source's totalSteps (${s.totalSteps}): no evaluation would run`,
      });
    }
  });
  return issues;
}

export interface LoadOptions {
  /** More modules to import before validating (e.g. from `--import`). */
  modules?: readonly string[];
}

/**
 * Read, parse and validate an experiment file, importing its `imports` (and `modules`) first so
 * the method kinds and algorithms they register are known.
 */
export async function loadExperiment(
  file: string,
  options: LoadOptions = {},
): Promise<ResolvedExperiment> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read experiment config ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return loadExperimentText(text, { file, baseDir: dirname(resolve(file)), ...options });
}

export async function loadExperimentText(
  text: string,
  options: ValidateOptions & LoadOptions = {},
): Promise<ResolvedExperiment> {
  const raw = parseExperimentYaml(text, options.file);
  const baseDir = options.baseDir ?? process.cwd();
  const imports =
    isPlainObject(raw) && Array.isArray(raw.imports)
      ? raw.imports.filter((m): m is string => typeof m === 'string')
      : [];
  await importModules([...(options.modules ?? []), ...resolveImports(imports, baseDir)]);
  return validateExperiment(raw, { ...options, baseDir });
}

/** The resolved config as YAML (what runs/<id>/config.resolved.yaml holds). */
export function experimentToYaml(experiment: ResolvedExperiment): string {
  return YAML.stringify(experiment, { lineWidth: 0 });
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (isPlainObject(v)) {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .filter((k) => v[k] !== undefined)
        .map((k) => [k, canonical(v[k])]),
    );
  }
  return v;
}

/** SHA-256 of the resolved config (sorted keys), leaving out settings that do not change results. */
export function configHash(experiment: ResolvedExperiment): string {
  const rest: Partial<ResolvedExperiment> = { ...experiment };
  delete rest.workers;
  return createHash('sha256')
    .update(JSON.stringify(canonical(rest)))
    .digest('hex');
}
