import type { Token } from '../pre-tokenizers.js';

/** A tokenization model (BPE, WordPiece, Unigram): one pre-tokenized word in, tokens out. */
export interface Model {
  readonly type: string;
  /** Offsets of the tokens are UTF-16 units into `word`. */
  tokenize(word: string): Token[];
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  /** Size of the model's own vocabulary (added tokens not counted). */
  readonly vocabSize: number;
  /** The `model` entry of tokenizer.json. */
  toJSON(): Record<string, unknown>;
}

/** `<0xAB>`: SentencePiece's byte-fallback token for one byte. */
export const byteToken = (b: number): string =>
  `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;

export function invert(vocab: Map<string, number>): Map<number, string> {
  const out = new Map<number, string>();
  for (const [k, v] of vocab) out.set(v, k);
  return out;
}
