/**
 * Byte-pair encoding (Sennrich et al. 2016) as Hugging Face runs it: split a word into
 * characters, then repeatedly merge the adjacent pair with the lowest merge rank (the leftmost
 * when several share it). Supports a continuing-subword prefix, an end-of-word suffix, byte
 * fallback (SentencePiece / Llama-2) and `ignore_merges` (Llama-3: whole words found in the
 * vocabulary skip merging).
 */
import { TokenizerError } from '../errors.js';
import { unitLength } from '../normalized.js';
import type { Token } from '../pre-tokenizers.js';
import { byteToken, invert, type Model } from './model.js';

export interface BpeOptions {
  unkToken?: string | null;
  continuingSubwordPrefix?: string | null;
  endOfWordSuffix?: string | null;
  fuseUnk?: boolean;
  byteFallback?: boolean;
  ignoreMerges?: boolean;
}

interface Sym {
  id: number;
  start: number;
  end: number;
}

const encoder = new TextEncoder();
const CACHE_LIMIT = 10_000;

export class BPE implements Model {
  readonly type = 'BPE';
  private readonly ids: Map<number, string>;
  /** "idA idB" -> [rank, merged id]. */
  private readonly ranks = new Map<string, [number, number]>();
  private readonly cache = new Map<string, Token[]>();

  constructor(
    readonly vocab: Map<string, number>,
    readonly merges: [string, string][],
    readonly options: BpeOptions = {},
  ) {
    this.ids = invert(vocab);
    const prefixLen = options.continuingSubwordPrefix?.length ?? 0;
    merges.forEach(([a, b], rank) => {
      const ia = vocab.get(a);
      const ib = vocab.get(b);
      const merged = vocab.get(a + b.slice(prefixLen));
      if (ia === undefined || ib === undefined || merged === undefined) {
        throw new TokenizerError(
          `BPE merge ${rank} (${JSON.stringify(a)} ${JSON.stringify(b)}) uses a token that is ` +
            'not in the vocabulary',
        );
      }
      this.ranks.set(`${ia} ${ib}`, [rank, merged]);
    });
  }

