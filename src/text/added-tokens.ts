/**
 * Added tokens (special tokens such as [CLS] or <|endoftext|>, and user-added words): found in the
 * text before the model sees it, leftmost-longest as Rust's Aho-Corasick matcher does, honouring
 * `single_word`, `lstrip` and `rstrip`. Tokens with `normalized: false` are matched in the raw
 * text, the others in the normalised text.
 */
import { TokenizerError } from './errors.js';
import type { NormalizedString } from './normalized.js';
import { isWhitespace, isWordChar } from './unicode.js';

export interface AddedToken {
  id: number;
  content: string;
  singleWord: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

export function parseAddedToken(o: unknown, where: string): AddedToken {
  const j = (o ?? {}) as Record<string, unknown>;
  if (typeof j.id !== 'number' || typeof j.content !== 'string' || j.content === '') {
    throw new TokenizerError(
      `${where}: an added token needs a numeric id and non-empty content, got ${JSON.stringify(o)}`,
    );
  }
  return {
    id: j.id,
    content: j.content,
    singleWord: j.single_word === true,
    lstrip: j.lstrip === true,
    rstrip: j.rstrip === true,
    normalized: j.normalized !== false,
    special: j.special === true,
  };
}

export function addedTokenJSON(t: AddedToken): Record<string, unknown> {
  return {
    id: t.id,
    content: t.content,
    single_word: t.singleWord,
    lstrip: t.lstrip,
    rstrip: t.rstrip,
    normalized: t.normalized,
    special: t.special,
  };
}

/** A piece of the input: plain text, or an added token's id. */
export interface Piece {
  start: number;
  end: number;
  id: number | null;
}

/** Finds added tokens in a string. `patterns` maps each searched string to its token. */
export class AddedMatcher {
  private readonly byFirst = new Map<number, [string, AddedToken][]>();

  constructor(patterns: [string, AddedToken][]) {
    for (const p of patterns) {
      if (p[0] === '') continue;
      const k = p[0].charCodeAt(0);
      const list = this.byFirst.get(k) ?? [];
      list.push(p);
      this.byFirst.set(k, list);
    }
    for (const list of this.byFirst.values()) list.sort((a, b) => b[0].length - a[0].length);
  }

  get empty(): boolean {
    return this.byFirst.size === 0;
  }

  split(text: string): Piece[] {
    const out: Piece[] = [];
    let from = 0;
    let pos = 0;
    while (pos < text.length) {
      const hit = this.longestAt(text, pos);
      if (!hit) {
        pos++;
        continue;
      }
      const [pattern, tok] = hit;
      let start = pos;
      let stop = pos + pattern.length;
      pos = stop;
      if (tok.singleWord) {
        const before = start === 0 || !isWordChar(lastChar(text.slice(0, start)));
        const after = stop === text.length || !isWordChar(firstChar(text.slice(stop)));
        if (!before || !after) continue;
      }
      if (tok.lstrip) {
        let s = start;
        while (s > 0 && isWhitespace(lastChar(text.slice(0, s))))
          s -= lastChar(text.slice(0, s)).length;
        start = Math.max(s, from);
      }
      if (tok.rstrip) {
        while (stop < text.length && isWhitespace(firstChar(text.slice(stop))))
          stop += firstChar(text.slice(stop)).length;
        pos = stop;
      }
      if (from < start) out.push({ start: from, end: start, id: null });
      out.push({ start, end: stop, id: tok.id });
      from = stop;
    }
    if (from < text.length) out.push({ start: from, end: text.length, id: null });
    return out;
  }

  private longestAt(text: string, pos: number): [string, AddedToken] | undefined {
    const list = this.byFirst.get(text.charCodeAt(pos));
    return list?.find(([p]) => text.startsWith(p, pos));
  }
}

const lastChar = (s: string): string =>
  String.fromCodePoint(s.codePointAt(s.length - (/[\udc00-\udfff]$/.test(s) ? 2 : 1))!);
const firstChar = (s: string): string => String.fromCodePoint(s.codePointAt(0)!);

/** Split a normalised string around added tokens; token pieces carry their id. */
export function splitAdded(
  ns: NormalizedString,
  matcher: AddedMatcher,
): { ns: NormalizedString; id: number | null }[] {
  if (matcher.empty) return [{ ns, id: null }];
  return matcher.split(ns.text).map((p) => ({ ns: ns.slice(p.start, p.end), id: p.id }));
}
