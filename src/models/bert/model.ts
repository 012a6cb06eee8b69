import {
  add,
  embedding,
  scaledDotProductAttention,
  ShapeError,
  slice,
  tanh,
  type Generator,
  type Tensor,
} from '../../core/index.js';
import { Dropout, Embedding, LayerNorm, Linear, Module, ModuleList } from '../../nn/index.js';
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
import type { BaseModelOutput, LayerCache, ModelInputs, PastKeyValues } from '../common/outputs.js';
import {
  dropoutRng,
  PreTrainedModel,
  type ArchitectureSpec,
  type ModelOptions,
} from '../common/pretrained.js';
import type { InvertibleEmbeddingAdapter, ResidualAdapter } from '../common/residual.js';
import { registerArchitecture } from '../registry.js';
import { parseBertConfig, type BertConfig, type BertConfigInput } from './config.js';

/**
 * BERT (Devlin et al. 2019) as Hugging Face's modeling_bert: post-LayerNorm encoder layers with
 * the same module and parameter names (bert.encoder.layer.0.attention.self.query.weight, ...).
 */

export interface BertInputs extends ModelInputs {
  /** int32 [batch, seq] segment ids (0 for the first segment, 1 for the second); default 0. */
  tokenTypeIds?: Tensor;
  /**
   * Keys/values prepended in every layer (prefix tuning, as Hugging Face's past_key_values for
   * BERT): positions start after them and attentionMask covers [batch, past + seq].
   */
  pastKeyValues?: PastKeyValues;
}

export class BertEmbeddings extends Module {
  word_embeddings: Embedding;
  position_embeddings: Embedding;
  token_type_embeddings: Embedding;
  LayerNorm: LayerNorm;
  dropout: Dropout;

  constructor(config: BertConfig, rng: Generator) {
    super();
    const d = config.hidden_size;
    const pad = config.pad_token_id;
    const paddingIdx = pad !== null && pad >= 0 && pad < config.vocab_size ? pad : undefined;
    this.word_embeddings = new Embedding(config.vocab_size, d, { skipInit: true, paddingIdx });
    this.position_embeddings = new Embedding(config.max_position_embeddings, d, { skipInit: true });
    this.token_type_embeddings = new Embedding(config.type_vocab_size, d, { skipInit: true });
    this.LayerNorm = new LayerNorm(d, { eps: config.layer_norm_eps });
    this.dropout = new Dropout(config.hidden_dropout_prob, rng);
  }

  /** past: positions start there (Hugging Face's past_key_values_length). */
  forward(inputs: BertInputs, past = 0): Tensor {
    const [B, T] = inputShape(inputs, 'BertEmbeddings');
    const maxPos = this.position_embeddings.numEmbeddings;
    checkIds(inputs.tokenTypeIds, B, T, 'BertEmbeddings: tokenTypeIds');
    checkIds(inputs.positionIds, B, T, 'BertEmbeddings: positionIds');
    if (!inputs.positionIds && past + T > maxPos) {
      throw new ShapeError(
        `BertEmbeddings: sequence length ${T}${past ? ` after ${past} past positions` : ''} exceeds max_position_embeddings ${maxPos}`,
      );
    }
    const words = inputs.inputsEmbeds ?? this.word_embeddings.forward(inputs.inputIds!);
    // Absent token types are all 0: row 0 of the table, broadcast over batch and positions.
    const types = inputs.tokenTypeIds
      ? this.token_type_embeddings.forward(inputs.tokenTypeIds)
      : slice(this.token_type_embeddings.weight, 0, 0, 1);
    const positions = inputs.positionIds
      ? embedding(this.position_embeddings.weight, inputs.positionIds)
      : slice(this.position_embeddings.weight, 0, past, past + T);
    return this.dropout.forward(this.LayerNorm.forward(add(add(words, types), positions)));
  }
}

export class BertSelfAttention extends Module {
  query: Linear;
  key: Linear;
  value: Linear;
  dropout: Dropout;
  readonly #heads: number;
  readonly #rng: Generator;

  constructor(config: BertConfig, rng: Generator) {
    super();
    const d = config.hidden_size;
    this.query = new Linear(d, d, { skipInit: true });
    this.key = new Linear(d, d, { skipInit: true });
    this.value = new Linear(d, d, { skipInit: true });
    this.dropout = new Dropout(config.attention_probs_dropout_prob, rng);
    this.#heads = config.num_attention_heads;
    this.#rng = rng;
  }

  forward(x: Tensor, attentionMask?: Tensor, past?: LayerCache): Tensor {
    const H = this.#heads;
    const D = x.shape[2] / H;
    const kv = withPast(
      splitHeads(this.key.forward(x), H, D),
      splitHeads(this.value.forward(x), H, D),
      past,
      'BertSelfAttention',
    );
    const y = scaledDotProductAttention(splitHeads(this.query.forward(x), H, D), kv.key, kv.value, {
      keyPaddingMask: attentionMask,
      dropoutP: this.training ? this.dropout.p : 0,
      rng: this.#rng,
      training: this.training,
    });
    return mergeHeads(y);
  }
}

/** dense -> dropout -> LayerNorm(x + residual): BertSelfOutput and BertOutput. */
class DenseResidualNorm extends Module {
  dense: Linear;
  LayerNorm: LayerNorm;
  dropout: Dropout;
  /** Bottleneck adapters (PEFT) at this residual connection, as AdapterHub names them. */
  adapters: ResidualAdapter | null = null;

  constructor(inFeatures: number, config: BertConfig, rng: Generator) {
    super();
    this.dense = new Linear(inFeatures, config.hidden_size, { skipInit: true });
    this.LayerNorm = new LayerNorm(config.hidden_size, { eps: config.layer_norm_eps });
    this.dropout = new Dropout(config.hidden_dropout_prob, rng);
  }

