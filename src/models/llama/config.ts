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

/**
 * rope_scaling as Hugging Face writes it: `type` in older configs, `rope_type` in newer ones.
 * 'linear' divides positions by factor; 'dynamic' is NTK-aware scaling beyond
 * max_position_embeddings; 'llama3' is Llama 3.1's wavelength-dependent scaling.
 */
const RopeScalingSchema = z
  .object({
    type: z.string().optional(),
    rope_type: z.string().optional(),
    factor: z.number().positive().optional(),
    low_freq_factor: z.number().positive().optional(),
    high_freq_factor: z.number().positive().optional(),
    original_max_position_embeddings: z.number().int().positive().optional(),
  })
  .loose();

/**
 * transformers 5 writes rope_theta and rope_scaling as one object, `rope_parameters`
 * ({rope_type, rope_theta, factor, ...}); it takes precedence over the legacy fields.
 */
const RopeParametersSchema = RopeScalingSchema.extend({
  rope_theta: z.number().positive().optional(),
}).loose();

export const LlamaConfigSchema = z.object({
  ...commonConfigFields,
  model_type: z.literal('llama').default('llama'),
  vocab_size: z.number().int().positive().default(32000),
  hidden_size: z.number().int().positive().default(4096),
  intermediate_size: z.number().int().positive().default(11008),
  num_hidden_layers: z.number().int().positive().default(32),
  num_attention_heads: z.number().int().positive().default(32),
  /** Grouped-query attention; null means num_attention_heads (multi-head attention). */
  num_key_value_heads: z.number().int().positive().nullable().default(null),
  /** Null means hidden_size / num_attention_heads. */
  head_dim: z.number().int().positive().nullable().default(null),
  hidden_act: z.enum(HF_ACTIVATIONS).default('silu'),
  max_position_embeddings: z.number().int().positive().default(2048),
  initializer_range: z.number().positive().default(0.02),
  rms_norm_eps: z.number().positive().default(1e-6),
  /** Tensor-parallel slicing during pretraining; mathematically a no-op, accepted. */
  pretraining_tp: z.number().int().positive().default(1),
  tie_word_embeddings: z.boolean().default(false),
  rope_theta: z.number().positive().default(10000),
  rope_scaling: RopeScalingSchema.nullable().default(null),
  rope_parameters: RopeParametersSchema.nullable().optional(),
  attention_bias: z.boolean().default(false),
  attention_dropout: z.number().min(0).max(1).default(0),
  mlp_bias: z.boolean().default(false),
  bos_token_id: tokenIdsSchema.default(1),
  eos_token_id: tokenIdsSchema.default(2),
});

export type RopeScaling =
  | { kind: 'default' }
  | { kind: 'linear'; factor: number }
  | { kind: 'dynamic'; factor: number }
  | {
      kind: 'llama3';
      factor: number;
      lowFreqFactor: number;
      highFreqFactor: number;
      originalMaxPositions: number;
    };

export type LlamaConfig = WithLabels<z.infer<typeof LlamaConfigSchema>> & {
  /** Derived: rope_scaling resolved (not written to config.json). */
  readonly ropeScaling: RopeScaling;
};
export type LlamaConfigInput = z.input<typeof LlamaConfigSchema> & Record<string, unknown>;

