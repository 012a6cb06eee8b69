/**
 * WordPiece (BERT): greedy longest-match-first over each word; pieces after the first carry the
 * `##` prefix. A word with any unmatched part, or longer than `maxInputCharsPerWord` characters,
 * becomes a single unknown token.
 */
import { TokenizerError } from '../errors.js';
import { codePointStarts } from '../normalized.js';
import type { Token } from '../pre-tokenizers.js';
import { invert, type Model } from './model.js';

export interface WordPieceOptions {
  unkToken?: string;
  continuingSubwordPrefix?: string;
  maxInputCharsPerWord?: number;
}

export class WordPiece implements Model {
  readonly type = 'WordPiece';
  readonly unkToken: string;
  readonly prefix: string;
  readonly maxChars: number;
  private readonly ids: Map<number, string>;

  constructor(
    readonly vocab: Map<string, number>,
    options: WordPieceOptions = {},
  ) {
    this.unkToken = options.unkToken ?? '[UNK]';
    this.prefix = options.continuingSubwordPrefix ?? '##';
    this.maxChars = options.maxInputCharsPerWord ?? 100;
    this.ids = invert(vocab);
  }

  static fromJSON(o: Record<string, unknown>): WordPiece {
    return new WordPiece(new Map(Object.entries((o.vocab ?? {}) as Record<string, number>)), {
      unkToken: (o.unk_token as string | undefined) ?? '[UNK]',
      continuingSubwordPrefix: (o.continuing_subword_prefix as string | undefined) ?? '##',
      maxInputCharsPerWord: (o.max_input_chars_per_word as number | undefined) ?? 100,
    });
  }

  get vocabSize(): number {
    return this.vocab.size;
  }

  tokenToId(token: string): number | undefined {
    return this.vocab.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.ids.get(id);
  }

  tokenize(word: string): Token[] {
    const cps = codePointStarts(word);
    if (cps.length > this.maxChars) return [this.unk(word)];
    const out: Token[] = [];
    let start = 0;
    while (start < cps.length) {
      let end = cps.length;
      let found: Token | null = null;
      while (start < end) {
        const a = cps[start]!;
        const b = cps[end] ?? word.length;
        const piece = (start > 0 ? this.prefix : '') + word.slice(a, b);
        const id = this.vocab.get(piece);
        if (id !== undefined) {
          found = { id, value: piece, start: a, end: b };
          break;
        }
        end--;
      }
      if (!found) return [this.unk(word)];
      out.push(found);
      start = end;
    }
    return out;
  }

  private unk(word: string): Token {
    const id = this.vocab.get(this.unkToken);
    if (id === undefined) {
      throw new TokenizerError(
        `WordPiece unk_token ${JSON.stringify(this.unkToken)} is not in the vocabulary`,
      );
    }
    return { id, value: this.unkToken, start: 0, end: word.length };
  }

  toJSON(): Record<string, unknown> {
    return {
      type: 'WordPiece',
      unk_token: this.unkToken,
      continuing_subword_prefix: this.prefix,
      max_input_chars_per_word: this.maxChars,
      vocab: Object.fromEntries(this.vocab),
    };
  }
}