  forward(hidden: Tensor, residual: Tensor): Tensor {
    const h = this.dropout.forward(this.dense.forward(hidden));
    return (
      this.adapters?.forward(h, residual, this.LayerNorm) ??
      this.LayerNorm.forward(add(h, residual))
    );
  }
}

export class BertSelfOutput extends DenseResidualNorm {
  constructor(config: BertConfig, rng: Generator) {
    super(config.hidden_size, config, rng);
  }
}

export class BertOutput extends DenseResidualNorm {
  constructor(config: BertConfig, rng: Generator) {
    super(config.intermediate_size, config, rng);
  }
}

export class BertAttention extends Module {
  self: BertSelfAttention;
  output: BertSelfOutput;

  constructor(config: BertConfig, rng: Generator) {
    super();
    this.self = new BertSelfAttention(config, rng);
    this.output = new BertSelfOutput(config, rng);
  }

  forward(x: Tensor, attentionMask?: Tensor, past?: LayerCache): Tensor {
    return this.output.forward(this.self.forward(x, attentionMask, past), x);
  }
}

export class BertIntermediate extends Module {
  dense: Linear;
  readonly #act: (x: Tensor) => Tensor;

  constructor(config: BertConfig) {
    super();
    this.dense = new Linear(config.hidden_size, config.intermediate_size, { skipInit: true });
    this.#act = hfActivation(config.hidden_act);
  }

  forward(x: Tensor): Tensor {
    return this.#act(this.dense.forward(x));
  }
}

export class BertLayer extends Module {
  attention: BertAttention;
  intermediate: BertIntermediate;
  output: BertOutput;

  constructor(config: BertConfig, rng: Generator) {
    super();
    this.attention = new BertAttention(config, rng);
    this.intermediate = new BertIntermediate(config);
    this.output = new BertOutput(config, rng);
  }

  forward(x: Tensor, attentionMask?: Tensor, past?: LayerCache): Tensor {
    const a = this.attention.forward(x, attentionMask, past);
    return this.output.forward(this.intermediate.forward(a), a);
  }
}

export class BertEncoder extends Module {
  layer: ModuleList<BertLayer>;

  constructor(config: BertConfig, rng: Generator) {
    super();
    this.layer = new ModuleList(
      Array.from({ length: config.num_hidden_layers }, () => new BertLayer(config, rng)),
    );
  }

  forward(x: Tensor, attentionMask?: Tensor, past?: PastKeyValues): Tensor {
    let h = x;
    for (const [i, layer] of [...this.layer].entries()) {
      h = layer.forward(h, attentionMask, past?.[i]);
    }
    return h;
  }
}

/** tanh(dense(hidden state of the first token, [CLS])). */
export class BertPooler extends Module {
  dense: Linear;

  constructor(config: BertConfig) {
    super();
    this.dense = new Linear(config.hidden_size, config.hidden_size, { skipInit: true });
  }

  forward(hidden: Tensor): Tensor {
    const [B, , d] = hidden.shape;
    const first = slice(hidden, 1, 0, 1).reshape([B, d]);
    return tanh(this.dense.forward(first));
  }
}

export interface BertModelOptions extends ModelOptions {
  /** Whether BertModel has its pooler (default true; the MLM, token and QA heads have none). */
  addPoolingLayer?: boolean;
}

/** Buffers (embeddings.position_ids, token_type_ids) that some BERT checkpoints carry. */
export const BERT_IGNORED = [/(^|\.)embeddings\.(position_ids|token_type_ids)$/];

export class BertModel extends PreTrainedModel {
  static override readonly spec: ArchitectureSpec = {
    architecture: 'BertModel',
    modelType: 'bert',
    task: 'base',
    baseModelPrefix: 'bert',
  };
  readonly config: BertConfig;
  embeddings: BertEmbeddings;
  encoder: BertEncoder;
  pooler: BertPooler | null;
  /** MAD-X invertible adapters (PEFT), on the embeddings' output as AdapterHub's BERT. */
  invertible_adapters: InvertibleEmbeddingAdapter | null = null;

  constructor(config: Partial<BertConfigInput> = {}, options: BertModelOptions = {}) {
    super();
    const parsed = parseBertConfig(config, options);
    this.config = parsed.config;
    this.configExtras = parsed.extras;
    const rng = dropoutRng(options);
    this.embeddings = new BertEmbeddings(this.config, rng);
    this.encoder = new BertEncoder(this.config, rng);
    this.pooler = options.addPoolingLayer === false ? null : new BertPooler(this.config);
    this.initialize(options);
  }

  override ignoredCheckpointKeys(): RegExp[] {
    return BERT_IGNORED;
  }

  /** lastHiddenState [B, T, hidden] and, with the pooler, poolerOutput [B, hidden]. */
  forward(inputs: BertInputs): BaseModelOutput {
    const [B, T] = inputShape(inputs, 'BertModel');
    const past = inputs.pastKeyValues;
    const P = pastLength(past, this.config.num_hidden_layers, 'BertModel');
    checkAttentionMask(inputs.attentionMask, B, P + T, 'BertModel');
    let embedded = this.embeddings.forward(inputs, P);
    if (this.invertible_adapters) embedded = this.invertible_adapters.forward(embedded);
    const lastHiddenState = this.encoder.forward(embedded, inputs.attentionMask, past);
    return this.pooler
      ? { lastHiddenState, poolerOutput: this.pooler.forward(lastHiddenState) }
      : { lastHiddenState };
  }
}

registerArchitecture(BertModel);
