/**
 * The tokenizer users call, in the shape of transformers' fast tokenizers:
 * `AutoTokenizer.fromPretrained(dir)`, `tok.encode(text)`, `tok(texts, {textPair, maxLength,
 * truncation, stride, returnOverflowingTokens, padding})`, `tok.decode(ids)`, `savePretrained`.
 * Instances are callable, like Python's `tokenizer(...)`.
 */
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/io/atomic.js';
import { type BatchEncoding, type CallOptions, encodeBatch } from './batch.js';
import {
  parseSettings,
  settingsToConfig,
  SPECIAL_ROLES,
  type SpecialRole,
  specialTokensMap,
  type TokenizerSettings,
} from './config.js';
import { cleanUpTokenization } from './decoders.js';
import type { Encoding } from './encoding.js';
import { TokenizerError } from './errors.js';
import { Tokenizer } from './tokenizer.js';

export interface EncodeOptions {
  /** A second sequence (question + context, sentence pairs). */
  pair?: string;
  /** Add [CLS]/[SEP], <s> etc. as the post-processor says (default true). */
  addSpecialTokens?: boolean;
}

export interface EncodeOutput {
  ids: number[];
  tokens: string[];
  attentionMask: number[];
  typeIds: number[];
  /** [start, end) in UTF-16 units of the input (of the pair for tokens of the second sequence). */
  offsets: [number, number][];
  specialTokensMask: number[];
  wordIds: (number | null)[];
  sequenceIds: (number | null)[];
}

export interface DecodeOptions {
  skipSpecialTokens?: boolean;
  /** Default: the tokenizer_config.json setting. */
  cleanUpTokenizationSpaces?: boolean;
}

