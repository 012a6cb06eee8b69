import {
  add,
  embedding,
  linear,
  packedSelfAttention,
  scaledDotProductAttention,
  ShapeError,
  slice,
  Tensor,
  zeros,
  type Generator,
} from '../../core/index.js';
import {
  Dropout,
  Embedding,
  LayerNorm,
  Linear,
  Module,
  ModuleList,
  Parameter,
} from '../../nn/index.js';
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
import {
  dropoutRng,
  PreTrainedModel,
  type ArchitectureSpec,
  type ModelOptions,
} from '../common/pretrained.js';
import { lastTokenPool } from '../common/pooling.js';
import type { InvertibleEmbeddingAdapter, ResidualAdapter } from '../common/residual.js';
import { registerArchitecture } from '../registry.js';
import { parseGPT2Config, type GPT2Config, type GPT2ConfigInput } from './config.js';

/**
 * GPT-2 as in Radford et al. 2019 and Hugging Face's modeling_gpt2, with the same module and
 * parameter names so checkpoints map one-to-one (transformer.h.0.attn.c_attn.weight, ...).
 */

/** GPT-2's "Conv1D": a linear layer whose weight is stored [in, out] (y = x W + b). */
export class Conv1D extends Module {
  weight: Parameter;
  bias: Parameter;

  constructor(nf: number, nx: number) {
    super();
    this.weight = new Parameter(zeros([nx, nf]));
    this.bias = new Parameter(zeros([nf]));
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias, { weightLayout: 'inOut' });
  }

  override extraRepr(): string {
    return `nf=${this.weight.shape[1]}, nx=${this.weight.shape[0]}`;
  }
}

export interface AttentionCall {
  attentionMask?: Tensor;
  past?: LayerCache;
  useCache?: boolean;
}

export interface AttentionResult {
  hidden: Tensor;
  /** This layer's keys and values including the past, when useCache. */
  present?: LayerCache;
}

export class GPT2Attention extends Module {
  c_attn: Conv1D;
  c_proj: Conv1D;
  attn_dropout: Dropout;
  resid_dropout: Dropout;
  readonly #nHead: number;
  readonly #scale: number;
  readonly #rng: Generator | undefined;

  /** rng draws dropout masks (may be null when every dropout probability is 0). */
  constructor(config: GPT2Config, rng: Generator | null = null, layerIdx = 0) {
    super();
    const d = config.n_embd;
    this.c_attn = new Conv1D(3 * d, d);
    this.c_proj = new Conv1D(d, d);
    this.attn_dropout = new Dropout(config.attn_pdrop, rng ?? undefined);
    this.resid_dropout = new Dropout(config.resid_pdrop, rng ?? undefined);
    this.#nHead = config.n_head;
    const headDim = d / config.n_head;
    this.#scale =
      (config.scale_attn_weights ? 1 / Math.sqrt(headDim) : 1) /
      (config.scale_attn_by_inverse_layer_idx ? layerIdx + 1 : 1);
    this.#rng = rng ?? undefined;
  }

