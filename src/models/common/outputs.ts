import type { Tensor } from '../../core/index.js';

/**
 * Inputs and outputs of the model families, with Hugging Face's argument names in camelCase
 * (input_ids -> inputIds, past_key_values -> pastKeyValues, ...).
 */

/** One layer's cached keys and values, [batch, kv heads, past length, head dim], after RoPE. */
export interface LayerCache {
  key: Tensor;
  value: Tensor;
}

/** A KV cache: one entry per layer (Hugging Face's legacy tuple-of-tuples cache format). */
export type PastKeyValues = LayerCache[];

export interface ModelInputs {
  /** int32 [batch, seq]. Either this or inputsEmbeds. */
  inputIds?: Tensor;
  /** [batch, seq, hidden] embeddings to use instead of looking up inputIds (prompt tuning). */
  inputsEmbeds?: Tensor;
  /** [batch, past + seq], 1 = attend, 0 = padding (int32 or float). */
  attentionMask?: Tensor;
  /** int32 [batch, seq]; default past, past + 1, ... */
  positionIds?: Tensor;
}

export interface BaseModelInputs extends ModelInputs {
  tokenTypeIds?: Tensor;
  pastKeyValues?: PastKeyValues;
  useCache?: boolean;
}

export interface BaseModelOutput {
  /** [batch, seq, hidden] after the final norm. */
  lastHiddenState: Tensor;
  /** BERT's pooler (tanh(dense(first token))), when the model has one. */
  poolerOutput?: Tensor;
  /** The cache extended by this call's keys and values, when useCache. */
  pastKeyValues?: PastKeyValues;
}

export interface CausalLMInputs extends BaseModelInputs {
  /** int32 [batch, seq]; shifted inside (position t predicts t + 1); -100 is ignored. */
  labels?: Tensor;
}

export interface CausalLMOutput {
  /** [batch, seq, vocab] */
  logits: Tensor;
  /** Mean next-token cross-entropy over labels that are not -100. */
  loss?: Tensor;
  pastKeyValues?: PastKeyValues;
}

export interface MaskedLMInputs extends ModelInputs {
  tokenTypeIds?: Tensor;
  /** int32 [batch, seq]; -100 (positions that were not masked) is ignored. */
  labels?: Tensor;
}

export interface MaskedLMOutput {
  logits: Tensor;
  loss?: Tensor;
}

export interface SequenceClassificationInputs extends ModelInputs {
  tokenTypeIds?: Tensor;
  /**
   * [batch] int32 class ids (cross-entropy), [batch] float targets when num_labels is 1
   * (regression, MSE), or [batch, num_labels] float 0/1 (multi-label, BCE with logits).
   */
  labels?: Tensor;
}

export interface SequenceClassifierOutput {
  /** [batch, num_labels] */
  logits: Tensor;
  loss?: Tensor;
}

export interface TokenClassificationInputs extends ModelInputs {
  tokenTypeIds?: Tensor;
  /** int32 [batch, seq]; -100 is ignored. */
  labels?: Tensor;
}

export interface TokenClassifierOutput {
  /** [batch, seq, num_labels] */
  logits: Tensor;
  loss?: Tensor;
}

export interface QuestionAnsweringInputs extends ModelInputs {
  tokenTypeIds?: Tensor;
  /** int32 [batch]; positions outside [0, seq) are clamped to seq and ignored, as in HF. */
  startPositions?: Tensor;
  endPositions?: Tensor;
}

export interface QuestionAnsweringOutput {
  /** [batch, seq, 2]: start and end logits side by side (qa_outputs' raw output). */
  logits: Tensor;
  /** [batch, seq] */
  startLogits: Tensor;
  /** [batch, seq] */
  endLogits: Tensor;
  /** (start cross-entropy + end cross-entropy) / 2 */
  loss?: Tensor;
}
