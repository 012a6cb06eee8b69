/**
 * A small strict JSON parser for safetensors headers.
 *
 * JSON.parse cannot serve here: it keeps the last of duplicate keys without a word (so two readers
 * could disagree on which tensor a name means), and it builds plain objects, where a `__proto__`
 * key is one careless spread away from prototype pollution. This parser builds Maps, rejects
 * duplicate keys at every level, bounds the nesting depth, rejects lone surrogate escapes (they
 * cannot be written back as UTF-8), and marks numbers written with a fraction or exponent so that
 * integer fields can refuse `1.0` and `1e3`, as the Rust reference (serde, usize) does.
 */

export type JsonValue = null | boolean | number | string | JsonFloat | JsonValue[] | JsonObject;
export type JsonObject = Map<string, JsonValue>;

/** A number written with a fraction or an exponent. Integer literals are plain numbers. */
export class JsonFloat {
  constructor(readonly value: number) {}
}

/** A syntax error, duplicate key or over-deep nesting; `position` is a character index. */
export class JsonError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} at character ${position}`);
  }
}

const LITERALS = [
  ['true', true],
  ['false', false],
  ['null', null],
] as const;
const HEX4 = /[0-9a-fA-F]{4}/y;
const ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/** Parse a complete JSON document; containers nest at most `maxDepth` deep. */
export function parseJson(text: string, maxDepth: number): JsonValue {
  return new Parser(text, maxDepth).document();
}

class Parser {
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {}

  document(): JsonValue {
    const value = this.value(0);
    this.skipWhitespace();
    if (this.pos < this.text.length) throw this.unexpected('after the JSON value');
    return value;
  }

  private value(depth: number): JsonValue {
    this.skipWhitespace();
    const c = this.text[this.pos];
    if (c === '{') return this.object(depth + 1);
    if (c === '[') return this.array(depth + 1);
    if (c === '"') return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    for (const [word, value] of LITERALS) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return value;
      }
    }
    throw this.unexpected('where a value should start');
  }

  private object(depth: number): JsonObject {
    this.checkDepth(depth);
    this.pos++;
    const map: JsonObject = new Map();
    this.skipWhitespace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return map;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.pos] !== '"') throw this.unexpected('where a key should start');
      const keyAt = this.pos;
      const key = this.string();
      if (map.has(key)) throw new JsonError(`duplicate key ${JSON.stringify(clip(key))}`, keyAt);
      this.skipWhitespace();
      if (this.text[this.pos] !== ':') throw this.unexpected("where ':' should follow a key");
      this.pos++;
      map.set(key, this.value(depth));
      this.skipWhitespace();
      const c = this.text[this.pos++];
      if (c === '}') return map;
      if (c !== ',') {
        this.pos--;
        throw this.unexpected("where ',' or '}' should be");
      }
    }
  }

  private array(depth: number): JsonValue[] {
    this.checkDepth(depth);
    this.pos++;
    const items: JsonValue[] = [];
    this.skipWhitespace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return items;
    }
    for (;;) {
      items.push(this.value(depth));
      this.skipWhitespace();
      const c = this.text[this.pos++];
      if (c === ']') return items;
      if (c !== ',') {
        this.pos--;
        throw this.unexpected("where ',' or ']' should be");
      }
    }
  }

  private string(): string {
    this.pos++;
    let out = '';
    const text = this.text;
    for (;;) {
      // Scan a run of plain characters by char code: far cheaper than a regex match per string.
      const start = this.pos;
      let c = text.charCodeAt(this.pos);
      while (c >= 0x20 && c !== 0x22 && c !== 0x5c) c = text.charCodeAt(++this.pos);
      out += text.slice(start, this.pos);
      if (c === 0x22) {
        this.pos++;
        return out;
      }
      if (Number.isNaN(c)) throw new JsonError('unterminated string', this.pos);
      if (c !== 0x5c) {
        const code = c.toString(16).toUpperCase().padStart(4, '0');
        throw new JsonError(`unescaped control character U+${code} in a string`, this.pos);
      }
      out += this.escape();
    }
  }

  private escape(): string {
    const at = this.pos;
    const c = this.text[this.pos + 1];
    this.pos += 2;
    if (c !== 'u') {
      const plain = c === undefined ? undefined : ESCAPES[c];
      if (plain === undefined) throw new JsonError('invalid escape sequence', at);
      return plain;
    }
    const unit = this.hex4(at);
    if (unit >= 0xdc00 && unit <= 0xdfff) throw new JsonError('lone low surrogate escape', at);
    if (unit < 0xd800 || unit > 0xdbff) return String.fromCharCode(unit);
    if (this.text[this.pos] !== '\\' || this.text[this.pos + 1] !== 'u') {
      throw new JsonError('lone high surrogate escape', at);
    }
    this.pos += 2;
    const low = this.hex4(at);
    if (low < 0xdc00 || low > 0xdfff) throw new JsonError('lone high surrogate escape', at);
    return String.fromCharCode(unit, low);
  }

  private hex4(at: number): number {
    HEX4.lastIndex = this.pos;
    const m = HEX4.exec(this.text);
    if (m === null) throw new JsonError('invalid \\u escape', at);
    this.pos += 4;
    return parseInt(m[0], 16);
  }

  private number(): number | JsonFloat {
    // Grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    const start = this.pos;
    if (this.text[this.pos] === '-') this.pos++;
    if (this.text[this.pos] === '0') this.pos++;
    else if (this.digits() === 0) throw this.unexpected('in a number');
    let integer = true;
    if (this.text[this.pos] === '.') {
      this.pos++;
      if (this.digits() === 0) throw this.unexpected('in a number');
      integer = false;
    }
    const e = this.text[this.pos];
    if (e === 'e' || e === 'E') {
      this.pos++;
      const sign = this.text[this.pos];
      if (sign === '+' || sign === '-') this.pos++;
      if (this.digits() === 0) throw this.unexpected('in a number');
      integer = false;
    }
    const value = Number(this.text.slice(start, this.pos));
    return integer ? value : new JsonFloat(value);
  }

  private digits(): number {
    const start = this.pos;
    let c = this.text.charCodeAt(this.pos);
    while (c >= 0x30 && c <= 0x39) c = this.text.charCodeAt(++this.pos);
    return this.pos - start;
  }

  private skipWhitespace(): void {
    let c = this.text.charCodeAt(this.pos);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)
      c = this.text.charCodeAt(++this.pos);
  }

  private checkDepth(depth: number): void {
    if (depth > this.maxDepth) {
      throw new JsonError(`nesting deeper than ${this.maxDepth} levels`, this.pos);
    }
  }

  private unexpected(where: string): JsonError {
    const c = this.text[this.pos];
    if (c === undefined) return new JsonError(`unexpected end of JSON ${where}`, this.pos);
    // Invisible characters (a BOM, NUL padding) are named by code point, or the message says nothing.
    const code = this.text.codePointAt(this.pos)!;
    const shown =
      code > 0x20 && code < 0x7f
        ? JSON.stringify(c)
        : `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
    return new JsonError(`unexpected ${shown} ${where}`, this.pos);
  }
}

/** Keep quoted values in messages short enough to stay on one readable line. */
export function clip(s: string, max = 64): string {
  return s.length <= max ? s : `${s.slice(0, max)}...`;
}
