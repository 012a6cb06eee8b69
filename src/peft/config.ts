import { z } from 'zod';
import { ConfigError } from '../core/index.js';
import { defaultWarningHandler, type WarningHandler } from '../models/index.js';

/**
 * PEFT configs: one zod schema per method, with Hugging Face PEFT's field names (snake_case, as
 * adapter_config.json has them). Parsing is strict about values (a bad value is a ConfigError
 * naming the field) and tolerant about keys: a key from a newer PEFT version loads with a warning
 * and is written back on save, so load -> save loses nothing (PEFT itself warns and ignores).
 */

/** PEFT's TaskType values. */
export const TASK_TYPES = [
  'SEQ_CLS',
  'SEQ_2_SEQ_LM',
  'CAUSAL_LM',
  'TOKEN_CLS',
  'QUESTION_ANS',
  'FEATURE_EXTRACTION',
] as const;
export type TaskType = (typeof TASK_TYPES)[number];

/** PeftConfigMixin / PeftConfig fields shared by every method. */
export const baseConfigFields = {
  task_type: z.enum(TASK_TYPES).nullable().default(null),
  base_model_name_or_path: z.string().nullable().default(null),
  revision: z.string().nullable().default(null),
  inference_mode: z.boolean().default(false),
  auto_mapping: z.record(z.string(), z.unknown()).nullable().default(null),
};

export interface BasePeftConfig {
  peft_type: string;
  task_type: TaskType | null;
  base_model_name_or_path: string | null;
  revision: string | null;
  inference_mode: boolean;
  auto_mapping: Record<string, unknown> | null;
}

/** What callers pass: the method's fields, with peft_type naming the method. */
export type PeftConfigInput = { peft_type: string } & Record<string, unknown>;

export interface ParsedPeftConfig<C> {
  config: C;
  /** Keys outside the schema, kept verbatim and written back (a null-prototype object). */
  extras: Record<string, unknown>;
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Keys PEFT writes that change nothing here; kept without a warning. */
const KNOWN_PEFT_KEYS = new Set(['peft_version', 'runtime_config']);

export interface PeftParseOptions {
  /** Where the config came from, for messages (a path). */
  source?: string;
  onWarning?: WarningHandler;
  /** Method-specific keys accepted silently (PEFT fields with no effect here). */
  knownKeys?: readonly string[];
}

/** Validate a raw config against a method schema (see the file comment for the rules). */
export function parsePeftConfig<S extends z.ZodObject>(
  method: string,
  peftType: string,
  schema: S,
  raw: unknown,
  options: PeftParseOptions = {},
): ParsedPeftConfig<z.infer<S>> {
  const where = options.source ? ` (${options.source})` : '';
  const label = `${method} config${where}`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(
      `${label}: expected an object, got ${raw === null ? 'null' : typeof raw}`,
    );
  }
  const known = new Set(Object.keys(schema.shape));
  const quiet = new Set([...KNOWN_PEFT_KEYS, ...(options.knownKeys ?? [])]);
  const typed: Record<string, unknown> = Object.create(null);
  const extras: Record<string, unknown> = Object.create(null);
  const unknown: string[] = [];
  for (const key of Object.keys(raw)) {
    if (FORBIDDEN_KEYS.has(key)) throw new ConfigError(`${label}: key '${key}' is not allowed`);
    const value = (raw as Record<string, unknown>)[key];
    if (known.has(key)) typed[key] = value;
    else {
      extras[key] = value;
      if (!quiet.has(key)) unknown.push(key);
    }
  }
  if (typed.peft_type !== undefined && typed.peft_type !== peftType) {
    throw new ConfigError(
      `${label}: field 'peft_type': expected '${peftType}', got ${JSON.stringify(typed.peft_type)}`,
    );
  }
  typed.peft_type = peftType;
  const parsed = schema.safeParse({ ...typed });
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `field '${issue.path.map(String).join('.') || '(root)'}': ${issue.message}`,
    );
    throw new ConfigError(`${label}: ${problems.join('; ')}`, { cause: parsed.error });
  }
  if (unknown.length > 0) {
    (options.onWarning ?? defaultWarningHandler)(
      `${label}: unknown key(s) ${unknown.map((k) => `'${k}'`).join(', ')} (from a newer PEFT version?) kept but not used`,
    );
  }
  return { config: parsed.data, extras };
}

/** A ConfigError for a check across fields, naming the field. */
export function peftConfigFieldError(method: string, field: string, message: string): ConfigError {
  return new ConfigError(`${method} config: field '${field}': ${message}`);
}

/** adapter_config.json's text as PEFT writes it: keys sorted, two-space indent. */
export function configJson(config: object, extras: Record<string, unknown>): string {
  const all: Record<string, unknown> = { ...extras, ...config };
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(all).sort()) sorted[k] = all[k];
  return `${JSON.stringify(sorted, null, 2)}\n`;
}
