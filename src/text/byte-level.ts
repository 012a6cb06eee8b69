/**
 * GPT-2's byte <-> printable character table: every byte gets a visible code point so that BPE
 * can run on text with no spaces or control characters in it.
 */
const BYTE_TO_CHAR: string[] = [];
const CHAR_TO_BYTE = new Map<string, number>();

{
  const direct = (b: number): boolean =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    const cp = direct(b) ? b : 256 + n++;
    BYTE_TO_CHAR[b] = String.fromCodePoint(cp);
    CHAR_TO_BYTE.set(BYTE_TO_CHAR[b]!, b);
  }
}

const encoder = new TextEncoder();

/** A code point as its byte-level characters (one per UTF-8 byte). */
export function toByteChars(cp: string): string {
  let out = '';
  for (const b of encoder.encode(cp)) out += BYTE_TO_CHAR[b];
  return out;
}

/** The 256 byte-level characters (the initial alphabet of a byte-level BPE). */
export function byteLevelAlphabet(): string[] {
  return [...BYTE_TO_CHAR];
}

/** The byte behind a byte-level character, or undefined for any other character. */
export function byteOfChar(c: string): number | undefined {
  return CHAR_TO_BYTE.get(c);
}

/** The byte-level character for `b`. */
export function charOfByte(b: number): string {
  return BYTE_TO_CHAR[b]!;
}
