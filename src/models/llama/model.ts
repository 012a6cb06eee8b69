import {
  add,
  expand,
  mul,
  reshape,
  scaledDotProductAttention,
  unsqueeze,
  type Generator,
  type Tensor,
} from '../../core/index.js';
import { Embedding, Linear, Module, ModuleList, RMSNorm } from '../../nn/index.js';
import { hfActivation } from '../common/activations.js';
import {
  checkAttentionMask,
  checkIds,
  inputShape,
  mergeHeads,
  pastLength,
  splitHeads,
  withPast,
} from '../common/attention.js';
import { causalLmLoss, sequenceClassificationLoss } from '../common/losses.js';
import type {
  BaseModelInputs,
  BaseModelOutput,
  CausalLMInputs,
  CausalLMOutput,
  LayerCache,
  SequenceClassificationInputs,
  SequenceClassifierOutput,
} from '../common/outputs.js';
import { lastTokenPool } from '../common/pooling.js';
import type { InvertibleEmbeddingAdapter, ResidualAdapter } from '../common/residual.js';
import {
  dropoutRng,
  PreTrainedModel,
  type ArchitectureSpec,
  type ModelOptions,
} from '../common/pretrained.js';
import { registerArchitecture } from '../registry.js';
import { llamaDims, parseLlamaConfig, type LlamaConfig, type LlamaConfigInput } from './config.js';
import { applyRotary, rotaryTables, type RotaryTables } from './rotary.js';

/**
 * The Llama decoder (Touvron et al. 2023) as Hugging Face's modeling_llama: pre-RMSNorm blocks,
 * rotary position embeddings, grouped-query attention and a SwiGLU MLP, with the same names
 * (model.layers.0.self_attn.q_proj.weight, ...). Mistral-style checkpoints without sliding
 * windows share this layout.
 */

interface LlamaAttentionCall {
  rotary: RotaryTables;
  attentionMask?: Tensor;
  past?: LayerCache;
  useCache?: boolean;
}

/** [B, Hkv, T, D] -> [B, Hkv * n, T, D], each kv head repeated n times in place (repeat_kv). */
export function repeatKv(x: Tensor, n: number): Tensor {
  if (n === 1) return x;
  const [B, H, T, D] = x.shape;
  return reshape(expand(unsqueeze(x, 2), [B, H, n, T, D]), [B, H * n, T, D]);
}

export class LlamaAttention extends Module {
  q_proj: Linear;
  k_proj: Linear;
  v_proj: Linear;
  o_proj: Linear;
  readonly #dims: { heads: number; kvHeads: number; headDim: number };
  readonly #dropoutP: number;
  readonly #rng: Generator;

  constructor(config: LlamaConfig, rng: Generator) {
    super();
    const dims = llamaDims(config);
    const d = config.hidden_size;
    const opts = { bias: config.attention_bias, skipInit: true };
    this.q_proj = new Linear(d, dims.heads * dims.headDim, opts);
    this.k_proj = new Linear(d, dims.kvHeads * dims.headDim, opts);
    this.v_proj = new Linear(d, dims.kvHeads * dims.headDim, opts);
    this.o_proj = new Linear(dims.heads * dims.headDim, d, opts);
    this.#dims = dims;
    this.#dropoutP = config.attention_dropout;
    this.#rng = rng;
  }

  forward(x: Tensor, call: LlamaAttentionCall): { hidden: Tensor; present?: LayerCache } {
    const { heads, kvHeads, headDim } = this.#dims;
    const q = applyRotary(splitHeads(this.q_proj.forward(x), heads, headDim), call.rotary);
    const k = applyRotary(splitHeads(this.k_proj.forward(x), kvHeads, headDim), call.rotary);
    const v = splitHeads(this.v_proj.forward(x), kvHeads, headDim);
    const kv = withPast(k, v, call.past, 'LlamaAttention');
    const groups = heads / kvHeads;
    const y = scaledDotProductAttention(q, repeatKv(kv.key, groups), repeatKv(kv.value, groups), {
      causal: true,
      keyPaddingMask: call.attentionMask,
      dropoutP: this.training ? this.#dropoutP : 0,
      rng: this.#rng,
      training: this.training,
    });
    const hidden = this.o_proj.forward(mergeHeads(y));
    return call.useCache ? { hidden, present: kv } : { hidden };
  }
}

/** down(act(gate(x)) * up(x)): SwiGLU with silu. */
export class LlamaMLP extends Module {
  gate_proj: Linear;
  up_proj: Linear;
  down_proj: Linear;
  readonly #act: (x: Tensor) => Tensor;

