/**
 * A string under normalisation that remembers where each of its UTF-16 units came from in the
 * original text. Hugging Face's Rust `NormalizedString` keeps one alignment per byte; we keep one
 * per UTF-16 unit so that offsets come out as JavaScript string indices (`text.slice(s, e)` works),
 * where the Rust and Python libraries report code points.
 *
 * Every transformation is per code point: each output unit inherits the original range of the code
 * point it came from (an inserted character shares its neighbour's range, a removed one vanishes).
 * That is exactly Rust's rule for the per-character transforms tokenizers use (lowercase, NFD +
 * strip accents, BERT cleaning, byte-level mapping, `replace` of one character, `prepend`).
 */
export class NormalizedString {
  /** `starts[i]`, `ends[i]`: the original range behind unit `i` of `text`. */
  constructor(
    readonly text: string,
    readonly starts: number[],
    readonly ends: number[],
  ) {}

  /** The identity alignment over `text`, shifted by `offset` original units. */
  static from(text: string, offset = 0): NormalizedString {
    const starts: number[] = new Array(text.length);
    const ends: number[] = new Array(text.length);
    for (let i = 0; i < text.length;) {
      const n = unitLength(text, i);
      for (let k = 0; k < n; k++) {
        starts[i + k] = offset + i;
        ends[i + k] = offset + i + n;
      }
      i += n;
    }
    return new NormalizedString(text, starts, ends);
  }

  get length(): number {
    return this.text.length;
  }

  /** Replace every code point by `fn(cp)` (possibly empty or several code points). */
  map(fn: (cp: string) => string): NormalizedString {
    let text = '';
    const starts: number[] = [];
    const ends: number[] = [];
    for (let i = 0; i < this.text.length;) {
      const n = unitLength(this.text, i);
      const out = fn(this.text.slice(i, i + n));
      text += out;
      for (let k = 0; k < out.length; k++) {
        starts.push(this.starts[i]!);
        ends.push(this.ends[i]!);
      }
      i += n;
    }
    return new NormalizedString(text, starts, ends);
  }

  /**
   * Apply a whole-string transform that may merge code points (NFC, NFKC) one cluster at a time:
   * a cluster is a base character and the combining marks after it. Output code point k of a
   * cluster takes the range of input code point min(k, n-1), Rust's rule for compositions.
   */
  mapClusters(fn: (cluster: string) => string): NormalizedString {
    let text = '';
    const starts: number[] = [];
    const ends: number[] = [];
    const re = /\P{M}\p{M}*|\p{M}+/gsu;
    for (const m of this.text.matchAll(re)) {
      const at = m.index;
      const inCps = codePointStarts(m[0]).map((s) => s + at);
      const out = fn(m[0]);
      const outCps = codePointStarts(out);
      for (let k = 0; k < outCps.length; k++) {
        const src = inCps[Math.min(k, inCps.length - 1)]!;
        const len = (outCps[k + 1] ?? out.length) - outCps[k]!;
        for (let u = 0; u < len; u++) {
          starts.push(this.starts[src]!);
          ends.push(this.ends[src]!);
        }
      }
      text += out;
    }
    return new NormalizedString(text, starts, ends);
  }

  /** `prefix + this`; the prefix shares the first character's range (Rust's `prepend`). */
  prepend(prefix: string): NormalizedString {
    if (this.text.length === 0) return this;
    const s = this.starts[0]!;
    const e = this.ends[0]!;
    return new NormalizedString(
      prefix + this.text,
      [...new Array<number>(prefix.length).fill(s), ...this.starts],
      [...new Array<number>(prefix.length).fill(e), ...this.ends],
    );
  }

  slice(start: number, end: number): NormalizedString {
    return new NormalizedString(
      this.text.slice(start, end),
      this.starts.slice(start, end),
      this.ends.slice(start, end),
    );
  }

  /** The original range behind normalised units [start, end). */
  original(start: number, end: number): [number, number] {
    if (end <= start) {
      const at = start < this.starts.length ? this.starts[start]! : (this.ends.at(-1) ?? 0);
      return [at, at];
    }
    return [this.starts[start]!, this.ends[end - 1]!];
  }

  /** Original start of the whole string (Rust's `offsets_original().0`). */
  originalStart(): number {
    return this.starts[0] ?? 0;
  }
}

/** 2 at a surrogate pair, else 1. */
export function unitLength(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 2;
  }
  return 1;
}

/** UTF-16 index of each code point of `s`. */
export function codePointStarts(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i += unitLength(s, i)) out.push(i);
  return out;
}
