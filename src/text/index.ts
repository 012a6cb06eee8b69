/** Tokenizers: Hugging Face tokenizer.json loading, encoding with offsets, training. */
export { TokenizerError } from './errors.js';
export { Tokenizer, type TruncationParams, type TruncationStrategy } from './tokenizer.js';
export {
  AutoTokenizer,
  PreTrainedTokenizer,
  type DecodeOptions,
  type EncodeOptions,
  type EncodeOutput,
} from './pretrained.js';
export type { BatchEncoding, CallOptions } from './batch.js';
export type { Encoding } from './encoding.js';
export { SPECIAL_ROLES, type SpecialRole, type SpecialTokens } from './config.js';
export { BPE, type BpeOptions } from './models/bpe.js';
export { WordPiece, type WordPieceOptions } from './models/wordpiece.js';
export { Unigram } from './models/unigram.js';
export type { Model } from './models/model.js';
export { NormalizedString } from './normalized.js';
export { trainTokenizer, type TokenizerKind, type TrainOptions } from './train/train.js';
