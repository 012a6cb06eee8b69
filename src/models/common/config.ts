import { z } from 'zod';
import { ConfigError } from '../../core/index.js';

/**
 * config.json handling shared by every family. A family's schema lists its own fields (Hugging
 * Face names and defaults) plus the generic PretrainedConfig fields below. Parsing is strict about
 * values (a bad value is a ConfigError naming the field) and lenient about keys: Hugging Face
 * configs carry many generic keys (transformers_version, use_cache, ...) that are kept silently,
 * and keys nobody knows load with a warning. Both are kept as `extras` and written back on save,
 * so a load -> save round trip loses nothing.
 */

export type WarningHandler = (message: string) => void;

/** Warnings go through Node's process warnings (listen with process.on('warning')). */
export const defaultWarningHandler: WarningHandler = (message) =>
  process.emitWarning(message, 'OsmosisWarning');

const tokenId = z.number().int().nullable();
/** A token id field that may hold one id or several (eos_token_id in Llama 3 configs). */
export const tokenIdsSchema = z
  .union([z.number().int(), z.array(z.number().int()).min(1)])
  .nullable();

/** Generic PretrainedConfig fields that change what Osmosis builds or computes. */
export const commonConfigFields = {
  architectures: z.array(z.string()).nullable().default(null),
  /** Class index (as a string key, as in JSON) -> label name. */
  id2label: z.record(z.string().regex(/^\d+$/), z.string()).nullable().default(null),
  label2id: z.record(z.string(), z.number().int().nonnegative()).nullable().default(null),
  num_labels: z.number().int().positive().nullable().default(null),
  problem_type: z
    .enum(['regression', 'single_label_classification', 'multi_label_classification'])
    .nullable()
    .default(null),
  pad_token_id: tokenId.default(null),
  bos_token_id: tokenIdsSchema.default(null),
  eos_token_id: tokenIdsSchema.default(null),
};

/**
 * PretrainedConfig keys that Osmosis does not use but that Hugging Face writes (or older versions
 * wrote); kept without a warning. Generation defaults from old configs are in this list too.
 */
const KNOWN_GENERIC_KEYS = new Set([
  '_name_or_path',
  '_attn_implementation',
  '_attn_implementation_autoset',
  'add_cross_attention',
  'bad_words_ids',
  'begin_suppress_tokens',
  'chunk_size_feed_forward',
  'cross_attention_hidden_size',
  'decoder_start_token_id',
  'diversity_penalty',
  'do_sample',
  'dtype',
  'early_stopping',
  'encoder_no_repeat_ngram_size',
  'exponential_decay_length_penalty',
  'finetuning_task',
  'forced_bos_token_id',
  'forced_eos_token_id',
  'gradient_checkpointing',
  'is_decoder',
  'is_encoder_decoder',
  'length_penalty',
  'max_length',
  'min_length',
  'no_repeat_ngram_size',
  'num_beam_groups',
  'num_beams',
  'num_return_sequences',
  'output_attentions',
  'output_hidden_states',
  'output_scores',
  'prefix',
  'pruned_heads',
  'remove_invalid_values',
  'repetition_penalty',
  'return_dict',
  'return_dict_in_generate',
  'sep_token_id',
  'suppress_tokens',
  'task_specific_params',
  'temperature',
  'tf_legacy_loss',
  'tie_encoder_decoder',
  'tokenizer_class',
  'top_k',
  'top_p',
  'torch_dtype',
  'torchscript',
  'transformers_version',
  'typical_p',
  'use_bfloat16',
  'use_cache',
]);

/** Keys that could reach Object.prototype if copied carelessly; never valid in a config. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export interface ParsedConfig<C> {
  config: C;
  /** Keys outside the schema, kept verbatim (a null-prototype object). */
  extras: Record<string, unknown>;
}

export interface ConfigParseOptions {
  /** Where the config came from, for messages (a path). */
  source?: string;
  onWarning?: WarningHandler;
  /** Keys of this family that are accepted and kept without a warning (legacy names). */
  knownKeys?: readonly string[];
}

/**
 * Validate a config object against a family schema. Values outside the schema are ConfigErrors
 * naming every offending field; unknown keys are warned about and returned as extras.
 */
