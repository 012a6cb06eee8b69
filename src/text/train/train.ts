/**
 * Train tokenizers on a corpus and get Hugging Face-compatible tokenizer.json files:
 * byte-level BPE (GPT-2 style), SentencePiece-style BPE with byte fallback (Llama-2 style), and
 * WordPiece (BERT style; learnt with BPE merges on "##"-prefixed pieces, as HF's trainer does).
 */
import { byteLevelAlphabet } from '../byte-level.js';
import { TokenizerError } from '../errors.js';
import { byteToken } from '../models/model.js';
import { NormalizedString } from '../normalized.js';
import { buildNormalizer } from '../normalizers.js';
import { buildPreTokenizer } from '../pre-tokenizers.js';
import { Tokenizer } from '../tokenizer.js';
import {
  addedToken,
  bertLayout,
  gpt2Layout,
  type Json,
  llama2Layout,
  llama2TrainingPreTokenizer,
} from './layouts.js';
import { learnMerges } from './merges.js';

export type TokenizerKind = 'byte-level-bpe' | 'sentencepiece-bpe' | 'wordpiece';

export interface TrainOptions {
  kind: TokenizerKind;
  /** Final size of the model vocabulary, special tokens included. */
  vocabSize: number;
  /** Pairs seen fewer times are never merged (default 2). */
  minFrequency?: number;
  /** Defaults per kind: <|endoftext|>; <unk> <s> </s>; [PAD] [UNK] [CLS] [SEP] [MASK]. */
  specialTokens?: string[];
  /** WordPiece only: lowercase and strip accents (default true, "uncased"). */
  lowercase?: boolean;
  onProgress?: (done: number, total: number) => void;
}

const DEFAULT_SPECIALS: Record<TokenizerKind, string[]> = {
  'byte-level-bpe': ['<|endoftext|>'],
  'sentencepiece-bpe': ['<unk>', '<s>', '</s>'],
  wordpiece: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'],
};

/** Count the pre-tokenized words of `texts` under a pipeline's normalizer and pre-tokenizer. */
function countWords(
  texts: Iterable<string>,
  normalizer: unknown,
  preTokenizer: unknown,
): Map<string, number> {
  const norm = buildNormalizer(normalizer);
  const pre = buildPreTokenizer(preTokenizer);
  const counts = new Map<string, number>();
  for (const text of texts) {
    const ns = NormalizedString.from(text);
    const splits = [{ ns: norm ? norm(ns) : ns, tokens: null }];
    for (const s of pre ? pre(splits) : splits)
      counts.set(s.ns.text, (counts.get(s.ns.text) ?? 0) + 1);
  }
  return counts;
}

/** Train a tokenizer of the given kind on `texts` (each a document or a line). */
export function trainTokenizer(texts: Iterable<string>, o: TrainOptions): Tokenizer {
  const specials = o.specialTokens ?? DEFAULT_SPECIALS[o.kind];
  const minFrequency = o.minFrequency ?? 2;
  let layout: Json;
  let trainingPre: unknown;
  let alphabet: string[];
  let initial: string[];
  const prefix = o.kind === 'wordpiece' ? '##' : undefined;
  if (o.kind === 'byte-level-bpe') {
    layout = gpt2Layout();
    trainingPre = layout.pre_tokenizer;
    alphabet = byteLevelAlphabet().sort();
  } else if (o.kind === 'sentencepiece-bpe') {
    layout = llama2Layout([specials[1] ?? '<s>', 1]);
    trainingPre = llama2TrainingPreTokenizer;
    alphabet = [];
  } else {
    const find = (t: string, fallback: number): [string, number] => {
      const i = specials.indexOf(t);
      return [t, i >= 0 ? i : fallback];
    };
    layout = bertLayout(find('[CLS]', 2), find('[SEP]', 3), o.lowercase !== false);
    layout.normalizer = { ...(layout.normalizer as Json), lowercase: o.lowercase !== false };
    trainingPre = layout.pre_tokenizer;
    alphabet = [];
  }
  const counts = countWords(
    texts,
    o.kind === 'sentencepiece-bpe' ? null : layout.normalizer,
    trainingPre,
  );
  // Characters seen in the corpus complete the alphabet (in their "##" form after a word start).
  const chars = new Set<string>();
  for (const w of counts.keys()) {
    [...w].forEach((c, i) => chars.add(i > 0 && prefix ? prefix + c : c));
  }
  if (o.kind !== 'byte-level-bpe') alphabet = [...chars].sort();
  initial = [...specials];
  if (o.kind === 'sentencepiece-bpe') for (let b = 0; b < 256; b++) initial.push(byteToken(b));
  initial = [...initial, ...alphabet.filter((c) => !initial.includes(c))];
  if (o.vocabSize < initial.length) {
    throw new TokenizerError(
      `trainTokenizer: vocabSize ${o.vocabSize} is smaller than the initial alphabet and special tokens (${initial.length})`,
    );
  }
  const index = new Map(initial.map((t, i) => [t, i]));
  const words: Int32Array[] = [];
  const freq: number[] = [];
  for (const [w, n] of counts) {
    const pieces =
      o.kind === 'byte-level-bpe'
        ? [...w]
        : [...w].map((c, i) => (i > 0 && prefix ? prefix + c : c));
    words.push(Int32Array.from(pieces, (p) => index.get(p)!));
    freq.push(n);
  }
  const { tokens, merges } = learnMerges(words, freq, initial, {
    vocabSize: o.vocabSize,
    minFrequency,
    prefix,
    onProgress: o.onProgress,
  });
  const vocab = Object.fromEntries(tokens.map((t, i) => [t, i]));
  let model: Json;
  if (o.kind === 'wordpiece') {
    model = {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab,
    };
  } else {
    model = {
      type: 'BPE',
      dropout: null,
      unk_token: o.kind === 'sentencepiece-bpe' ? specials[0] : null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: o.kind === 'sentencepiece-bpe',
      byte_fallback: o.kind === 'sentencepiece-bpe',
      ignore_merges: false,
      vocab,
      merges,
    };
  }
  const json: Json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((s, i) => addedToken(i, s)),
    ...layout,
    model,
  };
  return Tokenizer.fromJSON(json, `trained ${o.kind} tokenizer`);
}
