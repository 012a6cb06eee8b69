import { z } from 'zod';
import { baseConfigFields, peftConfigFieldError, type BasePeftConfig } from '../config.js';
import type { PreTrainedModel } from '../../models/index.js';

/**
 * Bottleneck adapters (Houlsby et al. 2019; Pfeiffer et al. 2020) with AdapterHub's BnConfig
 * fields and defaults (its SeqBnConfig, "seq_bn" = Pfeiffer, unless set otherwise). Options of
 * BnConfig that change the architecture beyond W2·σ(W1·x) on the residual stream (extra layer
 * norms, parallel adapters, gating, PHM layers) are accepted only at their "off" values so that
 * a file needing them fails loudly. MAD-X's invertible adapters (inv_adapter 'nice' or 'glow',
 * invertible.ts) are supported on GPT-2, Llama and BERT.
 */
const off = <T extends z.ZodType>(t: T, what: string) =>
  t.refine((v) => !v, { error: `${what} is not supported` });

export const NON_LINEARITIES = ['relu', 'gelu', 'gelu_new', 'swish', 'silu', 'tanh'] as const;

export const bottleneckConfigSchema = z.object({
  peft_type: z.literal('BOTTLENECK'),
  ...baseConfigFields,
  mh_adapter: z.boolean().default(false),
  output_adapter: z.boolean().default(true),
  reduction_factor: z
    .union([z.number().positive(), z.record(z.string(), z.number().positive())])
    .default(16),
  non_linearity: z.enum(NON_LINEARITIES).default('relu'),
  original_ln_before: z.boolean().default(true),
  original_ln_after: z.boolean().default(true),
  ln_before: off(z.boolean(), 'ln_before').default(false),
  ln_after: off(z.boolean(), 'ln_after').default(false),
  init_weights: z.enum(['bert', 'mam_adapter', 'houlsby']).default('bert'),
  is_parallel: off(z.boolean(), 'is_parallel (parallel adapters)').default(false),
  scaling: z
    .number({ error: "scaling must be a number ('learned' and 'channel' are not supported)" })
    .default(1.0),
  use_gating: off(z.boolean(), 'use_gating').default(false),
  residual_before_ln: z.union([z.boolean(), z.literal('post_add')]).default(true),
  adapter_residual_before_ln: z.boolean().default(false),
  inv_adapter: z
    .enum(['nice', 'glow'], { error: "inv_adapter must be 'nice', 'glow' or null" })
    .nullable()
    .default(null),
  inv_adapter_reduction_factor: z.number().positive().nullable().default(null),
  cross_adapter: off(z.boolean(), 'cross_adapter').default(false),
  leave_out: z.array(z.number().int().nonnegative()).default([]),
  dropout: z.number().min(0).lt(1).default(0),
  phm_layer: off(z.boolean(), 'phm_layer').default(false),
  phm_dim: z.number().int().default(4),
  factorized_phm_W: z.boolean().nullable().default(true),
  shared_W_phm: z.boolean().nullable().default(false),
  shared_phm_rule: z.boolean().nullable().default(true),
  factorized_phm_rule: z.boolean().nullable().default(false),
  phm_c_init: z.string().nullable().default('normal'),
  phm_init_range: z.number().nullable().default(0.0001),
  learn_phm: z.boolean().nullable().default(true),
  hypercomplex_nonlinearity: z.string().nullable().default('glorot-uniform'),
  phm_rank: z.number().int().nullable().default(1),
  phm_bias: z.boolean().nullable().default(true),
  stochastic_depth: off(z.number().nullable(), 'stochastic_depth').default(0.0),
});

export type BottleneckConfig = z.infer<typeof bottleneckConfigSchema> & BasePeftConfig;
export type BottleneckConfigInput = z.input<typeof bottleneckConfigSchema>;

/** The BnConfig fields (what AdapterHub writes under "config"). */
export const BN_FIELDS = Object.keys(bottleneckConfigSchema.shape).filter(
  (k) => k !== 'peft_type' && !(k in baseConfigFields),
);

/** AdapterHub's SeqBnConfig ("seq_bn", formerly "pfeiffer"): one adapter after the FFN. */
export function pfeifferConfig(
  overrides: Partial<BottleneckConfigInput> = {},
): BottleneckConfigInput {
  return { peft_type: 'BOTTLENECK', ...overrides };
}

/** AdapterHub's DoubleSeqBnConfig ("double_seq_bn", formerly "houlsby"): after attention and FFN. */
export function houlsbyConfig(
  overrides: Partial<BottleneckConfigInput> = {},
): BottleneckConfigInput {
  return {
    peft_type: 'BOTTLENECK',
    original_ln_before: false,
    mh_adapter: true,
    output_adapter: true,
    non_linearity: 'swish',
    ...overrides,
  };
}

/** AdapterHub's SeqBnInvConfig ("seq_bn_inv", "pfeiffer+inv"): MAD-X's language adapter. */
export function pfeifferInvConfig(
  overrides: Partial<BottleneckConfigInput> = {},
): BottleneckConfigInput {
  return pfeifferConfig({ inv_adapter: 'nice', inv_adapter_reduction_factor: 2, ...overrides });
}

/** AdapterHub's preset names as they may appear in a saved "config". */
export const BN_PRESETS: Record<string, () => BottleneckConfigInput> = {
  seq_bn: () => pfeifferConfig(),
  pfeiffer: () => pfeifferConfig(),
  double_seq_bn: () => houlsbyConfig(),
  houlsby: () => houlsbyConfig(),
  seq_bn_inv: () => pfeifferInvConfig(),
  'pfeiffer+inv': () => pfeifferInvConfig(),
  double_seq_bn_inv: () => houlsbyConfig({ inv_adapter: 'nice', inv_adapter_reduction_factor: 2 }),
  'houlsby+inv': () => houlsbyConfig({ inv_adapter: 'nice', inv_adapter_reduction_factor: 2 }),
};

/** The bottleneck width of one layer: hidden // reduction_factor, at least 1 (AdapterHub's). */
export function bottleneckSize(config: BottleneckConfig, hidden: number, layer: number): number {
  let rf = config.reduction_factor;
  if (typeof rf !== 'number') {
    const v = rf[String(layer)] ?? rf.default;
    if (v === undefined) {
      throw peftConfigFieldError(
        'adapter',
        'reduction_factor',
        `no value for layer ${layer} and no 'default'`,
      );
    }
    rf = v;
  }
  return Math.max(1, Math.floor(hidden / rf));
}

export function prepareBottleneckConfig(
  config: BottleneckConfig,
  _model: PreTrainedModel,
): BottleneckConfig {
  if (config.residual_before_ln === 'post_add' && !config.original_ln_before) {
    throw peftConfigFieldError(
      'adapter',
      'residual_before_ln',
      "'post_add' needs original_ln_before",
    );
  }
  if (!config.mh_adapter && !config.output_adapter) {
    throw peftConfigFieldError(
      'adapter',
      'output_adapter',
      'mh_adapter and output_adapter are both false: no adapter to add',
    );
  }
  if (config.inv_adapter !== null && config.inv_adapter_reduction_factor === null) {
    throw peftConfigFieldError(
      'adapter',
      'inv_adapter_reduction_factor',
      `inv_adapter '${config.inv_adapter}' needs a reduction factor (AdapterHub's presets use 2)`,
    );
  }
  return config;
}
