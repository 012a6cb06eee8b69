import { zeros, type Generator, type Tensor } from '../../core/index.js';
import { Dropout, LayerNorm, Linear, Module, Parameter } from '../../nn/index.js';
import { hfActivation } from '../common/activations.js';
import {
  questionAnsweringOutput,
  sequenceClassificationLoss,
  tokenLoss,
} from '../common/losses.js';
import type {
  MaskedLMInputs,
  MaskedLMOutput,
  QuestionAnsweringInputs,
  QuestionAnsweringOutput,
  SequenceClassificationInputs,
  SequenceClassifierOutput,
  TokenClassificationInputs,
  TokenClassifierOutput,
} from '../common/outputs.js';
import {
  dropoutRng,
  PreTrainedModel,
  type ArchitectureSpec,
  type ModelOptions,
} from '../common/pretrained.js';
import type { InvertibleEmbeddingAdapter } from '../common/residual.js';
import { registerArchitecture } from '../registry.js';
import { parseBertConfig, type BertConfig, type BertConfigInput } from './config.js';
import { BERT_IGNORED, BertModel } from './model.js';

/** The BERT heads of Hugging Face's modeling_bert, with its names (cls.predictions.*, ...). */

/** Base-model weights of heads built without a pooler: a full BERT checkpoint has them. */
const NO_POOLER_IGNORED = [...BERT_IGNORED, /^bert\.pooler\./];

abstract class BertHead extends PreTrainedModel {
  readonly config: BertConfig;
  bert: BertModel;

  constructor(config: Partial<BertConfigInput>, options: ModelOptions, addPoolingLayer: boolean) {
    super();
    const parsed = parseBertConfig(config, options);
    this.config = parsed.config;
    this.configExtras = parsed.extras;
    this.bert = new BertModel(this.config, {
      rng: dropoutRng(options),
      skipInit: true,
      addPoolingLayer,
    });
  }

  /** The classifier's dropout: classifier_dropout, else hidden_dropout_prob. */
  protected classifierDropout(rng: Generator): Dropout {
    return new Dropout(this.config.classifier_dropout ?? this.config.hidden_dropout_prob, rng);
  }
}

export class BertPredictionHeadTransform extends Module {
  dense: Linear;
  LayerNorm: LayerNorm;
  readonly #act: (x: Tensor) => Tensor;

  constructor(config: BertConfig) {
    super();
    this.dense = new Linear(config.hidden_size, config.hidden_size, { skipInit: true });
    this.LayerNorm = new LayerNorm(config.hidden_size, { eps: config.layer_norm_eps });
    this.#act = hfActivation(config.hidden_act);
  }

  forward(x: Tensor): Tensor {
    return this.LayerNorm.forward(this.#act(this.dense.forward(x)));
  }
}

/** transform -> decoder (weight tied to the word embeddings, bias = this.bias). */
export class BertLMPredictionHead extends Module {
  bias: Parameter;
  transform: BertPredictionHeadTransform;
  decoder: Linear;

  constructor(config: BertConfig) {
    super();
    this.bias = new Parameter(zeros([config.vocab_size]));
    this.transform = new BertPredictionHeadTransform(config);
    this.decoder = new Linear(config.hidden_size, config.vocab_size, {
      bias: false,
      skipInit: true,
    });
    this.decoder.bias = this.bias;
  }

  /** inv: an invertible adapter on the embeddings, undone between transform and decoder. */
  forward(x: Tensor, inv: InvertibleEmbeddingAdapter | null = null): Tensor {
    const h = this.transform.forward(x);
    return this.decoder.forward(inv ? inv.forward(h, true) : h);
  }
}

export class BertOnlyMLMHead extends Module {
  predictions: BertLMPredictionHead;

  constructor(config: BertConfig) {
    super();
    this.predictions = new BertLMPredictionHead(config);
  }

  forward(x: Tensor, inv: InvertibleEmbeddingAdapter | null = null): Tensor {
    return this.predictions.forward(x, inv);
  }
}

export class BertForMaskedLM extends BertHead {
  static override readonly spec: ArchitectureSpec = {
    architecture: 'BertForMaskedLM',
    modelType: 'bert',
    task: 'masked-lm',
    baseModelPrefix: 'bert',
  };
  cls: BertOnlyMLMHead;

  constructor(config: Partial<BertConfigInput> = {}, options: ModelOptions = {}) {
    super(config, options, false);
    this.cls = new BertOnlyMLMHead(this.config);
    if (this.config.tie_word_embeddings) {
      this.cls.predictions.decoder.weight = this.bert.embeddings.word_embeddings.weight;
    }
    this.initialize(options);
  }

