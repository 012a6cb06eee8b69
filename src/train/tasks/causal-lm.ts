/**
 * Causal language modelling: examples are token id sequences; the collator pads them on the
 * right and sets labels = inputIds with -100 at padding (the model shifts labels itself, as
 * Hugging Face's causal LM heads do). Padding is recognised by the attention mask, not by the
 * pad token id, so an eos token that doubles as padding is still learned where it is real.
 */
import { ValueError } from '../../core/index.js';
import type { Batch, DataCollator } from '../data.js';
import { perplexity } from '../metrics.js';
import type { EvalPrediction } from '../types.js';
import { padRows, padTokenRows, type PaddingOptions } from './padding.js';

export interface CausalLmExample {
  inputIds: ArrayLike<number>;
  /** 1 = real token, 0 = padding already in the example; default all 1. */
  attentionMask?: ArrayLike<number>;
}

export interface CausalLmCollatorOptions extends PaddingOptions {
  /** The id written at padded positions (never scored); default 0. */
  padTokenId?: number | null;
  /** The label of positions that are not scored (default -100). */
  ignoreIndex?: number;
}

/** A collator giving { inputIds, attentionMask, labels } for causal LM training. */
export function causalLmCollator(
  options: CausalLmCollatorOptions = {},
): DataCollator<CausalLmExample> {
  const pad = options.padTokenId ?? 0;
  const ignore = options.ignoreIndex ?? -100;
  return (examples: CausalLmExample[]): Batch => {
    const { inputIds, attentionMask, L } = padTokenRows('causalLmCollator', examples, pad, options);
    const labels = padRows(
      examples.map((e) => e.inputIds),
      L,
      ignore,
    );
    for (let i = 0; i < labels.size; i++) if (attentionMask.data[i] === 0) labels.data[i] = ignore;
    return { inputIds, attentionMask, labels };
  };
}

/** Fixed-length blocks (src/data's groupTexts) as causal LM examples. */
export function lmExamples(blocks: readonly ArrayLike<number>[]): CausalLmExample[] {
  return blocks.map((inputIds) => ({ inputIds }));
}

/** computeMetrics for causal LM evaluation: token-weighted perplexity over non-padding labels. */
export function causalLmMetrics(p: EvalPrediction): Record<string, number> {
  if (!p.labelIds) throw new ValueError('causalLmMetrics: the evaluation batches have no labels');
  return { perplexity: perplexity(p.predictions, p.labelIds) };
}
