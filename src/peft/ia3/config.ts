import { z } from 'zod';
import { baseConfigFields, peftConfigFieldError, type BasePeftConfig } from '../config.js';
import type { PreTrainedModel } from '../../models/index.js';
import { targetModulesSchema } from '../lora/config.js';
import { modelDims } from '../utils/model-info.js';

/**
 * IA3Config (Liu et al. 2022, "(IA)^3"): learned vectors that rescale the outputs of the key and
 * value projections and the input of the feed-forward output projection. PEFT's fields.
 */
export const ia3ConfigSchema = z.object({
  peft_type: z.literal('IA3'),
  ...baseConfigFields,
  target_modules: targetModulesSchema.nullable().default(null),
  exclude_modules: targetModulesSchema.nullable().default(null),
  feedforward_modules: targetModulesSchema.nullable().default(null),
  fan_in_fan_out: z.boolean().default(false),
  modules_to_save: z.array(z.string()).nullable().default(null),
  init_ia3_weights: z.boolean().default(true),
});

export type IA3Config = z.infer<typeof ia3ConfigSchema> & BasePeftConfig;
export type IA3ConfigInput = z.input<typeof ia3ConfigSchema>;

/** PEFT's TRANSFORMERS_MODELS_TO_IA3_TARGET_MODULES_MAPPING / ..._FEEDFORWARD_MODULES_MAPPING. */
export const IA3_DEFAULT_TARGETS: Record<string, string[]> = {
  gpt2: ['c_attn', 'mlp.c_proj'],
  bert: ['key', 'value', 'output.dense'],
  llama: ['k_proj', 'v_proj', 'down_proj'],
};
export const IA3_DEFAULT_FEEDFORWARD: Record<string, string[]> = {
  gpt2: ['mlp.c_proj'],
  bert: ['output.dense'],
  llama: ['down_proj'],
};

export function prepareIA3Config(config: IA3Config, model: PreTrainedModel): IA3Config {
  const type = modelDims(model).modelType;
  if (config.target_modules === null) {
    if (!IA3_DEFAULT_TARGETS[type]) {
      throw peftConfigFieldError(
        'ia3',
        'target_modules',
        `needed: no default for model_type '${type}'`,
      );
    }
    config.target_modules = [...IA3_DEFAULT_TARGETS[type]];
  }
  if (config.feedforward_modules === null) {
    config.feedforward_modules = [...(IA3_DEFAULT_FEEDFORWARD[type] ?? [])];
  }
  const t = config.target_modules;
  const f = config.feedforward_modules;
  // PEFT's __post_init__: with two lists, the feed-forward ones must be among the targets.
  if (Array.isArray(t) && Array.isArray(f) && !f.every((m) => t.includes(m))) {
    throw peftConfigFieldError(
      'ia3',
      'feedforward_modules',
      'should be a subset of target_modules',
    );
  }
  return config;
}
