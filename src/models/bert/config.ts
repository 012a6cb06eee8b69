import { z } from 'zod';
import { HF_ACTIVATIONS } from '../common/activations.js';
import {
  commonConfigFields,
  configFieldError,
  parseConfig,
  withLabels,
  type ConfigParseOptions,
  type ParsedConfig,
  type WithLabels,
} from '../common/config.js';

/** BERT's config.json fields (Hugging Face names and defaults, bert-base-uncased's sizes). */
export const BertConfigSchema = z.object({
  ...commonConfigFields,
  model_type: z.literal('bert').default('bert'),
  vocab_size: z.number().int().positive().default(30522),
  hidden_size: z.number().int().positive().default(768),
  num_hidden_layers: z.number().int().positive().default(12),
  num_attention_heads: z.number().int().positive().default(12),
  intermediate_size: z.number().int().positive().default(3072),
  hidden_act: z.enum(HF_ACTIVATIONS).default('gelu'),
  hidden_dropout_prob: z.number().min(0).max(1).default(0.1),
  attention_probs_dropout_prob: z.number().min(0).max(1).default(0.1),
  max_position_embeddings: z.number().int().positive().default(512),
  type_vocab_size: z.number().int().positive().default(2),
  initializer_range: z.number().positive().default(0.02),
  layer_norm_eps: z.number().positive().default(1e-12),
  position_embedding_type: z
    .enum(['absolute', 'relative_key', 'relative_key_query'])
    .default('absolute'),
  /** Dropout before the classification heads; null means hidden_dropout_prob. */
  classifier_dropout: z.number().min(0).max(1).nullable().default(null),
  tie_word_embeddings: z.boolean().default(true),
  pad_token_id: z.number().int().nullable().default(0),
});

export type BertConfig = WithLabels<z.infer<typeof BertConfigSchema>>;
export type BertConfigInput = z.input<typeof BertConfigSchema> & Record<string, unknown>;

export function parseBertConfig(
  input: unknown,
  options: ConfigParseOptions = {},
): ParsedConfig<BertConfig> {
  const { config, extras } = parseConfig('BERT', BertConfigSchema, input, options);
  if (config.hidden_size % config.num_attention_heads !== 0) {
    throw configFieldError(
      'BERT',
      'num_attention_heads',
      `hidden_size ${config.hidden_size} is not divisible by num_attention_heads ${config.num_attention_heads}`,
    );
  }
  if (config.position_embedding_type !== 'absolute') {
    throw configFieldError(
      'BERT',
      'position_embedding_type',
      `'${config.position_embedding_type}' is not supported (only 'absolute')`,
    );
  }
  for (const key of ['is_decoder', 'add_cross_attention'] as const) {
    if (extras[key] === true) {
      throw configFieldError('BERT', key, 'BERT as a decoder is not supported (encoder only)');
    }
  }
  return { config: withLabels('BERT', config), extras };
}
