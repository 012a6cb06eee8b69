/**
 * A tokenizer built from a Hugging Face `tokenizer.json`: normalizer -> pre-tokenizer -> model ->
 * post-processor, with added tokens split out first, and decoding through the decoder chain.
 * Offsets are tracked through every step and reported as UTF-16 indices into the input.
 */
import {
  AddedMatcher,
  type AddedToken,
  addedTokenJSON,
  parseAddedToken,
  splitAdded,
} from './added-tokens.js';
import { buildDecoder, type Decoder } from './decoders.js';
import {
  type Encoding,
  emptyEncoding,
  mergeEncodings,
  truncateEncoding,
  type TruncationDirection,
} from './encoding.js';
import { TokenizerError } from './errors.js';
import { BPE } from './models/bpe.js';
import type { Model } from './models/model.js';
import { Unigram } from './models/unigram.js';
import { WordPiece } from './models/wordpiece.js';
import { NormalizedString } from './normalized.js';
import { buildNormalizer, type Normalizer } from './normalizers.js';
import { buildPostProcessor, type PostProcessor } from './post-processors.js';
import { buildPreTokenizer, type PreTokenizer, type Split } from './pre-tokenizers.js';

export type TruncationStrategy = 'longest_first' | 'only_first' | 'only_second';

export interface TruncationParams {
  maxLength: number;
  stride?: number;
  strategy?: TruncationStrategy;
  direction?: TruncationDirection;
}

type Json = Record<string, unknown>;

export function buildModel(json: unknown): Model {
  const o = (json ?? {}) as Json;
  // Old files leave out the type; tell the models apart by their fields, as Rust's serde does.
  const type = o.type ?? (Array.isArray(o.vocab) ? 'Unigram' : 'merges' in o ? 'BPE' : 'WordPiece');
  switch (type) {
    case 'BPE':
      return BPE.fromJSON(o);
    case 'WordPiece':
      return WordPiece.fromJSON(o);
    case 'Unigram':
      return Unigram.fromJSON(o);
    default:
      throw new TokenizerError(
        `model type ${JSON.stringify(type)} is not supported (supported: BPE, WordPiece, Unigram)`,
      );
  }
}

export class Tokenizer {
  readonly normalizer: Normalizer | null;
  readonly preTokenizer: PreTokenizer | null;
  readonly postProcessor: PostProcessor | null;
  readonly decoder: Decoder | null;
  readonly addedTokens: AddedToken[];
  private readonly addedById = new Map<number, AddedToken>();
  private readonly addedByContent = new Map<string, AddedToken>();
  private readonly rawMatcher: AddedMatcher;
  private readonly normMatcher: AddedMatcher;

  constructor(
    readonly model: Model,
    private readonly json: Json,
  ) {
    this.normalizer = buildNormalizer(json.normalizer);
    this.preTokenizer = buildPreTokenizer(json.pre_tokenizer);
    this.postProcessor = buildPostProcessor(json.post_processor);
    this.decoder = buildDecoder(json.decoder);
    this.addedTokens = ((json.added_tokens ?? []) as unknown[]).map((t, i) =>
      parseAddedToken(t, `tokenizer.json added_tokens[${i}]`),
    );
    for (const t of this.addedTokens) {
      this.addedById.set(t.id, t);
      this.addedByContent.set(t.content, t);
    }
    this.rawMatcher = new AddedMatcher(
      this.addedTokens.filter((t) => !t.normalized).map((t) => [t.content, t]),
    );
    const norm = (s: string): string =>
      this.normalizer ? this.normalizer(NormalizedString.from(s)).text : s;
    this.normMatcher = new AddedMatcher(
      this.addedTokens.filter((t) => t.normalized).map((t) => [norm(t.content), t]),
    );
  }