  override tiedWeightKeys(): [string, string][] {
    const pairs: [string, string][] = [['cls.predictions.decoder.bias', 'cls.predictions.bias']];
    if (this.cls.predictions.decoder.weight === this.bert.embeddings.word_embeddings.weight) {
      pairs.unshift(['cls.predictions.decoder.weight', 'bert.embeddings.word_embeddings.weight']);
    }
    return pairs;
  }

  override ignoredCheckpointKeys(): RegExp[] {
    return NO_POOLER_IGNORED;
  }

  /** Logits [B, T, vocab]; loss: cross-entropy at labelled positions (-100 elsewhere). */
  forward(inputs: MaskedLMInputs): MaskedLMOutput {
    const { lastHiddenState } = this.bert.forward(inputs);
    // An invertible adapter maps the embeddings on the way in, so it is undone before the tied
    // decoder (after the transform, where AdapterHub's pre-hook on the output embeddings sits).
    const logits = this.cls.forward(lastHiddenState, this.bert.invertible_adapters);
    return inputs.labels
      ? { logits, loss: tokenLoss(logits, inputs.labels, 'BertForMaskedLM') }
      : { logits };
  }
}

export class BertForSequenceClassification extends BertHead {
  static override readonly spec: ArchitectureSpec = {
    architecture: 'BertForSequenceClassification',
    modelType: 'bert',
    task: 'sequence-classification',
    baseModelPrefix: 'bert',
  };
  dropout: Dropout;
  classifier: Linear;

  constructor(config: Partial<BertConfigInput> = {}, options: ModelOptions = {}) {
    super(config, options, true);
    this.dropout = this.classifierDropout(dropoutRng(options));
    this.classifier = new Linear(this.config.hidden_size, this.config.num_labels, {
      skipInit: true,
    });
    this.initialize(options);
  }

  override ignoredCheckpointKeys(): RegExp[] {
    return BERT_IGNORED;
  }

  /**
   * Logits [B, num_labels] from the pooled [CLS] state; loss by problem_type (regression when
   * num_labels is 1, cross-entropy for int labels, BCE with logits for multi-label floats).
   */
  forward(inputs: SequenceClassificationInputs): SequenceClassifierOutput {
    const { poolerOutput } = this.bert.forward(inputs);
    const logits = this.classifier.forward(this.dropout.forward(poolerOutput!));
    return inputs.labels
      ? {
          logits,
          loss: sequenceClassificationLoss(logits, inputs.labels, this.config.problem_type),
        }
      : { logits };
  }
}

export class BertForTokenClassification extends BertHead {
  static override readonly spec: ArchitectureSpec = {
    architecture: 'BertForTokenClassification',
    modelType: 'bert',
    task: 'token-classification',
    baseModelPrefix: 'bert',
  };
  dropout: Dropout;
  classifier: Linear;

  constructor(config: Partial<BertConfigInput> = {}, options: ModelOptions = {}) {
    super(config, options, false);
    this.dropout = this.classifierDropout(dropoutRng(options));
    this.classifier = new Linear(this.config.hidden_size, this.config.num_labels, {
      skipInit: true,
    });
    this.initialize(options);
  }

  override ignoredCheckpointKeys(): RegExp[] {
    return NO_POOLER_IGNORED;
  }

  /** Logits [B, T, num_labels]; loss: cross-entropy over labels that are not -100. */
  forward(inputs: TokenClassificationInputs): TokenClassifierOutput {
    const { lastHiddenState } = this.bert.forward(inputs);
    const logits = this.classifier.forward(this.dropout.forward(lastHiddenState));
    return inputs.labels
      ? { logits, loss: tokenLoss(logits, inputs.labels, 'BertForTokenClassification') }
      : { logits };
  }
}

export class BertForQuestionAnswering extends BertHead {
  static override readonly spec: ArchitectureSpec = {
    architecture: 'BertForQuestionAnswering',
    modelType: 'bert',
    task: 'question-answering',
    baseModelPrefix: 'bert',
  };
  qa_outputs: Linear;

  constructor(config: Partial<BertConfigInput> = {}, options: ModelOptions = {}) {
    super(config, options, false);
    this.qa_outputs = new Linear(this.config.hidden_size, 2, { skipInit: true });
    this.initialize(options);
  }

  override ignoredCheckpointKeys(): RegExp[] {
    return NO_POOLER_IGNORED;
  }

  /** Span start and end logits [B, T]; loss from startPositions/endPositions when given. */
  forward(inputs: QuestionAnsweringInputs): QuestionAnsweringOutput {
    const { lastHiddenState } = this.bert.forward(inputs);
    return questionAnsweringOutput(this.qa_outputs.forward(lastHiddenState), inputs);
  }
}

registerArchitecture(BertForMaskedLM);
registerArchitecture(BertForSequenceClassification);
registerArchitecture(BertForTokenClassification);
registerArchitecture(BertForQuestionAnswering);