  constructor(config: LlamaConfig) {
    super();
    const opts = { bias: config.mlp_bias, skipInit: true };
    this.gate_proj = new Linear(config.hidden_size, config.intermediate_size, opts);
    this.up_proj = new Linear(config.hidden_size, config.intermediate_size, opts);
    this.down_proj = new Linear(config.intermediate_size, config.hidden_size, opts);
    this.#act = hfActivation(config.hidden_act);
  }

  forward(x: Tensor): Tensor {
    return this.down_proj.forward(
      mul(this.#act(this.gate_proj.forward(x)), this.up_proj.forward(x)),
    );
  }
}

export class LlamaDecoderLayer extends Module {
  self_attn: LlamaAttention;
  mlp: LlamaMLP;
  input_layernorm: RMSNorm;
  post_attention_layernorm: RMSNorm;
  /** Bottleneck adapters after attention and after the MLP (PEFT), AdapterHub's names. */
  attention_adapters: ResidualAdapter | null = null;
  output_adapters: ResidualAdapter | null = null;

  constructor(config: LlamaConfig, rng: Generator) {
    super();
    this.self_attn = new LlamaAttention(config, rng);
    this.mlp = new LlamaMLP(config);
    this.input_layernorm = new RMSNorm(config.hidden_size, { eps: config.rms_norm_eps });
    this.post_attention_layernorm = new RMSNorm(config.hidden_size, { eps: config.rms_norm_eps });
  }

  forward(x: Tensor, call: LlamaAttentionCall): { hidden: Tensor; present?: LayerCache } {
    const a = this.self_attn.forward(this.input_layernorm.forward(x), call);
    const h = this.attention_adapters?.forward(a.hidden, x, null) ?? add(x, a.hidden);
    const m = this.mlp.forward(this.post_attention_layernorm.forward(h));
    const hidden = this.output_adapters?.forward(m, h, null) ?? add(h, m);
    return a.present ? { hidden, present: a.present } : { hidden };
  }
}

/** Buffers older Llama checkpoints carry. */
const LLAMA_IGNORED = [/(^|\.)rotary_emb\.inv_freq$/];

export class LlamaModel extends PreTrainedModel {
  static override readonly spec: ArchitectureSpec = {
    architecture: 'LlamaModel',
    modelType: 'llama',
    task: 'base',
    baseModelPrefix: 'model',
  };
  readonly config: LlamaConfig;
  embed_tokens: Embedding;
  /** MAD-X invertible adapters (PEFT), on embed_tokens' output as AdapterHub hooks them. */
  invertible_adapters: InvertibleEmbeddingAdapter | null = null;
  layers: ModuleList<LlamaDecoderLayer>;
  norm: RMSNorm;

  constructor(config: Partial<LlamaConfigInput> = {}, options: ModelOptions = {}) {
    super();
    const parsed = parseLlamaConfig(config, options);
    this.config = parsed.config;
    this.configExtras = parsed.extras;
    const c = this.config;
    const rng = dropoutRng(options);
    const pad = c.pad_token_id;
    const paddingIdx = pad !== null && pad >= 0 && pad < c.vocab_size ? pad : undefined;
    this.embed_tokens = new Embedding(c.vocab_size, c.hidden_size, { skipInit: true, paddingIdx });
    this.layers = new ModuleList(
      Array.from({ length: c.num_hidden_layers }, () => new LlamaDecoderLayer(c, rng)),
    );
    this.norm = new RMSNorm(c.hidden_size, { eps: c.rms_norm_eps });
    this.initialize(options);
  }

  override ignoredCheckpointKeys(): RegExp[] {
    return LLAMA_IGNORED;
  }