  /** Parse the text of a tokenizer.json file. */
  static fromJSON(json: unknown, source = 'tokenizer.json'): Tokenizer {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new TokenizerError(`${source}: expected a JSON object`);
    }
    const o = json as Json;
    try {
      return new Tokenizer(buildModel(o.model), o);
    } catch (err) {
      if (err instanceof TokenizerError)
        throw new TokenizerError(`${source}: ${err.message}`, { cause: err });
      throw err;
    }
  }

  /** The tokenizer.json object (normalizer etc. as loaded, model and added tokens re-serialised). */
  toJSON(): Json {
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: this.addedTokens.map(addedTokenJSON),
      normalizer: this.json.normalizer ?? null,
      pre_tokenizer: this.json.pre_tokenizer ?? null,
      post_processor: this.json.post_processor ?? null,
      decoder: this.json.decoder ?? null,
      model: this.model.toJSON(),
    };
  }

  tokenToId(token: string): number | undefined {
    return this.addedByContent.get(token)?.id ?? this.model.tokenToId(token);
  }

  idToToken(id: number): string | undefined {
    return this.addedById.get(id)?.content ?? this.model.idToToken(id);
  }

  isSpecialId(id: number): boolean {
    return this.addedById.get(id)?.special === true;
  }

  /** Model vocabulary plus added tokens not already in it (HF's `len(tokenizer)`). */
  get vocabSize(): number {
    let n = this.model.vocabSize;
    for (const t of this.addedTokens) if (this.model.tokenToId(t.content) === undefined) n++;
    return n;
  }

  /** One sequence, before post-processing: tokens with offsets into `text`. */
  encodeSequence(text: string): Encoding {
    let splits: Split[] = [];
    for (const raw of splitAdded(NormalizedString.from(text), this.rawMatcher)) {
      if (raw.id !== null) {
        splits.push(this.addedSplit(raw.ns, raw.id));
        continue;
      }
      const normalized = this.normalizer ? this.normalizer(raw.ns) : raw.ns;
      for (const p of splitAdded(normalized, this.normMatcher)) {
        if (p.id !== null) splits.push(this.addedSplit(p.ns, p.id));
        else if (p.ns.length > 0) splits.push({ ns: p.ns, tokens: null });
      }
    }
    if (this.preTokenizer) splits = this.preTokenizer(splits);
    const e = emptyEncoding();
    splits.forEach((sp, word) => {
      for (const t of sp.tokens ?? this.model.tokenize(sp.ns.text)) {
        e.ids.push(t.id);
        e.tokens.push(t.value);
        e.offsets.push(sp.ns.original(t.start, t.end));
        e.wordIds.push(word);
        e.typeIds.push(0);
        e.sequenceIds.push(0);
        e.specialTokensMask.push(0);
        e.attentionMask.push(1);
      }
    });
    return e;
  }

  private addedSplit(ns: NormalizedString, id: number): Split {
    return {
      ns,
      tokens: [{ id, value: this.addedById.get(id)!.content, start: 0, end: ns.length }],
    };
  }

  /** How many special tokens the post-processor adds to one sequence or a pair. */
  numSpecialTokensToAdd(isPair: boolean): number {
    return this.postProcessor?.addedTokens(isPair) ?? 0;
  }

  /**
   * Encode a sequence or a pair: tokenize, truncate (overflow into `overflowing`), add special
   * tokens. Mirrors Rust's `Tokenizer::encode` followed by `post_process`.
   */
  encode(
    text: string,
    pair: string | null = null,
    addSpecialTokens = true,
    truncation?: TruncationParams,
  ): Encoding {
    let a = this.encodeSequence(text);
    let b = pair === null ? null : this.encodeSequence(pair);
    if (truncation) [a, b] = this.truncate(a, b, truncation, addSpecialTokens);
    const encodings = b ? [a, b] : [a];
    encodings.forEach((e, i) => setSequence(e, i));
    const processed = this.postProcessor
      ? this.postProcessor.process(encodings, addSpecialTokens)
      : encodings;
    return processed.reduce((acc, e) => mergeEncodings(acc, e), emptyEncoding());
  }

  private truncate(
    a: Encoding,
    b: Encoding | null,
    t: TruncationParams,
    addSpecialTokens: boolean,
  ): [Encoding, Encoding | null] {
    const added = addSpecialTokens ? this.numSpecialTokensToAdd(b !== null) : 0;
    const maxLength = t.maxLength - added;
    if (maxLength < 0) {
      throw new TokenizerError(
        `truncation: maxLength ${t.maxLength} leaves no room next to the ${added} special tokens`,
      );
    }
    const stride = t.stride ?? 0;
    const dir = t.direction ?? 'right';
    const strategy = t.strategy ?? 'longest_first';
    if (maxLength === 0) {
      truncateEncoding(a, 0, stride, dir);
      if (b) truncateEncoding(b, 0, stride, dir);
      return [a, b];
    }
    const total = a.ids.length + (b?.ids.length ?? 0);
    if (total <= maxLength) return [a, b];
    const toRemove = total - maxLength;
    if (strategy === 'longest_first') {
      if (!b) {
        truncateEncoding(a, maxLength, stride, dir);
        return [a, b];
      }
      let n1 = a.ids.length;
      let n2 = b.ids.length;
      const swap = n1 > n2;
      if (swap) [n1, n2] = [n2, n1];
      n2 = n1 > maxLength ? n1 : Math.max(n1, maxLength - n1);
      if (n1 + n2 > maxLength) {
        n1 = Math.floor(maxLength / 2);
        n2 = n1 + (maxLength % 2);
      }
      if (swap) [n1, n2] = [n2, n1];
      truncateEncoding(a, n1, stride, dir);
      truncateEncoding(b, n2, stride, dir);
      return [a, b];
    }
    const target = strategy === 'only_first' ? a : b;
    if (!target) throw new TokenizerError("truncation 'only_second' needs a pair of sequences");
    if (target.ids.length <= toRemove) {
      throw new TokenizerError(
        `truncation '${strategy}': the ${strategy === 'only_first' ? 'first' : 'second'} sequence has ` +
          `${target.ids.length} tokens, too few to remove the ${toRemove} needed to fit maxLength ` +
          `${t.maxLength}; use 'longest_first' or a larger maxLength`,
      );
    }
    truncateEncoding(target, target.ids.length - toRemove, stride, dir);
    return [a, b];
  }

  /** Token ids back to text through the decoder chain. */
  decode(ids: readonly number[], skipSpecialTokens = false): string {
    const tokens: string[] = [];
    for (const id of ids) {
      const tok = this.idToToken(id);
      if (tok === undefined) continue;
      if (skipSpecialTokens && this.isSpecialId(id)) continue;
      tokens.push(tok);
    }
    return this.decoder ? this.decoder(tokens).join('') : tokens.join(' ');
  }
}

function setSequence(e: Encoding, i: number): void {
  e.sequenceIds = e.ids.map(() => i);
  e.typeIds = e.ids.map(() => i);
  for (const o of e.overflowing) setSequence(o, i);
}