export function parseConfig<S extends z.ZodObject>(
  family: string,
  schema: S,
  raw: unknown,
  options: ConfigParseOptions = {},
): ParsedConfig<z.infer<S>> {
  const where = options.source ? ` (${options.source})` : '';
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(
      `${family} config${where}: expected a JSON object, got ${raw === null ? 'null' : Array.isArray(raw) ? 'an array' : typeof raw}`,
    );
  }
  const known = new Set(Object.keys(schema.shape));
  const legacy = new Set(options.knownKeys ?? []);
  const extras: Record<string, unknown> = Object.create(null);
  const typed: Record<string, unknown> = Object.create(null);
  const unknown: string[] = [];
  for (const key of Object.keys(raw)) {
    if (FORBIDDEN_KEYS.has(key)) {
      throw new ConfigError(`${family} config${where}: key '${key}' is not allowed`);
    }
    const value = (raw as Record<string, unknown>)[key];
    if (known.has(key)) typed[key] = value;
    else {
      extras[key] = value;
      if (!KNOWN_GENERIC_KEYS.has(key) && !legacy.has(key)) unknown.push(key);
    }
  }
  const parsed = schema.safeParse({ ...typed });
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `field '${issue.path.map(String).join('.') || '(root)'}': ${issue.message}`,
    );
    throw new ConfigError(`${family} config${where}: ${problems.join('; ')}`, {
      cause: parsed.error,
    });
  }
  if (unknown.length > 0) {
    (options.onWarning ?? defaultWarningHandler)(
      `${family} config${where}: unknown key(s) ${unknown.map((k) => `'${k}'`).join(', ')} kept but not used`,
    );
  }
  return { config: parsed.data, extras };
}

/** A ConfigError for a check across fields (divisibility, consistency), naming the field. */
export function configFieldError(family: string, field: string, message: string): ConfigError {
  return new ConfigError(`${family} config: field '${field}': ${message}`);
}

/** A parsed config with its label fields resolved (num_labels is never null). */
export type WithLabels<T> = Omit<T, 'num_labels' | 'id2label' | 'label2id'> & {
  num_labels: number;
  id2label: Record<string, string>;
  label2id: Record<string, number>;
};

interface LabelFields {
  id2label: Record<string, string> | null;
  label2id: Record<string, number> | null;
  num_labels: number | null;
}

/** The config with num_labels, id2label and label2id resolved as Hugging Face does. */
export function withLabels<T extends LabelFields>(family: string, config: T): WithLabels<T> {
  const { numLabels, id2label, label2id } = resolveLabels(family, config);
  return { ...config, num_labels: numLabels, id2label, label2id };
}

/**
 * Hugging Face's label bookkeeping: num_labels follows id2label when given (ids 0..n-1), else
 * num_labels (default 2) with LABEL_i names; label2id is the inverse.
 */
export function resolveLabels(
  family: string,
  config: LabelFields,
): { numLabels: number; id2label: Record<string, string>; label2id: Record<string, number> } {
  let id2label: Record<string, string>;
  if (config.id2label) {
    const ids = Object.keys(config.id2label)
      .map(Number)
      .sort((a, b) => a - b);
    if (!ids.every((id, i) => id === i)) {
      throw configFieldError(family, 'id2label', `keys must be 0..n-1, got ${ids.join(', ')}`);
    }
    if (config.num_labels !== null && config.num_labels !== ids.length) {
      throw configFieldError(
        family,
        'num_labels',
        `${config.num_labels} disagrees with id2label's ${ids.length} labels`,
      );
    }
    id2label = Object.fromEntries(ids.map((i) => [String(i), config.id2label![String(i)]]));
  } else {
    const n = config.num_labels ?? 2;
    id2label = Object.fromEntries(Array.from({ length: n }, (_, i) => [String(i), `LABEL_${i}`]));
  }
  const label2id =
    config.label2id ?? Object.fromEntries(Object.entries(id2label).map(([i, l]) => [l, Number(i)]));
  return { numLabels: Object.keys(id2label).length, id2label, label2id };
}

/** The token ids of an int | int[] | null field, as a list. */
export function tokenIdList(value: number | number[] | null | undefined): number[] {
  if (value === null || value === undefined) return [];
  return Array.isArray(value) ? [...value] : [value];
}
