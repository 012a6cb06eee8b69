/**
 * Character classes as the Rust tokenizers library defines them, and a translator from the
 * Oniguruma patterns found in tokenizer.json files to JavaScript `u`-mode regular expressions.
 */
import { TokenizerError } from './errors.js';

/** Rust `char::is_whitespace`: the Unicode White_Space property. */
export const isWhitespace = (c: string): boolean => /^\p{White_Space}$/u.test(c);

/** BERT punctuation: ASCII punctuation or any Unicode P* category. */
export const isBertPunctuation = (c: string): boolean =>
  /^[!-/:-@[-`{-~]$/.test(c) || /^\p{P}$/u.test(c);

/** Rust `char::is_alphanumeric() || c == '_'` (added tokens' word boundaries). */
export const isWordChar = (c: string): boolean => /^[\p{Alphabetic}\p{N}_]$/u.test(c);

/** The CJK ideograph blocks BERT puts spaces around. */
export function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b920 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

// Oniguruma (which the Rust library compiles these patterns with) gives \w, \s and \d their
// Unicode meaning; JavaScript's are ASCII-only even in `u` mode.
const CLASS_BODY: Record<string, string> = {
  w: '\\p{L}\\p{M}\\p{Nd}\\p{Pc}',
  s: '\\p{White_Space}',
  d: '\\p{Nd}',
};

/**
 * Translate an Oniguruma pattern to a JavaScript source for the `gu` flags. Handles the constructs
 * real tokenizer.json files use: Unicode \w \s \d (and negations), `(?i:...)` groups (expanded to
 * ASCII case pairs, since Node 20 lacks inline modifiers) and possessive quantifiers (read as
 * greedy ones, which give the same matches for the GPT-4-style patterns they appear in).
 */
export function translateRegex(pattern: string): string {
  let out = '';
  let inClass = false;
  let caseless = 0;
  const groups: boolean[] = [];
  // Whether the last thing emitted was a quantifier: a '+' right after one makes it possessive.
  let afterQuantifier = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    const wasQuantifier = afterQuantifier;
    afterQuantifier = false;
    if (c === '\\') {
      const n = pattern[i + 1] ?? '';
      i++;
      const lower = n.toLowerCase();
      if (lower in CLASS_BODY) {
        const body = CLASS_BODY[lower]!;
        if (n === lower) out += inClass ? body : `[${body}]`;
        else if (inClass) {
          if (lower !== 's') throw unsupported(pattern, `\\${n} inside a class`);
          out += '\\P{White_Space}';
        } else out += `[^${body}]`;
      } else if ((n === 'p' || n === 'P') && pattern[i + 1] === '{') {
        // Keep \p{...} whole, so that its closing brace is not mistaken for a quantifier's.
        const end = pattern.indexOf('}', i);
        out += `\\${n}${pattern.slice(i + 1, end + 1)}`;
        i = end;
      } else if (n === 'A') out += '^';
      else if (n === 'z' || n === 'Z') out += '$';
      else out += `\\${n}`;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += caseless > 0 && /[a-zA-Z]/.test(c) ? caseChars(c) : c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (pattern[i + 1] === '^') out += pattern[++i];
      continue;
    }
    if (c === '(') {
      if (pattern.startsWith('(?i:', i)) {
        groups.push(true);
        caseless++;
        out += '(?:';
        i += 3;
        continue;
      }
      groups.push(false);
      out += c;
      continue;
    }
    if (c === ')') {
      if (groups.pop() === true) caseless--;
      out += c;
      continue;
    }
    if (c === '+' && wasQuantifier) continue;
    afterQuantifier = c === '+' || c === '*' || c === '?' || c === '}';
    out += caseless > 0 && /[a-zA-Z]/.test(c) ? `[${caseChars(c)}]` : c;
  }
  try {
    new RegExp(out, 'gu');
  } catch (err) {
    throw new TokenizerError(
      `cannot translate pattern ${JSON.stringify(pattern)}: ${String(err)}`,
      {
        cause: err,
      },
    );
  }
  return out;
}

function caseChars(c: string): string {
  return c.toLowerCase() + c.toUpperCase();
}

function unsupported(pattern: string, what: string): TokenizerError {
  return new TokenizerError(`unsupported construct ${what} in pattern ${JSON.stringify(pattern)}`);
}

/** A literal string as a regular expression source. */
export function escapeRegex(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}