  /** Hidden states [B, T, hidden] after the final norm, plus the extended cache with useCache. */
  forward(inputs: BaseModelInputs): BaseModelOutput {
    const op = 'LlamaModel';
    const [B, T] = inputShape(inputs, op);
    const c = this.config;
    const past = inputs.pastKeyValues;
    const P = pastLength(past, c.num_hidden_layers, op);
    checkAttentionMask(inputs.attentionMask, B, P + T, op);
    checkIds(inputs.positionIds, B, T, `${op}: positionIds`);
    const positions = inputs.positionIds
      ? inputs.positionIds.data
      : Int32Array.from({ length: T }, (_, i) => P + i);
    const rotary = rotaryTables(
      positions,
      inputs.positionIds ? B : 1,
      T,
      llamaDims(c).headDim,
      c.rope_theta,
      c.ropeScaling,
      c.max_position_embeddings,
    );
    let h = inputs.inputsEmbeds;
    if (!h) {
      h = this.embed_tokens.forward(inputs.inputIds!);
      if (this.invertible_adapters) h = this.invertible_adapters.forward(h);
    }
    const presents: LayerCache[] = [];
    for (const [i, layer] of [...this.layers].entries()) {
      const r = layer.forward(h, {
        rotary,
        attentionMask: inputs.attentionMask,
        past: past?.[i],
        useCache: inputs.useCache,
      });
      h = r.hidden;
      if (r.present) presents.push(r.present);
    }
    const lastHiddenState = this.norm.forward(h);
    return inputs.useCache ? { lastHiddenState, pastKeyValues: presents } : { lastHiddenState };
  }
}

export class LlamaForCausalLM extends PreTrainedModel {
  static override readonly spec: ArchitectureSpec = {
    architecture: 'LlamaForCausalLM',
    modelType: 'llama',
    task: 'causal-lm',
    baseModelPrefix: 'model',
  };
  readonly config: LlamaConfig;
  model: LlamaModel;
  lm_head: Linear;

  constructor(config: Partial<LlamaConfigInput> = {}, options: ModelOptions = {}) {
    super();
    const parsed = parseLlamaConfig(config, options);
    this.config = parsed.config;
    this.configExtras = parsed.extras;
    this.model = new LlamaModel(this.config, { rng: dropoutRng(options), skipInit: true });
    this.lm_head = new Linear(this.config.hidden_size, this.config.vocab_size, {
      bias: false,
      skipInit: true,
    });
    if (this.config.tie_word_embeddings) this.lm_head.weight = this.model.embed_tokens.weight;
    this.initialize(options);
  }

  override tiedWeightKeys(): [string, string][] {
    return this.lm_head.weight === this.model.embed_tokens.weight
      ? [['lm_head.weight', 'model.embed_tokens.weight']]
      : [];
  }

  override ignoredCheckpointKeys(): RegExp[] {
    return LLAMA_IGNORED;
  }

  /** Logits [B, T, vocab]; loss: shifted next-token cross-entropy (-100 ignored). */
  forward(inputs: CausalLMInputs): CausalLMOutput {
    const out = this.model.forward(inputs);
    // An invertible adapter maps the embeddings on the way in, so it is undone before lm_head.
    const inv = this.model.invertible_adapters;
    const last = inv ? inv.forward(out.lastHiddenState, true) : out.lastHiddenState;
    const logits = this.lm_head.forward(last);
    const result: CausalLMOutput = { logits };
    if (inputs.labels) result.loss = causalLmLoss(logits, inputs.labels);
    if (out.pastKeyValues) result.pastKeyValues = out.pastKeyValues;
    return result;
  }
}

/** Llama with `score` (no bias) on the last non-padding token, as LlamaForSequenceClassification. */
export class LlamaForSequenceClassification extends PreTrainedModel {
  static override readonly spec: ArchitectureSpec = {
    architecture: 'LlamaForSequenceClassification',
    modelType: 'llama',
    task: 'sequence-classification',
    baseModelPrefix: 'model',
  };
  readonly config: LlamaConfig;
  model: LlamaModel;
  score: Linear;

  constructor(config: Partial<LlamaConfigInput> = {}, options: ModelOptions = {}) {
    super();
    const parsed = parseLlamaConfig(config, options);
    this.config = parsed.config;
    this.configExtras = parsed.extras;
    this.model = new LlamaModel(this.config, { rng: dropoutRng(options), skipInit: true });
    this.score = new Linear(this.config.hidden_size, this.config.num_labels, {
      bias: false,
      skipInit: true,
    });
    this.initialize(options);
  }

  override ignoredCheckpointKeys(): RegExp[] {
    return [...LLAMA_IGNORED, /^lm_head\.weight$/];
  }

  forward(inputs: SequenceClassificationInputs): SequenceClassifierOutput {
    const { lastHiddenState } = this.model.forward(inputs);
    const logits = lastTokenPool(
      this.score.forward(lastHiddenState),
      inputs.inputIds,
      this.config.pad_token_id,
    );
    const result: SequenceClassifierOutput = { logits };
    if (inputs.labels) {
      result.loss = sequenceClassificationLoss(logits, inputs.labels, this.config.problem_type);
    }
    return result;
  }
}

registerArchitecture(LlamaModel);
registerArchitecture(LlamaForCausalLM);
registerArchitecture(LlamaForSequenceClassification);
