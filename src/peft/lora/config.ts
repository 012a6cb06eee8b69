import { z } from 'zod';
import { baseConfigFields, peftConfigFieldError, type BasePeftConfig } from '../config.js';
import type { PreTrainedModel } from '../../models/index.js';
import { modelDims } from '../utils/model-info.js';
import type { TargetModules } from '../utils/targets.js';

/**
 * LoraConfig (Hu et al. 2021) with PEFT's fields and defaults. Fields PEFT has for features not
 * implemented here (DoRA, LoftQ, EVA, CorDA, layer replication, Megatron) are accepted only at
 * their "off" values, so a file that needs them fails loudly instead of loading wrong.
 */

export const targetModulesSchema = z.union([z.string(), z.array(z.string()).min(1)]);
const offObject = (feature: string) =>
  z
    .record(z.string(), z.unknown())
    .refine((o) => Object.keys(o).length === 0, { error: `${feature} is not supported` });

export const loraConfigSchema = z.object({
  peft_type: z.literal('LORA'),
  ...baseConfigFields,
  r: z.number().int().positive().default(8),
  target_modules: targetModulesSchema.nullable().default(null),
  exclude_modules: targetModulesSchema.nullable().default(null),
  lora_alpha: z.number().positive().default(8),
  lora_dropout: z.number().min(0).lt(1).default(0),
  fan_in_fan_out: z.boolean().default(false),
  bias: z.enum(['none', 'all', 'lora_only']).default('none'),
  use_rslora: z.boolean().default(false),
  modules_to_save: z.array(z.string()).nullable().default(null),
  init_lora_weights: z.union([z.boolean(), z.literal('gaussian')]).default(true),
  layers_to_transform: z
    .union([z.number().int().nonnegative(), z.array(z.number().int().nonnegative())])
    .nullable()
    .default(null),
  layers_pattern: z
    .union([z.string(), z.array(z.string())])
    .nullable()
    .default(null),
  rank_pattern: z.record(z.string(), z.number().int().positive()).default({}),
  alpha_pattern: z.record(z.string(), z.number().positive()).default({}),
  lora_bias: z.boolean().default(false),
  use_dora: z.literal(false, { error: 'DoRA is not supported' }).default(false),
  layer_replication: z.null({ error: 'layer replication is not supported' }).default(null),
  megatron_config: z.null({ error: 'Megatron is not supported' }).default(null),
  megatron_core: z.string().nullable().default('megatron.core'),
  loftq_config: offObject('LoftQ').default({}),
  eva_config: z.null({ error: 'EVA init is not supported' }).default(null),
  corda_config: z.null({ error: 'CorDA init is not supported' }).default(null),
  trainable_token_indices: z.null({ error: 'trainable tokens are not supported' }).default(null),
  // Fields PEFT 0.18-0.21 added, each for a feature not implemented here (off values only).
  alora_invocation_tokens: z.null({ error: 'aLoRA is not supported' }).default(null),
  arrow_config: z.null({ error: 'Arrow routing is not supported' }).default(null),
  ensure_weight_tying: z
    .literal(false, { error: 'tied adapters are not supported' })
    .default(false),
  kasa_config: z.null({ error: 'KaSA is not supported' }).default(null),
  lora_ga_config: z.null({ error: 'LoRA-GA init is not supported' }).default(null),
  monteclora_config: z.null({ error: 'MonteCLoRA is not supported' }).default(null),
  qalora_group_size: z.number().int().positive().default(16),
  target_parameters: z.null({ error: 'targeting parameters is not supported' }).default(null),
  use_bdlora: z.null({ error: 'BD-LoRA is not supported' }).default(null),
  use_qalora: z.literal(false, { error: 'QALoRA is not supported' }).default(false),
  velora_config: z.null({ error: 'VeLoRA is not supported' }).default(null),
});

export type LoraConfig = z.infer<typeof loraConfigSchema> & BasePeftConfig;
export type LoraConfigInput = z.input<typeof loraConfigSchema>;

/** PEFT's TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING for the families here. */
export const LORA_DEFAULT_TARGETS: Record<string, string[]> = {
  gpt2: ['c_attn'],
  bert: ['query', 'value'],
  llama: ['q_proj', 'v_proj'],
};

/** The scale of B·A: alpha / r, or alpha / sqrt(r) with rsLoRA (Kalajdzievski 2023). */
export function loraScaling(alpha: number, r: number, useRslora: boolean): number {
  return useRslora ? alpha / Math.sqrt(r) : alpha / r;
}

export function prepareLoraConfig(config: LoraConfig, model: PreTrainedModel): LoraConfig {
  if (config.target_modules === null) {
    const type = modelDims(model).modelType;
    const defaults = LORA_DEFAULT_TARGETS[type];
    if (!defaults) {
      throw peftConfigFieldError(
        'lora',
        'target_modules',
        `needed: no default for model_type '${type}'`,
      );
    }
    config.target_modules = [...defaults];
  }
  checkLayersFields(
    'lora',
    config.target_modules,
    config.layers_to_transform,
    config.layers_pattern,
  );
  return config;
}

/** PEFT's __post_init__ checks on layer selection. */
export function checkLayersFields(
  method: string,
  targets: TargetModules,
  layers: number | readonly number[] | null,
  pattern: string | readonly string[] | null,
): void {
  if (typeof targets === 'string' && layers !== null) {
    throw peftConfigFieldError(
      method,
      'layers_to_transform',
      'cannot be used when target_modules is a str',
    );
  }
  if (typeof targets === 'string' && pattern !== null) {
    throw peftConfigFieldError(
      method,
      'layers_pattern',
      'cannot be used when target_modules is a str',
    );
  }
  if (pattern !== null && layers === null) {
    throw peftConfigFieldError(
      method,
      'layers_pattern',
      'only meaningful with layers_to_transform',
    );
  }
}
