import { z } from 'zod';
import { baseConfigFields } from '../config.js';
import type { PreTrainedModel } from '../../models/index.js';
import {
  preparePromptLearningConfig,
  promptLearningFields,
  type PromptLearningConfig,
} from '../utils/prompt-learning.js';

/**
 * PrefixTuningConfig (Li & Liang 2021): trained keys and values prepended in every attention
 * layer, num_virtual_tokens x num_layers x 2 x token_dim in all; with prefix_projection they are
 * produced by PEFT's two-layer reparameterisation MLP (token_dim -> encoder_hidden_size -> ...).
 */
export const prefixTuningConfigSchema = z.object({
  peft_type: z.literal('PREFIX_TUNING'),
  ...baseConfigFields,
  ...promptLearningFields,
  encoder_hidden_size: z.number().int().positive().nullable().default(null),
  prefix_projection: z.boolean().default(false),
  /** PEFT 0.18+: 'zero' starts the prefixes (or the projection's last layer) at zero. */
  init_weights: z.literal('zero').nullable().default(null),
});

export type PrefixTuningConfig = z.infer<typeof prefixTuningConfigSchema> & PromptLearningConfig;
export type PrefixTuningConfigInput = z.input<typeof prefixTuningConfigSchema>;

export function preparePrefixTuningConfig(
  config: PrefixTuningConfig,
  model: PreTrainedModel,
): PrefixTuningConfig {
  preparePromptLearningConfig('prefix_tuning', config, model, true);
  config.encoder_hidden_size ??= config.token_dim;
  return config;
}