  static fromJSON(o: Record<string, unknown>): BPE {
    const vocab = new Map(Object.entries((o.vocab ?? {}) as Record<string, number>));
    const merges = ((o.merges ?? []) as unknown[]).map((m, i): [string, string] => {
      if (Array.isArray(m) && m.length === 2) return [String(m[0]), String(m[1])];
      if (typeof m === 'string') {
        const at = m.indexOf(' ', 1);
        if (at > 0) return [m.slice(0, at), m.slice(at + 1)];
      }
      throw new TokenizerError(
        `BPE merges[${i}] is neither "a b" nor ["a", "b"]: ${JSON.stringify(m)}`,
      );
    });
    return new BPE(vocab, merges, {
      unkToken: (o.unk_token as string | null) ?? null,
      continuingSubwordPrefix: (o.continuing_subword_prefix as string | null) ?? null,
      endOfWordSuffix: (o.end_of_word_suffix as string | null) ?? null,
      fuseUnk: o.fuse_unk === true,
      byteFallback: o.byte_fallback === true,
      ignoreMerges: o.ignore_merges === true,
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
    if (word.length === 0) return [];
    const hit = this.cache.get(word);
    if (hit) return hit;
    const whole = this.options.ignoreMerges ? this.vocab.get(word) : undefined;
    const out =
      whole !== undefined
        ? [{ id: whole, value: word, start: 0, end: word.length }]
        : this.merge(this.initial(word)).map((s) => ({ ...s, value: this.ids.get(s.id)! }));
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(word, out);
    return out;
  }

  private initial(word: string): Sym[] {
    const { continuingSubwordPrefix: prefix, endOfWordSuffix: suffix, unkToken } = this.options;
    const syms: Sym[] = [];
    let unkOpen = false;
    for (let i = 0; i < word.length;) {
      const n = unitLength(word, i);
      const c = word.slice(i, i + n);
      let s = i > 0 && prefix ? prefix + c : c;
      if (i + n === word.length && suffix) s += suffix;
      const id = this.vocab.get(s);
      if (id !== undefined) {
        syms.push({ id, start: i, end: i + n });
        unkOpen = false;
      } else if (this.options.byteFallback && this.pushBytes(syms, c, i, n)) {
        unkOpen = false;
      } else if (unkToken) {
        const unk = this.vocab.get(unkToken);
        if (unk === undefined) {
          throw new TokenizerError(
            `BPE unk_token ${JSON.stringify(unkToken)} is not in the vocabulary`,
          );
        }
        if (this.options.fuseUnk && unkOpen) syms[syms.length - 1]!.end = i + n;
        else syms.push({ id: unk, start: i, end: i + n });
        unkOpen = true;
      }
      i += n;
    }
    return syms;
  }

  private pushBytes(syms: Sym[], c: string, at: number, n: number): boolean {
    const ids: number[] = [];
    for (const b of encoder.encode(c)) {
      const id = this.vocab.get(byteToken(b));
      if (id === undefined) return false;
      ids.push(id);
    }
    for (const id of ids) syms.push({ id, start: at, end: at + n });
    return true;
  }

  /** Rust's `Word::merge_all`: a heap of (rank, position) over a linked list of symbols. */
  private merge(syms: Sym[]): Sym[] {
    const n = syms.length;
    const prev = Int32Array.from({ length: n }, (_, k) => k - 1);
    const next = Int32Array.from({ length: n }, (_, k) => (k + 1 < n ? k + 1 : -1));
    const alive = new Uint8Array(n).fill(1);
    const heap = new MergeHeap();
    const pushPair = (k: number): void => {
      const j = next[k]!;
      if (j < 0) return;
      const r = this.ranks.get(`${syms[k]!.id} ${syms[j]!.id}`);
      if (r) heap.push(r[0], k, r[1]);
    };
    for (let k = 0; k + 1 < n; k++) pushPair(k);
    for (let top = heap.pop(); top; top = heap.pop()) {
      const [, k, newId] = top;
      const j = next[k]!;
      if (!alive[k] || j < 0) continue;
      const r = this.ranks.get(`${syms[k]!.id} ${syms[j]!.id}`);
      if (!r || r[1] !== newId) continue;
      syms[k] = { id: newId, start: syms[k]!.start, end: syms[j]!.end };
      alive[j] = 0;
      next[k] = next[j]!;
      if (next[j]! >= 0) prev[next[j]!] = k;
      if (prev[k]! >= 0) pushPair(prev[k]!);
      pushPair(k);
    }
    return syms.filter((_, k) => alive[k]);
  }

  toJSON(): Record<string, unknown> {
    const o = this.options;
    return {
      type: 'BPE',
      dropout: null,
      unk_token: o.unkToken ?? null,
      continuing_subword_prefix: o.continuingSubwordPrefix ?? null,
      end_of_word_suffix: o.endOfWordSuffix ?? null,
      fuse_unk: o.fuseUnk ?? false,
      byte_fallback: o.byteFallback ?? false,
      ignore_merges: o.ignoreMerges ?? false,
      vocab: Object.fromEntries(this.vocab),
      merges: this.merges.map(([a, b]) => [a, b]),
    };
  }
}

/** A binary min-heap of (rank, position, merged id), ordered by rank then position. */
class MergeHeap {
  private items: [number, number, number][] = [];

  push(rank: number, pos: number, id: number): void {
    const a = this.items;
    a.push([rank, pos, id]);
    for (let i = a.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (!less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }

  pop(): [number, number, number] | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && less(a[l]!, a[m]!)) m = l;
        if (r < a.length && less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

const less = (x: [number, number, number], y: [number, number, number]): boolean =>
  x[0] < y[0] || (x[0] === y[0] && x[1] < y[1]);