  forward(x: Tensor, call: AttentionCall = {}): AttentionResult {
    const d = x.shape[2];
    const H = this.#nHead;
    const qkv = this.c_attn.forward(x);
    const dropout = this.training && this.attn_dropout.p > 0;
    if (!call.past && !call.useCache && !call.attentionMask && !dropout) {
      // Plain causal self-attention (training, full-sequence scoring): one fused node, no copies
      // of q, k, v beyond head-major order.
      const y = packedSelfAttention(qkv, H, { causal: true, scale: this.#scale });
      return { hidden: this.resid_dropout.forward(this.c_proj.forward(y)) };
    }
    const heads = (i: number): Tensor => splitHeads(slice(qkv, 2, i * d, (i + 1) * d), H, d / H);
    const kv = withPast(heads(1), heads(2), call.past, 'GPT2Attention');
    const y = scaledDotProductAttention(heads(0), kv.key, kv.value, {
      causal: true,
      keyPaddingMask: call.attentionMask,
      scale: this.#scale,
      dropoutP: this.training ? this.attn_dropout.p : 0,
      rng: this.#rng,
      training: this.training,
    });
    const hidden = this.resid_dropout.forward(this.c_proj.forward(mergeHeads(y)));
    return call.useCache ? { hidden, present: kv } : { hidden };
  }
}

export class GPT2MLP extends Module {
  c_fc: Conv1D;
  c_proj: Conv1D;
  dropout: Dropout;
  readonly #act: (x: Tensor) => Tensor;

  constructor(config: GPT2Config, rng: Generator | null = null) {
    super();
    const inner = config.n_inner ?? 4 * config.n_embd;
    this.c_fc = new Conv1D(inner, config.n_embd);
    this.c_proj = new Conv1D(config.n_embd, inner);
    this.dropout = new Dropout(config.resid_pdrop, rng ?? undefined);
    this.#act = hfActivation(config.activation_function);
  }

  forward(x: Tensor): Tensor {
    return this.dropout.forward(this.c_proj.forward(this.#act(this.c_fc.forward(x))));
  }
}

export class GPT2Block extends Module {
  ln_1: LayerNorm;
  attn: GPT2Attention;
  ln_2: LayerNorm;
  mlp: GPT2MLP;
  /** Bottleneck adapters after attention and after the MLP (PEFT), AdapterHub's names. */
  attention_adapters: ResidualAdapter | null = null;
  output_adapters: ResidualAdapter | null = null;

  /** layerIdx matters only with scale_attn_by_inverse_layer_idx. */
  constructor(config: GPT2Config, rng: Generator | null = null, layerIdx = 0) {
    super();
    const eps = config.layer_norm_epsilon;
    this.ln_1 = new LayerNorm(config.n_embd, { eps });
    this.attn = new GPT2Attention(config, rng, layerIdx);
    this.ln_2 = new LayerNorm(config.n_embd, { eps });
    this.mlp = new GPT2MLP(config, rng);
  }

  forward(x: Tensor, call: AttentionCall = {}): AttentionResult {
    const a = this.attn.forward(this.ln_1.forward(x), call);
    const h = this.attention_adapters?.forward(a.hidden, x, null) ?? add(x, a.hidden);
    const m = this.mlp.forward(this.ln_2.forward(h));
    const hidden = this.output_adapters?.forward(m, h, null) ?? add(h, m);
    return a.present ? { hidden, present: a.present } : { hidden };
  }
}

/** Checkpoint keys GPT-2 classes skip: the legacy attention-mask buffers of hub checkpoints. */
export const GPT2_IGNORED = [/(^|\.)attn\.(masked_)?bias$/];

/** GPT-2 scales the residual projections by 1/sqrt(2 n_layer) at init; the rest use the default. */
function gpt2InitStd(c: GPT2Config, name: string): number | undefined {
  return name.endsWith('c_proj.weight')
    ? c.initializer_range / Math.sqrt(2 * c.n_layer)
    : undefined;
}

export class GPT2Model extends PreTrainedModel {
  static override readonly spec: ArchitectureSpec = {
    architecture: 'GPT2Model',
    modelType: 'gpt2',
    task: 'base',
    baseModelPrefix: 'transformer',
  };
  readonly config: GPT2Config;
  wte: Embedding;
  wpe: Embedding;
  drop: Dropout;
  h: ModuleList<GPT2Block>;
  ln_f: LayerNorm;
  /** MAD-X invertible adapters (PEFT), after the embedding dropout as in AdapterHub's GPT-2. */
  invertible_adapters: InvertibleEmbeddingAdapter | null = null;

  constructor(config: Partial<GPT2ConfigInput> = {}, options: ModelOptions = {}) {
    super();
    const parsed = parseGPT2Config(config, options);
    this.config = parsed.config;
    this.configExtras = parsed.extras;
    const c = this.config;
    const rng = dropoutRng(options);
    this.wte = new Embedding(c.vocab_size, c.n_embd, { skipInit: true });
    this.wpe = new Embedding(c.n_positions, c.n_embd, { skipInit: true });
    this.drop = new Dropout(c.embd_pdrop, rng);
    this.h = new ModuleList(Array.from({ length: c.n_layer }, (_, i) => new GPT2Block(c, rng, i)));
    this.ln_f = new LayerNorm(c.n_embd, { eps: c.layer_norm_epsilon });
    this.initialize(options);
  }

  override ignoredCheckpointKeys(): RegExp[] {
    return GPT2_IGNORED;
  }

  protected override initStdFor(name: string): number | undefined {
    return gpt2InitStd(this.config, name);
  }

  /** inputIds int32 [B, T] -> hidden states [B, T, n_embd] (the original positional form). */
  forward(inputIds: Tensor, attentionMask?: Tensor): Tensor;
  forward(inputs: BaseModelInputs): BaseModelOutput;
  forward(inputs: Tensor | BaseModelInputs, attentionMask?: Tensor): Tensor | BaseModelOutput {
    if (inputs instanceof Tensor) {
      return this.run({ inputIds: inputs, attentionMask }).lastHiddenState;
    }
    return this.run(inputs);
  }

  private run(inputs: BaseModelInputs): BaseModelOutput {
    const op = 'GPT2Model';
    const [B, T] = inputShape(inputs, op);
    const c = this.config;
    const past = inputs.pastKeyValues;
    const P = pastLength(past, c.n_layer, op);
    checkAttentionMask(inputs.attentionMask, B, P + T, op);
    checkIds(inputs.tokenTypeIds, B, T, `${op}: tokenTypeIds`);
    checkIds(inputs.positionIds, B, T, `${op}: positionIds`);
    let pos: Tensor;
    if (inputs.positionIds) {
      pos = embedding(this.wpe.weight, inputs.positionIds);
    } else {
      if (P + T > c.n_positions) {
        throw new ShapeError(
          `${op}: positions up to ${P + T} (past ${P} + sequence ${T}) exceed n_positions ${c.n_positions}`,
        );
      }
      pos = slice(this.wpe.weight, 0, P, P + T);
    }
    let h = add(inputs.inputsEmbeds ?? this.wte.forward(inputs.inputIds!), pos);
    // Hugging Face embeds GPT-2's token types with the token embedding itself.
    if (inputs.tokenTypeIds) h = add(h, this.wte.forward(inputs.tokenTypeIds));
    h = this.drop.forward(h);
    if (this.invertible_adapters) h = this.invertible_adapters.forward(h);
    const presents: LayerCache[] = [];
    for (const [i, block] of [...this.h].entries()) {
      const r = block.forward(h, {
        attentionMask: inputs.attentionMask,
        past: past?.[i],
        useCache: inputs.useCache,
      });
      h = r.hidden;
      if (r.present) presents.push(r.present);
    }
    const lastHiddenState = this.ln_f.forward(h);
    return inputs.useCache ? { lastHiddenState, pastKeyValues: presents } : { lastHiddenState };
  }
}

/**
 * What GPT-2's task models share (Hugging Face's GPT2PreTrainedModel with its `transformer`): the
 * parsed config, the body, and GPT-2's init. Subclasses add their head, then call initialize().
 */
export abstract class GPT2Head extends PreTrainedModel {
  readonly config: GPT2Config;
  transformer: GPT2Model;

  constructor(config: Partial<GPT2ConfigInput>, options: ModelOptions) {
    super();
    const parsed = parseGPT2Config(config, options);
    this.config = parsed.config;
    this.configExtras = parsed.extras;
    this.transformer = new GPT2Model(this.config, { rng: dropoutRng(options), skipInit: true });
  }

  protected override initStdFor(name: string): number | undefined {
    return gpt2InitStd(this.config, name);
  }
}

/** GPT-2 with a language-modelling head tied to the token embedding (unless configured not to). */
export class GPT2LMHeadModel extends GPT2Head {
  static override readonly spec: ArchitectureSpec = {
    architecture: 'GPT2LMHeadModel',
    modelType: 'gpt2',
    task: 'causal-lm',
    baseModelPrefix: 'transformer',
  };
  lm_head: Linear;

  constructor(config: Partial<GPT2ConfigInput> = {}, options: ModelOptions = {}) {
    super(config, options);
    this.lm_head = new Linear(this.config.n_embd, this.config.vocab_size, {
      bias: false,
      skipInit: true,
    });
    if (this.config.tie_word_embeddings) this.lm_head.weight = this.transformer.wte.weight;
    this.initialize(options);
  }

  override tiedWeightKeys(): [string, string][] {
    return this.lm_head.weight === this.transformer.wte.weight
      ? [['lm_head.weight', 'transformer.wte.weight']]
      : [];
  }

  override ignoredCheckpointKeys(): RegExp[] {
    return GPT2_IGNORED;
  }

  /**
   * Logits [B, T, vocab]; with labels [B, T] also the mean next-token cross-entropy (labels are
   * shifted inside, as Hugging Face does; -100 labels are ignored). With useCache the keys and
   * values of every layer come back as pastKeyValues for the next call.
   */
  forward(inputs: CausalLMInputs): CausalLMOutput {
    const out = this.transformer.forward(inputs);
    // An invertible adapter maps the embeddings on the way in, so it is undone before lm_head.
    const inv = this.transformer.invertible_adapters;
    const last = inv ? inv.forward(out.lastHiddenState, true) : out.lastHiddenState;
    const logits = this.lm_head.forward(last);
    const result: CausalLMOutput = { logits };
    if (inputs.labels) result.loss = causalLmLoss(logits, inputs.labels);
    if (out.pastKeyValues) result.pastKeyValues = out.pastKeyValues;
    return result;
  }
}

/**
 * GPT-2 with a classification head on the last non-padding token (Hugging Face's
 * GPT2ForSequenceClassification: `score`, no bias; padding found through pad_token_id).
 */
export class GPT2ForSequenceClassification extends GPT2Head {
  static override readonly spec: ArchitectureSpec = {
    architecture: 'GPT2ForSequenceClassification',
    modelType: 'gpt2',
    task: 'sequence-classification',
    baseModelPrefix: 'transformer',
  };
  score: Linear;

  constructor(config: Partial<GPT2ConfigInput> = {}, options: ModelOptions = {}) {
    super(config, options);
    this.score = new Linear(this.config.n_embd, this.config.num_labels, {
      bias: false,
      skipInit: true,
    });
    this.initialize(options);
  }

  override ignoredCheckpointKeys(): RegExp[] {
    return [...GPT2_IGNORED, /^lm_head\.weight$/];
  }

  forward(inputs: SequenceClassificationInputs): SequenceClassifierOutput {
    const { lastHiddenState } = this.transformer.forward(inputs);
    const tokenLogits = this.score.forward(lastHiddenState);
    const logits = lastTokenPool(tokenLogits, inputs.inputIds, this.config.pad_token_id);
    const result: SequenceClassifierOutput = { logits };
    if (inputs.labels) {
      result.loss = sequenceClassificationLoss(logits, inputs.labels, this.config.problem_type);
    }
    return result;
  }
}

registerArchitecture(GPT2Model);
registerArchitecture(GPT2LMHeadModel);
registerArchitecture(GPT2ForSequenceClassification);
