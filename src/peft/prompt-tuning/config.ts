import { z } from 'zod';
import { baseConfigFields, peftConfigFieldError } from '../config.js';
import type { PreTrainedModel } from '../../models/index.js';
import {
  preparePromptLearningConfig,
  promptLearningFields,
  type PromptLearningConfig,
} from '../utils/prompt-learning.js';

/**
 * PromptTuningConfig (Lester et al. 2021): num_virtual_tokens soft-prompt vectors prepended to the
 * input embeddings. Init RANDOM (N(0, 1), torch.nn.Embedding's), TEXT (the embeddings of a text's
 * token ids, repeated or cut to num_virtual_tokens) or SAMPLE_VOCAB (of random vocabulary ids).
 */
export const promptTuningConfigSchema = z.object({
  peft_type: z.literal('PROMPT_TUNING'),
  ...baseConfigFields,
  ...promptLearningFields,
  prompt_tuning_init: z.enum(['RANDOM', 'TEXT', 'SAMPLE_VOCAB']).default('RANDOM'),
  prompt_tuning_init_text: z.string().nullable().default(null),
  tokenizer_name_or_path: z.string().nullable().default(null),
  tokenizer_kwargs: z.record(z.string(), z.unknown()).nullable().default(null),
});

export type PromptTuningConfig = z.infer<typeof promptTuningConfigSchema> & PromptLearningConfig;
export type PromptTuningConfigInput = z.input<typeof promptTuningConfigSchema>;

export function preparePromptTuningConfig(
  config: PromptTuningConfig,
  model: PreTrainedModel,
): PromptTuningConfig {
  if (config.prompt_tuning_init === 'TEXT' && config.prompt_tuning_init_text === null) {
    throw peftConfigFieldError(
      'prompt_tuning',
      'prompt_tuning_init_text',
      "needed when prompt_tuning_init is 'TEXT'",
    );
  }
  if (config.tokenizer_kwargs !== null && config.prompt_tuning_init !== 'TEXT') {
    throw peftConfigFieldError(
      'prompt_tuning',
      'tokenizer_kwargs',
      "only used when prompt_tuning_init is 'TEXT'",
    );
  }
  return preparePromptLearningConfig('prompt_tuning', config, model, false);
}