export function parseLlamaConfig(
  input: unknown,
  options: ConfigParseOptions = {},
): ParsedConfig<LlamaConfig> {
  const { config, extras } = parseConfig('Llama', LlamaConfigSchema, input, options);
  if (config.rope_parameters) applyRopeParameters(config, input as Record<string, unknown>);
  const heads = config.num_attention_heads;
  const kvHeads = config.num_key_value_heads ?? heads;
  if (config.head_dim === null && config.hidden_size % heads !== 0) {
    throw configFieldError(
      'Llama',
      'num_attention_heads',
      `hidden_size ${config.hidden_size} is not divisible by num_attention_heads ${heads} (set head_dim)`,
    );
  }
  if (heads % kvHeads !== 0) {
    throw configFieldError(
      'Llama',
      'num_key_value_heads',
      `num_attention_heads ${heads} is not a multiple of num_key_value_heads ${kvHeads}`,
    );
  }
  const headDim = config.head_dim ?? config.hidden_size / heads;
  if (headDim % 2 !== 0) {
    throw configFieldError(
      'Llama',
      'head_dim',
      `rotary embeddings need an even head_dim, got ${headDim}`,
    );
  }
  const ropeScaling = resolveRopeScaling(config.rope_scaling, config.max_position_embeddings);
  const full = { ...withLabels('Llama', config), ropeScaling };
  // ropeScaling is derived: keep it out of JSON and of config.json.
  Object.defineProperty(full, 'ropeScaling', { enumerable: false });
  return { config: full, extras };
}

/**
 * Fold transformers 5's rope_parameters into rope_theta / rope_scaling, so the rest of the code
 * (and config.json written back, which keeps both forms) sees one consistent description. Legacy
 * fields given alongside must agree with it.
 */
function applyRopeParameters(
  config: z.infer<typeof LlamaConfigSchema>,
  raw: Record<string, unknown>,
): void {
  const { rope_theta: theta, ...scaling } = config.rope_parameters!;
  if (theta !== undefined) {
    if (raw.rope_theta !== undefined && raw.rope_theta !== theta) {
      throw configFieldError(
        'Llama',
        'rope_theta',
        `${String(raw.rope_theta)} disagrees with rope_parameters.rope_theta ${theta}`,
      );
    }
    config.rope_theta = theta;
  }
  const kind = scaling.rope_type ?? scaling.type ?? 'default';
  const legacy = config.rope_scaling;
  const legacyKind = legacy ? (legacy.rope_type ?? legacy.type ?? 'default') : 'default';
  if (raw.rope_scaling != null && (legacyKind !== kind || legacy?.factor !== scaling.factor)) {
    throw configFieldError(
      'Llama',
      'rope_scaling',
      `${JSON.stringify(raw.rope_scaling)} disagrees with rope_parameters ${JSON.stringify(config.rope_parameters)}`,
    );
  }
  config.rope_scaling = kind === 'default' ? null : scaling;
}

function resolveRopeScaling(
  raw: z.infer<typeof RopeScalingSchema> | null,
  maxPositions: number,
): RopeScaling {
  if (raw === null) return { kind: 'default' };
  const kind = raw.rope_type ?? raw.type;
  const need = (field: 'factor'): number => {
    const v = raw[field];
    if (v === undefined) {
      throw configFieldError('Llama', `rope_scaling.${field}`, `required for rope type '${kind}'`);
    }
    return v;
  };
  switch (kind) {
    case 'default':
      return { kind: 'default' };
    case 'linear':
      return { kind: 'linear', factor: need('factor') };
    case 'dynamic':
      return { kind: 'dynamic', factor: need('factor') };
    case 'llama3':
      return {
        kind: 'llama3',
        factor: need('factor'),
        lowFreqFactor: raw.low_freq_factor ?? 1,
        highFreqFactor: raw.high_freq_factor ?? 4,
        originalMaxPositions: raw.original_max_position_embeddings ?? maxPositions,
      };
    default:
      throw configFieldError(
        'Llama',
        'rope_scaling.rope_type',
        `'${String(kind)}' is not supported (default, linear, dynamic, llama3)`,
      );
  }
}

/** The attention geometry a Llama config implies. */
export function llamaDims(config: LlamaConfig): {
  heads: number;
  kvHeads: number;
  headDim: number;
} {
  const heads = config.num_attention_heads;
  return {
    heads,
    kvHeads: config.num_key_value_heads ?? heads,
    headDim: config.head_dim ?? config.hidden_size / heads,
  };
}
