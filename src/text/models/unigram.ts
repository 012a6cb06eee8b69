/**
 * Unigram language-model tokenization (Kudo 2018; SentencePiece): the segmentation with the best
 * total log-probability, found by Viterbi. Characters with no piece become the unknown token
 * (scored min score - 10, as SentencePiece does); consecutive unknowns fuse into one.
 */
import { TokenizerError } from '../errors.js';
import { codePointStarts } from '../normalized.js';
import type { Token } from '../pre-tokenizers.js';
import { byteToken, type Model } from './model.js';

const UNK_PENALTY = 10;
const encoder = new TextEncoder();

export class Unigram implements Model {
  readonly type = 'Unigram';
  private readonly ids = new Map<string, number>();
  private readonly minScore: number;
  private readonly maxPieceLength: number;

  constructor(
    readonly pieces: [string, number][],
    readonly unkId: number | null,
    readonly byteFallback = false,
    readonly fuseUnk = true,
  ) {
    let min = Infinity;
    let maxLen = 1;
    pieces.forEach(([p, score], i) => {
      this.ids.set(p, i);
      min = Math.min(min, score);
      maxLen = Math.max(maxLen, p.length);
    });
    this.minScore = Number.isFinite(min) ? min : 0;
    this.maxPieceLength = maxLen;
    if (unkId !== null && (unkId < 0 || unkId >= pieces.length)) {
      throw new TokenizerError(
        `Unigram unk_id ${unkId} is outside the vocabulary (${pieces.length} pieces)`,
      );
    }
  }

  static fromJSON(o: Record<string, unknown>): Unigram {
    const vocab = ((o.vocab ?? []) as unknown[]).map((e, i): [string, number] => {
      if (!Array.isArray(e) || typeof e[0] !== 'string' || typeof e[1] !== 'number') {
        throw new TokenizerError(
          `Unigram vocab[${i}] must be [piece, score], got ${JSON.stringify(e)}`,
        );
      }
      return [e[0], e[1]];
    });
    return new Unigram(vocab, (o.unk_id as number | null) ?? null, o.byte_fallback === true);
  }

  get vocabSize(): number {
    return this.pieces.length;
  }

  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.pieces[id]?.[0];
  }

  /** The best segmentation of `word` as strings. */
  segment(word: string): string[] {
    const cps = codePointStarts(word);
    const n = word.length;
    const score = new Float64Array(n + 1);
    const from = new Int32Array(n + 1).fill(-1);
    const idAt = new Int32Array(n + 1).fill(-1);
    const unkScore = this.minScore - UNK_PENALTY;
    const relax = (a: number, b: number, s: number, id: number): void => {
      const cand = score[a]! + s;
      if (from[b]! < 0 || cand > score[b]!) {
        score[b] = cand;
        from[b] = a;
        idAt[b] = id;
      }
    };
    cps.forEach((a, k) => {
      const single = (cps[k + 1] ?? n) - a;
      let hasSingle = false;
      for (let j = k + 1; j <= cps.length; j++) {
        const b = cps[j] ?? n;
        if (b - a > this.maxPieceLength) break;
        const id = this.ids.get(word.slice(a, b));
        if (id === undefined) continue;
        relax(a, b, this.pieces[id]![1], id);
        if (b - a === single) hasSingle = true;
      }
      if (!hasSingle) {
        if (this.unkId === null) {
          throw new TokenizerError(
            `Unigram: no piece covers ${JSON.stringify(word.slice(a, a + single))} and the model has no unk_id`,
          );
        }
        relax(a, a + single, unkScore, this.unkId);
      }
    });
    const out: string[] = [];
    let fused: string[] = [];
    for (let end = n; end > 0; end = from[end]!) {
      const piece = word.slice(from[end]!, end);
      if (this.fuseUnk && this.unkId !== null && idAt[end] === this.unkId) fused.push(piece);
      else {
        if (fused.length > 0) out.push(fused.reverse().join(''));
        fused = [];
        out.push(piece);
      }
    }
    if (fused.length > 0) out.push(fused.reverse().join(''));
    return out.reverse();
  }

  tokenize(word: string): Token[] {
    const out: Token[] = [];
    let at = 0;
    for (const piece of this.segment(word)) {
      const start = at;
      at += piece.length;
      const id = this.ids.get(piece);
      if (id !== undefined) {
        out.push({ id, value: piece, start, end: at });
        continue;
      }
      if (this.byteFallback) {
        const bytes = [...encoder.encode(piece)].map(
          (b) => [byteToken(b), this.ids.get(byteToken(b))] as const,
        );
        if (bytes.every(([, id]) => id !== undefined)) {
          for (const [value, bid] of bytes) out.push({ id: bid!, value, start, end: at });
          continue;
        }
      }
      out.push({ id: this.unkId!, value: piece, start, end: at });
    }
    return out;
  }

  toJSON(): Record<string, unknown> {
    return {
      type: 'Unigram',
      unk_id: this.unkId,
      vocab: this.pieces.map(([p, s]) => [p, s]),
      byte_fallback: this.byteFallback,
    };
  }
}
