/**
 * tokenizer.json `pre_tokenizer` entries. A pre-tokenized string is a list of splits, each a
 * {@link NormalizedString} that still knows its original offsets; splits that already hold a token
 * (added tokens) pass through untouched, as in Rust.
 */
import { toByteChars } from './byte-level.js';
import { TokenizerError } from './errors.js';
import { NormalizedString } from './normalized.js';
import { patternRegex } from './normalizers.js';
import { escapeRegex } from './unicode.js';

export interface Token {
  id: number;
  value: string;
  /** Offsets into the split's normalised text. */
  start: number;
  end: number;
}

export interface Split {
  ns: NormalizedString;
  tokens: Token[] | null;
}

export type PreTokenizer = (splits: Split[]) => Split[];
export type Behavior =
  'Removed' | 'Isolated' | 'MergedWithPrevious' | 'MergedWithNext' | 'Contiguous';
type Json = Record<string, unknown>;

/** Apply `fn` to every split without tokens; `i` is its index among all splits. */
export function splitEach(
  splits: Split[],
  fn: (i: number, ns: NormalizedString) => NormalizedString[],
): Split[] {
  const out: Split[] = [];
  splits.forEach((s, i) => {
    if (s.tokens) out.push(s);
    else for (const ns of fn(i, s.ns)) if (ns.length > 0) out.push({ ns, tokens: null });
  });
  return out;
}

/** Rust `NormalizedString::split(pattern, behavior)` with a global regex as the pattern. */
export function splitBy(
  ns: NormalizedString,
  re: RegExp,
  behavior: Behavior,
  invert = false,
): NormalizedString[] {
  const pieces: [number, number, boolean][] = [];
  let prev = 0;
  for (const m of ns.text.matchAll(re)) {
    const a = m.index;
    const b = a + m[0].length;
    if (prev !== a) pieces.push([prev, a, invert]);
    pieces.push([a, b, !invert]);
    prev = b;
  }
  if (prev !== ns.length) pieces.push([prev, ns.length, invert]);
  let ranges: [number, number][] = [];
  if (behavior === 'Removed') ranges = pieces.filter((p) => !p[2]).map((p) => [p[0], p[1]]);
  else if (behavior === 'Isolated') ranges = pieces.map((p) => [p[0], p[1]]);
  else if (behavior === 'MergedWithPrevious' || behavior === 'Contiguous') {
    let previous = false;
    for (const [a, b, m] of pieces) {
      const merge = behavior === 'Contiguous' ? m === previous : m && !previous;
      if (merge && ranges.length > 0) ranges[ranges.length - 1]![1] = b;
      else ranges.push([a, b]);
      previous = m;
    }
  } else {
    let previous = false;
    for (let k = pieces.length - 1; k >= 0; k--) {
      const [a, b, m] = pieces[k]!;
      if (m && !previous && ranges.length > 0) ranges[ranges.length - 1]![0] = a;
      else ranges.push([a, b]);
      previous = m;
    }
    ranges.reverse();
  }
  return ranges.filter(([a, b]) => b > a).map(([a, b]) => ns.slice(a, b));
}

const GPT2_PATTERN =
  /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+/gu;
const WHITESPACE_CHAR = /\p{White_Space}/gu;
const PUNCT_CHAR = /[!-/:-@[-`{-~]|\p{P}/gu;
const WORDS = /[\p{L}\p{M}\p{Nd}\p{Pc}]+|[^\p{L}\p{M}\p{Nd}\p{Pc}\p{White_Space}]+/gu;

function byteLevel(o: Json): PreTokenizer {
  const addPrefixSpace = o.add_prefix_space === true;
  const useRegex = o.use_regex !== false;
  return (splits) =>
    splitEach(splits, (_, ns) => {
      const s = addPrefixSpace && !ns.text.startsWith(' ') ? ns.prepend(' ') : ns;
      return useRegex ? splitBy(s, GPT2_PATTERN, 'Isolated') : [s];
    }).map((sp) => (sp.tokens ? sp : { ns: sp.ns.map(toByteChars), tokens: null }));
}

function metaspace(o: Json): PreTokenizer {
  const rep = typeof o.replacement === 'string' ? o.replacement : '\u2581';
  // Older files say add_prefix_space; newer ones prepend_scheme (always | first | never).
  const scheme =
    typeof o.prepend_scheme === 'string'
      ? o.prepend_scheme
      : o.add_prefix_space === false
        ? 'never'
        : 'always';
  const doSplit = o.split !== false;
  const repRe = new RegExp(escapeRegex(rep), 'gu');
  return (splits) =>
    splitEach(splits, (_, ns) => {
      let s = ns.map((c) => (c === ' ' ? rep : c));
      const prepend =
        !s.text.startsWith(rep) &&
        (scheme === 'always' || (scheme === 'first' && s.originalStart() === 0));
      if (prepend) s = s.prepend(rep);
      return doSplit ? splitBy(s, repRe, 'MergedWithNext') : [s];
    });
}

/** Build the pre-tokenizer a tokenizer.json describes; null for none. */
export function buildPreTokenizer(json: unknown): PreTokenizer | null {
  if (json === null || json === undefined) return null;
  const o = json as Json;
  const by =
    (re: RegExp, behavior: Behavior, invert = false): PreTokenizer =>
    (splits) =>
      splitEach(splits, (_, ns) => splitBy(ns, re, behavior, invert));
  switch (o.type) {
    case 'ByteLevel':
      return byteLevel(o);
    case 'Metaspace':
      return metaspace(o);
    case 'BertPreTokenizer': {
      const ws = by(WHITESPACE_CHAR, 'Removed');
      const punct = by(PUNCT_CHAR, 'Isolated');
      return (splits) => punct(ws(splits));
    }
    case 'Whitespace':
      return by(WORDS, 'Removed', true);
    case 'WhitespaceSplit':
      return by(WHITESPACE_CHAR, 'Removed');
    case 'Punctuation':
      return by(PUNCT_CHAR, (o.behavior as Behavior) ?? 'Isolated');
    case 'Digits':
      return by(/\p{N}/gu, o.individual_digits === true ? 'Isolated' : 'Contiguous');
    case 'CharDelimiterSplit':
      return by(new RegExp(escapeRegex(String(o.delimiter)), 'gu'), 'Removed');
    case 'Split':
      return by(
        patternRegex(o.pattern, 'Split pre-tokenizer'),
        o.behavior as Behavior,
        o.invert === true,
      );
    case 'Sequence': {
      const parts = ((o.pretokenizers ?? []) as unknown[]).map(buildPreTokenizer);
      return (splits) => parts.reduce((acc, p) => (p ? p(acc) : acc), splits);
    }
    default:
      throw new TokenizerError(
        `pre_tokenizer type ${JSON.stringify(o.type)} is not supported (supported: ByteLevel, ` +
          'Metaspace, BertPreTokenizer, Whitespace, WhitespaceSplit, Punctuation, Digits, ' +
          'CharDelimiterSplit, Split, Sequence)',
      );
  }
}