async function readJson(path: string, required: boolean): Promise<Record<string, unknown> | null> {
  let text: string;
  try {
    text = await fsp.readFile(path, 'utf8');
  } catch (err) {
    if (!required && (err as { code?: string }).code === 'ENOENT') return null;
    throw new TokenizerError(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (err) {
    throw new TokenizerError(`${path} is not a valid JSON object: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

// The interface adds the call signature to the class below (instances are functions).
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface PreTrainedTokenizer {
  /** Encode a text or a batch (optionally with pairs); always returns batched arrays. */
  (input: string | string[], options?: CallOptions): BatchEncoding;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class PreTrainedTokenizer {
  declare readonly tokenizer: Tokenizer;
  declare readonly settings: TokenizerSettings;

  constructor(tokenizer: Tokenizer, settings: TokenizerSettings) {
    // Return a function whose prototype is this class, so that `tok(...)` works like Python.
    const self = ((input: string | string[], options?: CallOptions) =>
      encodeBatch(self, input, options ?? {})) as unknown as PreTrainedTokenizer;
    Object.setPrototypeOf(self, new.target.prototype);
    Object.defineProperty(self, 'tokenizer', { value: tokenizer, enumerable: true });
    Object.defineProperty(self, 'settings', { value: settings, enumerable: true });
    return self;
  }

  /** Load `tokenizer.json` (+ `tokenizer_config.json`, `special_tokens_map.json`) from `dir`. */
  static async fromPretrained(dir: string): Promise<PreTrainedTokenizer> {
    const file = join(dir, 'tokenizer.json');
    const json = await readJson(file, true);
    const tokenizer = Tokenizer.fromJSON(json, file);
    const config = await readJson(join(dir, 'tokenizer_config.json'), false);
    const map = await readJson(join(dir, 'special_tokens_map.json'), false);
    return new PreTrainedTokenizer(tokenizer, parseSettings(tokenizer, config, map));
  }

  /** Wrap a tokenizer (e.g. a freshly trained one) with settings from a tokenizer_config object. */
  static fromTokenizer(
    tokenizer: Tokenizer,
    config: Record<string, unknown> | null = null,
  ): PreTrainedTokenizer {
    return new PreTrainedTokenizer(tokenizer, parseSettings(tokenizer, config, null));
  }

  /** Write tokenizer.json, tokenizer_config.json and special_tokens_map.json, each atomically. */
  async savePretrained(dir: string): Promise<void> {
    await fsp.mkdir(dir, { recursive: true });
    await writeFileAtomic(
      join(dir, 'tokenizer.json'),
      JSON.stringify(this.tokenizer.toJSON(), null, 2) + '\n',
    );
    await writeFileAtomic(
      join(dir, 'tokenizer_config.json'),
      JSON.stringify(settingsToConfig(this.settings), null, 2) + '\n',
    );
    await writeFileAtomic(
      join(dir, 'special_tokens_map.json'),
      JSON.stringify(specialTokensMap(this.settings), null, 2) + '\n',
    );
  }

  /** Size of the vocabulary including added tokens (Python's `len(tokenizer)`). */
  get vocabSize(): number {
    return this.tokenizer.vocabSize;
  }

  get modelMaxLength(): number {
    return this.settings.modelMaxLength;
  }

  /** The token playing `role`, or null. */
  specialToken(role: SpecialRole): string | null {
    return this.settings.specialTokens[role] ?? null;
  }

  /** The id of the token playing `role`, or null. */
  specialTokenId(role: SpecialRole): number | null {
    const t = this.settings.specialTokens[role];
    return t === undefined ? null : (this.tokenizer.tokenToId(t) ?? null);
  }

  get bosTokenId(): number | null {
    return this.specialTokenId('bos');
  }
  get eosTokenId(): number | null {
    return this.specialTokenId('eos');
  }
  get unkTokenId(): number | null {
    return this.specialTokenId('unk');
  }
  get padTokenId(): number | null {
    return this.specialTokenId('pad');
  }
  get clsTokenId(): number | null {
    return this.specialTokenId('cls');
  }
  get sepTokenId(): number | null {
    return this.specialTokenId('sep');
  }
  get maskTokenId(): number | null {
    return this.specialTokenId('mask');
  }

  /** Ids of every token that plays a special role or is an added special token. */
  get allSpecialIds(): number[] {
    const ids = new Set<number>();
    for (const r of SPECIAL_ROLES) {
      const id = this.specialTokenId(r);
      if (id !== null) ids.add(id);
    }
    for (const t of this.tokenizer.addedTokens) if (t.special) ids.add(t.id);
    return [...ids].sort((a, b) => a - b);
  }

  /** Encode one text (or a pair) without truncation or padding. */
  encode(text: string, options: EncodeOptions = {}): EncodeOutput {
    return toOutput(
      this.tokenizer.encode(text, options.pair ?? null, options.addSpecialTokens !== false),
    );
  }

  tokenize(text: string, options: EncodeOptions = {}): string[] {
    return this.encode(text, { addSpecialTokens: false, ...options }).tokens;
  }

  convertTokensToIds(tokens: string[]): (number | null)[] {
    return tokens.map((t) => this.tokenizer.tokenToId(t) ?? this.unkTokenId);
  }

  convertIdsToTokens(ids: number[]): (string | null)[] {
    return ids.map((id) => this.tokenizer.idToToken(id) ?? null);
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    const text = this.tokenizer.decode(ids, options.skipSpecialTokens === true);
    const clean = options.cleanUpTokenizationSpaces ?? this.settings.cleanUpTokenizationSpaces;
    return clean ? cleanUpTokenization(text) : text;
  }

  batchDecode(batch: readonly (readonly number[])[], options: DecodeOptions = {}): string[] {
    return batch.map((ids) => this.decode(ids, options));
  }
}

function toOutput(e: Encoding): EncodeOutput {
  return {
    ids: e.ids,
    tokens: e.tokens,
    attentionMask: e.attentionMask,
    typeIds: e.typeIds,
    offsets: e.offsets,
    specialTokensMask: e.specialTokensMask,
    wordIds: e.wordIds,
    sequenceIds: e.sequenceIds,
  };
}

/** `AutoTokenizer.fromPretrained(dir)`: every supported tokenizer.json loads the same way. */
export const AutoTokenizer = {
  fromPretrained: (dir: string): Promise<PreTrainedTokenizer> =>
    PreTrainedTokenizer.fromPretrained(dir),
};
