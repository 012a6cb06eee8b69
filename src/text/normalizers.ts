/** tokenizer.json `normalizer` entries, each a function over a {@link NormalizedString}. */
import { TokenizerError } from './errors.js';
import { NormalizedString } from './normalized.js';
import { escapeRegex, isChineseChar, translateRegex } from './unicode.js';

export type Normalizer = (s: NormalizedString) => NormalizedString;
type Json = Record<string, unknown>;

/** A `{String: s}` or `{Regex: r}` pattern as a global regular expression. */
export function patternRegex(pattern: unknown, where: string): RegExp {
  const p = (pattern ?? {}) as Json;
  if (typeof p.String === 'string') return new RegExp(escapeRegex(p.String), 'gu');
  if (typeof p.Regex === 'string') return new RegExp(translateRegex(p.Regex), 'gu');
  throw new TokenizerError(
    `${where}: pattern must be {String} or {Regex}, got ${JSON.stringify(p)}`,
  );
}

/**
 * Replace each match by `content`; the content takes the range of the match's last code point
 * (Rust aligns inserted characters with the character before them).
 */
export function replaceMatches(s: NormalizedString, re: RegExp, content: string): NormalizedString {
  let text = '';
  const starts: number[] = [];
  const ends: number[] = [];
  let last = 0;
  const keep = (a: number, b: number): void => {
    text += s.text.slice(a, b);
    for (let i = a; i < b; i++) {
      starts.push(s.starts[i]!);
      ends.push(s.ends[i]!);
    }
  };
  for (const m of s.text.matchAll(re)) {
    if (m[0].length === 0) continue;
    keep(last, m.index);
    const at = m.index + m[0].length - 1;
    text += content;
    for (let k = 0; k < content.length; k++) {
      starts.push(s.starts[at]!);
      ends.push(s.ends[at]!);
    }
    last = m.index + m[0].length;
  }
  keep(last, s.text.length);
  return new NormalizedString(text, starts, ends);
}

const stripMarks = (s: NormalizedString): NormalizedString =>
  s.map((c) => c.normalize('NFD')).map((c) => (/^\p{Mn}$/u.test(c) ? '' : c));

function bert(o: Json): Normalizer {
  const clean = o.clean_text !== false;
  const chinese = o.handle_chinese_chars !== false;
  const lowercase = o.lowercase !== false;
  // Rust: strip_accents defaults to the value of lowercase when null.
  const strip = typeof o.strip_accents === 'boolean' ? o.strip_accents : lowercase;
  return (s) => {
    let r = s;
    if (clean) {
      r = r.map((c) => {
        if (c === '\t' || c === '\n' || c === '\r') return ' ';
        if (c === '\0' || c === '\ufffd' || /^\p{C}$/u.test(c)) return '';
        return /^\p{White_Space}$/u.test(c) ? ' ' : c;
      });
    }
    if (chinese) r = r.map((c) => (isChineseChar(c.codePointAt(0)!) ? ` ${c} ` : c));
    if (strip) r = stripMarks(r);
    if (lowercase) r = r.map((c) => c.toLowerCase());
    return r;
  };
}

/** Build the normalizer a tokenizer.json describes; null for none. */
export function buildNormalizer(json: unknown): Normalizer | null {
  if (json === null || json === undefined) return null;
  const o = json as Json;
  switch (o.type) {
    case 'BertNormalizer':
      return bert(o);
    case 'Lowercase':
      return (s) => s.map((c) => c.toLowerCase());
    case 'NFD':
      return (s) => s.map((c) => c.normalize('NFD'));
    case 'NFKD':
      return (s) => s.map((c) => c.normalize('NFKD'));
    case 'NFC':
      return (s) => s.mapClusters((c) => c.normalize('NFC'));
    case 'NFKC':
      return (s) => s.mapClusters((c) => c.normalize('NFKC'));
    case 'StripAccents':
      return (s) => s.map((c) => (/^\p{Mn}$/u.test(c) ? '' : c));
    case 'Strip': {
      const left = o.strip_left !== false;
      const right = o.strip_right !== false;
      return (s) => {
        const t = s.text;
        const a = left ? t.length - t.replace(/^\p{White_Space}+/u, '').length : 0;
        const b = right ? t.replace(/\p{White_Space}+$/u, '').length : t.length;
        return s.slice(a, Math.max(a, b));
      };
    }
    case 'Replace': {
      const re = patternRegex(o.pattern, 'Replace normalizer');
      const content = String(o.content ?? '');
      return (s) => replaceMatches(s, re, content);
    }
    case 'Prepend': {
      const prefix = String(o.prepend ?? '');
      return (s) => s.prepend(prefix);
    }
    case 'Sequence': {
      const parts = ((o.normalizers ?? []) as unknown[]).map(buildNormalizer);
      return (s) => parts.reduce((acc, n) => (n ? n(acc) : acc), s);
    }
    default:
      throw new TokenizerError(
        `normalizer type ${JSON.stringify(o.type)} is not supported ` +
          '(supported: BertNormalizer, Lowercase, NFC, NFD, NFKC, NFKD, StripAccents, Strip, ' +
          'Replace, Prepend, Sequence)',
      );
  }
}
