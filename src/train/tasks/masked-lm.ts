/**
 * Masked language modelling (BERT's pretraining objective), as Hugging Face's
 * DataCollatorForLanguageModeling does it: each non-special, non-padding token is selected with
 * probability mlmProbability; a selected token becomes [MASK] 80% of the time, a random token 10%
 * and stays itself 10%; labels hold the original ids at selected positions and -100 elsewhere.
 * The masks are drawn from the collator's own generator, so a seeded run masks the same tokens.
 */
import { Tensor, ValueError, type Generator } from '../../core/index.js';
import type { Batch, DataCollator } from '../data.js';
import type { CausalLmExample } from './causal-lm.js';
import { padTokenRows, type PaddingOptions } from './padding.js';

export interface MaskedLmCollatorOptions extends PaddingOptions {
  maskTokenId: number;
  /** Random replacements are drawn from 0..vocabSize-1. */
  vocabSize: number;
  rng: Generator;
  padTokenId?: number | null;
  /** Ids never selected ([CLS], [SEP], ...); padding is never selected either. */
  specialTokenIds?: readonly number[];
  /** Default 0.15. */
  mlmProbability?: number;
}

/** A collator giving { inputIds, attentionMask, labels } with BERT's masking. */
export function maskedLmCollator(o: MaskedLmCollatorOptions): DataCollator<CausalLmExample> {
  const p = o.mlmProbability ?? 0.15;
  if (!(p > 0 && p < 1))
    throw new ValueError(`maskedLmCollator: mlmProbability must be in (0, 1), got ${p}`);
  if (!Number.isInteger(o.vocabSize) || o.vocabSize < 1 || o.maskTokenId >= o.vocabSize)
    throw new ValueError(
      `maskedLmCollator: maskTokenId ${o.maskTokenId} must be below vocabSize ${o.vocabSize}`,
    );
  const special = new Set(o.specialTokenIds ?? []);
  const pad = o.padTokenId ?? 0;
  return (examples: CausalLmExample[]): Batch => {
    const { inputIds, attentionMask, L } = padTokenRows('maskedLmCollator', examples, pad, o);
    const lab = new Int32Array(inputIds.size).fill(-100);
    const ids = inputIds.data as Int32Array;
    for (let i = 0; i < ids.length; i++) {
      if (attentionMask.data[i] === 0 || special.has(ids[i]!) || o.rng.uniform() >= p) continue;
      lab[i] = ids[i]!;
      const r = o.rng.uniform();
      if (r < 0.8) ids[i] = o.maskTokenId;
      else if (r < 0.9) ids[i] = o.rng.int(o.vocabSize);
    }
    return { inputIds, attentionMask, labels: new Tensor(lab, [examples.length, L]) };
  };
}
