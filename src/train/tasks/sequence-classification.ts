/**
 * Sequence classification: tokenized texts (one or a pair) with a class id (or a float target
 * for regression). The collator pads to the longest example (Hugging Face's
 * DataCollatorWithPadding); classificationMetrics reports accuracy and macro-F1 from the logits.
 */
import { Tensor, ValueError } from '../../core/index.js';
import type { ClassificationDataset } from '../../data/index.js';
import type { PreTrainedTokenizer } from '../../text/index.js';
import type { Batch, DataCollator } from '../data.js';
import { accuracy, argmaxLast, macroF1 } from '../metrics.js';
import type { EvalPrediction } from '../types.js';
import { padRows, padTokenRows, type PaddingOptions } from './padding.js';

export interface SequenceClassificationExample {
  inputIds: ArrayLike<number>;
  attentionMask?: ArrayLike<number>;
  tokenTypeIds?: ArrayLike<number>;
  /** A class id, or a float target when regression. */
  label: number;
}

export interface ClassificationCollatorOptions extends PaddingOptions {
  padTokenId?: number | null;
  /** Float labels (num_labels 1, MSE) instead of int32 class ids. */
  regression?: boolean;
}

/** A collator giving { inputIds, attentionMask, tokenTypeIds?, labels }. */
export function sequenceClassificationCollator(
  options: ClassificationCollatorOptions = {},
): DataCollator<SequenceClassificationExample> {
  const pad = options.padTokenId ?? 0;
  return (examples: SequenceClassificationExample[]): Batch => {
    const { inputIds, attentionMask, L } = padTokenRows(
      'sequenceClassificationCollator',
      examples,
      pad,
      options,
    );
    const batch: Batch = { inputIds, attentionMask };
    if (examples.every((e) => e.tokenTypeIds !== undefined)) {
      batch.tokenTypeIds = padRows(
        examples.map((e) => e.tokenTypeIds!),
        L,
        0,
      );
    }
    const labels = examples.map((e, i) => {
      if (typeof e.label !== 'number' || !Number.isFinite(e.label)) {
        throw new ValueError(`sequenceClassificationCollator: example ${i} has label ${e.label}`);
      }
      if (!options.regression && !Number.isInteger(e.label)) {
        throw new ValueError(
          `sequenceClassificationCollator: example ${i} has label ${e.label}, not a class id (set regression for float targets)`,
        );
      }
      return e.label;
    });
    batch.labels = new Tensor(
      options.regression ? Float32Array.from(labels) : Int32Array.from(labels),
      [labels.length],
    );
    return batch;
  };
}

/** Tokenize a classification dataset (src/data) with truncation to maxLength, no padding. */
export function tokenizeClassification(
  tok: PreTrainedTokenizer,
  dataset: ClassificationDataset,
  options: { maxLength?: number } = {},
): SequenceClassificationExample[] {
  const pairs = dataset.examples.some((e) => e.texts.length > 1);
  const enc = tok(
    dataset.examples.map((e) => e.texts[0]!),
    {
      textPair: pairs ? dataset.examples.map((e) => e.texts[1] ?? '') : undefined,
      truncation: options.maxLength !== undefined,
      maxLength: options.maxLength,
    },
  );
  return dataset.examples.map((e, i) => ({
    inputIds: enc.inputIds[i]!,
    attentionMask: enc.attentionMask[i]!,
    tokenTypeIds: enc.tokenTypeIds[i]!,
    label: e.label,
  }));
}

/** computeMetrics for classification: accuracy and macro-F1 of the argmax of the logits. */
export function classificationMetrics(p: EvalPrediction): Record<string, number> {
  if (!p.labelIds) throw new ValueError('classificationMetrics: the evaluation has no labels');
  const preds = argmaxLast(p.predictions);
  const labels = p.labelIds.data;
  return { accuracy: accuracy(preds, labels), macro_f1: macroF1(preds, labels) };
}
