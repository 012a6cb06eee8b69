/**
 * The batch call `tokenizer(texts, options)`: truncation with stride into overflowing windows,
 * padding, and the arrays transformers returns (input_ids, attention_mask, token_type_ids,
 * offset_mapping, overflow_to_sample_mapping), plus per-window sequence and word ids.
 */
import { cloneEncoding, type Encoding, padEncoding } from './encoding.js';
import { TokenizerError } from './errors.js';
import type { PreTrainedTokenizer } from './pretrained.js';
import type { TruncationStrategy } from './tokenizer.js';

export interface CallOptions {
  /** Second sequences, one per text (question + context: texts are questions). */
  textPair?: string | string[];
  addSpecialTokens?: boolean;
  /** true = 'longest_first'. Needs maxLength (or the model's model_max_length). */
  truncation?: boolean | TruncationStrategy;
  maxLength?: number;
  /** Tokens shared by consecutive overflowing windows (HF's doc stride). */
  stride?: number;
  /** Return every window, not just the first; adds overflowToSampleMapping. */
  returnOverflowingTokens?: boolean;
  /** true or 'longest': to the longest in the batch; 'max_length': to maxLength. */
  padding?: boolean | 'longest' | 'max_length';
  returnOffsetsMapping?: boolean;
}

export interface BatchEncoding {
  inputIds: number[][];
  attentionMask: number[][];
  tokenTypeIds: number[][];
  specialTokensMask: number[][];
  /** Present when returnOffsetsMapping: [start, end) per token, [0, 0] for special/padding. */
  offsetMapping?: [number, number][][];
  /** Present when returnOverflowingTokens: the input index each window came from. */
  overflowToSampleMapping?: number[];
  /** 0/1 per token for the first/second sequence, null for special tokens and padding. */
  sequenceIds: (number | null)[][];
  wordIds: (number | null)[][];
}

export function encodeBatch(
  tok: PreTrainedTokenizer,
  input: string | string[],
  o: CallOptions,
): BatchEncoding {
  const texts = typeof input === 'string' ? [input] : input;
  const pairs =
    o.textPair === undefined ? null : typeof o.textPair === 'string' ? [o.textPair] : o.textPair;
  if (pairs && pairs.length !== texts.length) {
    throw new TokenizerError(
      `tokenizer call: ${texts.length} texts but ${pairs.length} textPair entries`,
    );
  }
  const strategy: TruncationStrategy | null =
    o.truncation === true ? 'longest_first' : o.truncation ? o.truncation : null;
  const maxLength =
    o.maxLength ?? (Number.isFinite(tok.modelMaxLength) ? tok.modelMaxLength : undefined);
  if ((strategy || o.padding === 'max_length') && maxLength === undefined) {
    throw new TokenizerError(
      'tokenizer call: truncation or max_length padding needs maxLength (the tokenizer has no model_max_length)',
    );
  }
  const add = o.addSpecialTokens !== false;
  const encodings = texts.map((t, i) =>
    tok.tokenizer.encode(
      t,
      pairs ? pairs[i]! : null,
      add,
      strategy
        ? {
            maxLength: maxLength!,
            stride: o.stride ?? 0,
            strategy,
            direction: tok.settings.truncationSide,
          }
        : undefined,
    ),
  );
  const windows: Encoding[] = [];
  const sample: number[] = [];
  encodings.forEach((e, i) => {
    const parts = o.returnOverflowingTokens ? [e, ...e.overflowing] : [e];
    for (const p of parts) {
      windows.push(cloneEncoding({ ...p, overflowing: [] }));
      sample.push(i);
    }
  });
  if (o.padding) {
    const padId = tok.padTokenId;
    const padToken = tok.specialToken('pad');
    if (padId === null || padToken === null) {
      throw new TokenizerError(
        'tokenizer call: padding needs a pad token; this tokenizer has none (set pad_token in tokenizer_config.json)',
      );
    }
    const length =
      o.padding === 'max_length' ? maxLength! : Math.max(0, ...windows.map((w) => w.ids.length));
    for (const w of windows)
      padEncoding(w, { length, padId, padToken, padTypeId: 0, side: tok.settings.paddingSide });
  }
  const out: BatchEncoding = {
    inputIds: windows.map((w) => w.ids),
    attentionMask: windows.map((w) => w.attentionMask),
    tokenTypeIds: windows.map((w) => w.typeIds),
    specialTokensMask: windows.map((w) => w.specialTokensMask),
    sequenceIds: windows.map((w) => w.sequenceIds),
    wordIds: windows.map((w) => w.wordIds),
  };
  if (o.returnOffsetsMapping) out.offsetMapping = windows.map((w) => w.offsets);
  if (o.returnOverflowingTokens) out.overflowToSampleMapping = sample;
  return out;
}
