/**
 * The result of encoding one sequence or a pair, in Hugging Face's `Encoding` layout, and the
 * operations the Rust library performs on it: truncation into overflowing windows, merging a pair
 * (with every combination of their overflowing windows), and padding.
 */
import { TokenizerError } from './errors.js';

export interface Encoding {
  ids: number[];
  typeIds: number[];
  tokens: string[];
  /** [start, end) into the input string, in UTF-16 units; [0, 0] for added special tokens. */
  offsets: [number, number][];
  /** Index of the pre-tokenized word each token came from; null for special tokens. */
  wordIds: (number | null)[];
  /** 0 (first) or 1 (second) for tokens of an input sequence, null for added special tokens. */
  sequenceIds: (number | null)[];
  specialTokensMask: number[];
  attentionMask: number[];
  /** The windows that truncation cut off, each a full encoding of its own. */
  overflowing: Encoding[];
}

export type TruncationDirection = 'right' | 'left';

export function emptyEncoding(): Encoding {
  return {
    ids: [],
    typeIds: [],
    tokens: [],
    offsets: [],
    wordIds: [],
    sequenceIds: [],
    specialTokensMask: [],
    attentionMask: [],
    overflowing: [],
  };
}

const FIELDS = [
  'ids',
  'typeIds',
  'tokens',
  'offsets',
  'wordIds',
  'sequenceIds',
  'specialTokensMask',
  'attentionMask',
] as const;

function slice(e: Encoding, start: number, stop: number): Encoding {
  const out = emptyEncoding();
  for (const f of FIELDS) (out[f] as unknown[]) = (e[f] as unknown[]).slice(start, stop);
  return out;
}

export function cloneEncoding(e: Encoding): Encoding {
  const out = slice(e, 0, e.ids.length);
  out.overflowing = e.overflowing.map(cloneEncoding);
  return out;
}

/**
 * Cut `e` to `maxLength` tokens; the rest goes to `e.overflowing` as windows of `maxLength` that
 * overlap the previous window by `stride` tokens (Rust `Encoding::truncate`).
 */
export function truncateEncoding(
  e: Encoding,
  maxLength: number,
  stride: number,
  direction: TruncationDirection = 'right',
): void {
  const n = e.ids.length;
  if (maxLength >= n) return;
  if (maxLength === 0) {
    const whole = slice(e, 0, n);
    for (const f of FIELDS) (e[f] as unknown[]) = [];
    e.overflowing = [whole];
    return;
  }
  if (stride >= maxLength) {
    throw new TokenizerError(
      `truncate: stride (${stride}) must be smaller than the room left for the sequence ` +
        `(${maxLength} tokens, after subtracting special tokens)`,
    );
  }
  const step = maxLength - stride;
  const parts: [number, number][] = [];
  if (direction === 'right') {
    for (let start = 0; start < n; start += step) {
      const stop = Math.min(start + maxLength, n);
      parts.push([start, stop]);
      if (stop === n) break;
    }
  } else {
    for (let stop = n; stop > 0; stop -= step) {
      const start = Math.max(stop - maxLength, 0);
      parts.push([start, stop]);
      if (start === 0) break;
    }
  }
  const pieces = parts.map(([a, b]) => slice(e, a, b));
  const first = pieces[0]!;
  for (const f of FIELDS) (e[f] as unknown[]) = first[f];
  e.overflowing = pieces.slice(1);
}

/** Concatenate `b` after `a` (no offset shifting), combining their overflowing windows as Rust. */
export function mergeEncodings(a: Encoding, b: Encoding): Encoding {
  const overflowing: Encoding[] = [];
  for (const ao of a.overflowing) {
    overflowing.push(mergeEncodings(ao, stripOverflow(b)));
    for (const bo of b.overflowing) overflowing.push(mergeEncodings(ao, bo));
  }
  for (const bo of b.overflowing) overflowing.push(mergeEncodings(stripOverflow(a), bo));
  const out = emptyEncoding();
  for (const f of FIELDS) (out[f] as unknown[]) = [...(a[f] as unknown[]), ...(b[f] as unknown[])];
  out.overflowing = overflowing;
  return out;
}

function stripOverflow(e: Encoding): Encoding {
  return { ...e, overflowing: [] };
}

export interface PadOptions {
  length: number;
  padId: number;
  padTypeId: number;
  padToken: string;
  side: 'right' | 'left';
}

/** Pad `e` and its overflowing windows to `length` tokens (no-op when already that long). */
export function padEncoding(e: Encoding, o: PadOptions): void {
  for (const w of e.overflowing) padEncoding(w, o);
  const k = o.length - e.ids.length;
  if (k <= 0) return;
  const fill = <T>(arr: T[], v: T): T[] => {
    const pad = new Array<T>(k).fill(v);
    return o.side === 'right' ? [...arr, ...pad] : [...pad, ...arr];
  };
  e.ids = fill(e.ids, o.padId);
  e.typeIds = fill(e.typeIds, o.padTypeId);
  e.tokens = fill(e.tokens, o.padToken);
  e.offsets = fill<[number, number]>(e.offsets, [0, 0]).map((x) => [x[0], x[1]]);
  e.wordIds = fill<number | null>(e.wordIds, null);
  e.sequenceIds = fill<number | null>(e.sequenceIds, null);
  e.specialTokensMask = fill(e.specialTokensMask, 1);
  e.attentionMask = fill(e.attentionMask, 0);
}
