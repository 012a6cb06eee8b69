import { z } from 'zod';
import { concat, full, ones, zeros, type Tensor } from '../../core/index.js';
import type { Module, Parameter } from '../../nn/index.js';
import type { PreTrainedModel, WarningHandler } from '../../models/index.js';
import { peftConfigFieldError, type BasePeftConfig } from '../config.js';
import type { PeftInputs, Tuner, TunerContext } from '../registry.js';
import { AdapterDict } from './dicts.js';
import { modelDims } from './model-info.js';

/**
 * What prompt tuning and prefix tuning share (PEFT's PromptLearningConfig and the prompt-learning
 * branch of PeftModel): the config fields filled from the model, the prompt encoders kept in
 * PeftModel.prompt_encoder, and the bookkeeping of attention masks for the virtual tokens.
 */

export const promptLearningFields = {
  num_virtual_tokens: z.number().int().positive(),
  token_dim: z.number().int().positive().nullable().default(null),
  num_transformer_submodules: z
    .literal(1, { error: 'only decoder-only and encoder-only models (1 submodule) are supported' })
    .nullable()
    .default(null),
  num_attention_heads: z.number().int().positive().nullable().default(null),
  num_layers: z.number().int().positive().nullable().default(null),
  modules_to_save: z.array(z.string()).nullable().default(null),
};

export interface PromptLearningConfig extends BasePeftConfig {
  num_virtual_tokens: number;
  token_dim: number | null;
  num_transformer_submodules: 1 | null;
  num_attention_heads: number | null;
  num_layers: number | null;
  modules_to_save: string[] | null;
}

/**
 * PEFT's _prepare_prompt_learning_config: layers, width and heads from the model config. Prefix
 * tuning on grouped-query attention stores kv heads only (token_dim = head_dim * kv heads).
 */
export function preparePromptLearningConfig<C extends PromptLearningConfig>(
  method: string,
  config: C,
  model: PreTrainedModel,
  prefix: boolean,
): C {
  const dims = modelDims(model);
  config.num_layers ??= dims.numLayers;
  config.token_dim ??= dims.hiddenSize;
  config.num_attention_heads ??= dims.numHeads;
  config.num_transformer_submodules ??= 1;
  if (prefix && dims.numKvHeads !== dims.numHeads && config.num_attention_heads === dims.numHeads) {
    config.token_dim = (config.token_dim / config.num_attention_heads) * dims.numKvHeads;
    config.num_attention_heads = dims.numKvHeads;
  }
  if (config.token_dim % config.num_attention_heads !== 0) {
    throw peftConfigFieldError(
      method,
      'token_dim',
      `${config.token_dim} is not divisible by num_attention_heads ${config.num_attention_heads}`,
    );
  }
  return config;
}

/** Ones for the virtual tokens in front of a [batch, seq] mask, in the mask's dtype. */
export function extendMask(mask: Tensor | undefined, n: number): Tensor | undefined {
  if (!mask) return undefined;
  const B = mask.shape[0];
  return concat([ones([B, n], { dtype: mask.dtype }), mask], 1);
}

/**
 * The encoders of one prompt-learning method on a model, with the input rewriting PEFT's
 * PeftModelFor* classes do. Subclasses build the encoder and turn it into model inputs.
 */
export abstract class PromptLearningTuner<C extends PromptLearningConfig> implements Tuner<C> {
  readonly promptEncoder = new AdapterDict();
  readonly model: PreTrainedModel;
  readonly configs = new Map<string, C>();
  #active: string | null = null;
  #warned = false;
  #onWarning: WarningHandler = () => undefined;

  constructor(model: PreTrainedModel) {
    this.model = model;
  }

  get baseModel(): Module {
    return this.model;
  }

  protected abstract makeEncoder(name: string, config: C, ctx: TunerContext): Module;

  /** Inputs with this adapter's prompts added (no cached prefix yet). */
  protected abstract withPrompts(
    inputs: PeftInputs,
    name: string,
    config: C,
    batch: number,
  ): PeftInputs;

  addAdapter(name: string, config: C, ctx: TunerContext): void {
    this.promptEncoder.set(name, this.makeEncoder(name, config, ctx));
    this.configs.set(name, config);
    this.#onWarning = ctx.onWarning;
  }

  deleteAdapter(name: string): void {
    this.promptEncoder.delete(name);
    this.configs.delete(name);
    if (this.#active === name) this.#active = null;
  }

  setActiveAdapter(name: string | null): void {
    this.#active = name;
  }

  adapterParameters(name: string): Parameter[] {
    return this.promptEncoder.has(name) ? this.promptEncoder.get(name).parameters() : [];
  }

  prepareInputs(inputs: PeftInputs, name: string): PeftInputs {
    if (this.#active === null) return inputs;
    const config = this.configs.get(name)!;
    const n = config.num_virtual_tokens;
    let x: PeftInputs = { ...inputs };
    if (x.positionIds !== undefined) {
      // PEFT ignores them too: positions follow the virtual tokens.
      if (!this.#warned) {
        this.#onWarning('PEFT: position ids are not supported with prompt learning; ignoring them');
        this.#warned = true;
      }
      delete x.positionIds;
    }
    x.attentionMask = extendMask(inputs.attentionMask, n);
    // A cache from an earlier step (generation) already holds the virtual tokens.
    if (inputs.pastKeyValues) return x;
    const ref = inputs.inputIds ?? inputs.inputsEmbeds;
    if (!ref) throw peftConfigFieldError('PeftModel', 'inputIds', 'pass inputIds or inputsEmbeds');
    x = this.withPrompts(x, name, config, ref.shape[0]);
    return x;
  }
}

/** [B, T] int labels / type ids with n values in front (-100 labels, 0 type ids). */
export function prependIds(t: Tensor, n: number, value: number): Tensor {
  const B = t.shape[0];
  const pad =
    value === 0 ? zeros([B, n], { dtype: t.dtype }) : full([B, n], value, { dtype: t.dtype });
  return concat([pad, t], 1);
}
