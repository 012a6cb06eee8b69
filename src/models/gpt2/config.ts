import { z } from 'zod';
import { HF_ACTIVATIONS } from '../common/activations.js';
import {
  commonConfigFields,
  configFieldError,
  parseConfig,
  tokenIdsSchema,
  withLabels,
  type ConfigParseOptions,
  type ParsedConfig,
  type WithLabels,
} from '../common/config.js';

/** GPT-2's config.json fields (Hugging Face names and defaults). */
export const GPT2ConfigSchema = z.object({
  ...commonConfigFields,
  model_type: z.literal('gpt2').default('gpt2'),
  vocab_size: z.number().int().positive().default(50257),
  n_positions: z.number().int().positive().default(1024),
  n_embd: z.number().int().positive().default(768),
  n_layer: z.number().int().positive().default(12),
  n_head: z.number().int().positive().default(12),
  n_inner: z.number().int().positive().nullable().default(null),
  activation_function: z.enum(HF_ACTIVATIONS).default('gelu_new'),
  resid_pdrop: z.number().min(0).max(1).default(0.1),
  embd_pdrop: z.number().min(0).max(1).default(0.1),
  attn_pdrop: z.number().min(0).max(1).default(0.1),
  summary_first_dropout: z.number().min(0).max(1).default(0.1),
  layer_norm_epsilon: z.number().positive().default(1e-5),
  initializer_range: z.number().positive().default(0.02),
  scale_attn_weights: z.boolean().default(true),
  scale_attn_by_inverse_layer_idx: z.boolean().default(false),
  /** Only changes float16 numerics in PyTorch; accepted, computed in float32 anyway. */
  reorder_and_upcast_attn: z.boolean().default(false),
  tie_word_embeddings: z.boolean().default(true),
  bos_token_id: tokenIdsSchema.default(50256),
  eos_token_id: tokenIdsSchema.default(50256),
});

export type GPT2Config = WithLabels<z.infer<typeof GPT2ConfigSchema>>;
export type GPT2ConfigInput = z.input<typeof GPT2ConfigSchema> & Record<string, unknown>;

/** Keys of GPT-2 configs that Osmosis does not use (double heads, old n_ctx), kept silently. */
const GPT2_KNOWN_KEYS = [
  'n_ctx',
  'summary_activation',
  'summary_proj_to_labels',
  'summary_type',
  'summary_use_proj',
];

export function parseGPT2Config(
  input: unknown,
  options: ConfigParseOptions = {},
): ParsedConfig<GPT2Config> {
  const { config, extras } = parseConfig('GPT-2', GPT2ConfigSchema, input, {
    knownKeys: GPT2_KNOWN_KEYS,
    ...options,
  });
  if (config.n_embd % config.n_head !== 0) {
    throw configFieldError(
      'GPT-2',
      'n_head',
      `n_embd ${config.n_embd} is not divisible by n_head ${config.n_head}`,
    );
  }
  return { config: withLabels('GPT-2', config), extras };
}

/** A validated GPT-2 config with defaults filled in (extra keys are dropped silently). */
export function gpt2Config(input: Partial<GPT2ConfigInput> = {}): GPT2Config {
  return parseGPT2Config(input, { onWarning: () => undefined }).config;
}
