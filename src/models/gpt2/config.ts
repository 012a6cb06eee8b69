import { z } from 'zod';
import { ConfigError } from '../../core/errors.js';

/**
 * GPT-2's config.json fields (Hugging Face names). Unknown keys are kept out of the typed object
 * but do not fail: checkpoints from newer library versions carry extra fields.
 */
export const GPT2ConfigSchema = z.object({
  model_type: z.literal('gpt2').default('gpt2'),
  vocab_size: z.number().int().positive().default(50257),
  n_positions: z.number().int().positive().default(1024),
  n_embd: z.number().int().positive().default(768),
  n_layer: z.number().int().positive().default(12),
  n_head: z.number().int().positive().default(12),
  n_inner: z.number().int().positive().nullable().default(null),
  activation_function: z
    .enum(['gelu_new', 'gelu', 'gelu_pytorch_tanh', 'relu'])
    .default('gelu_new'),
  resid_pdrop: z.number().min(0).max(1).default(0.1),
  embd_pdrop: z.number().min(0).max(1).default(0.1),
  attn_pdrop: z.number().min(0).max(1).default(0.1),
  layer_norm_epsilon: z.number().positive().default(1e-5),
  initializer_range: z.number().positive().default(0.02),
  tie_word_embeddings: z.boolean().default(true),
  bos_token_id: z.number().int().nullable().default(50256),
  eos_token_id: z.number().int().nullable().default(50256),
});

export type GPT2Config = z.infer<typeof GPT2ConfigSchema>;

export function gpt2Config(input: Partial<GPT2Config> & Record<string, unknown> = {}): GPT2Config {
  const parsed = GPT2ConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`GPT-2 config: field '${issue.path.join('.')}': ${issue.message}`);
  }
  const config = parsed.data;
  if (config.n_embd % config.n_head !== 0) {
    throw new ConfigError(
      `GPT-2 config: n_embd ${config.n_embd} is not divisible by n_head ${config.n_head}`,
    );
  }
  return config;
}
