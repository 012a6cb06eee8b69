/** tokenizer.json `decoder` entries: token strings back to text, each a step of a chain. */
import { byteOfChar } from './byte-level.js';
import { TokenizerError } from './errors.js';
import { patternRegex } from './normalizers.js';

export type Decoder = (tokens: string[]) => string[];
type Json = Record<string, unknown>;

/** Undo BERT-style spacing around punctuation and contractions (Hugging Face's `cleanup`). */
export function cleanUpTokenization(s: string): string {
  return s
    .replaceAll(' .', '.')
    .replaceAll(' ?', '?')
    .replaceAll(' !', '!')
    .replaceAll(' ,', ',')
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(' do not', " don't")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

function byteLevel(tokens: string[]): string[] {
  const bytes: number[] = [];
  for (const t of tokens) {
    const bs = [...t].map(byteOfChar);
    if (bs.every((b) => b !== undefined)) bytes.push(...(bs as number[]));
    else bytes.push(...new TextEncoder().encode(t));
  }
  return [utf8.decode(new Uint8Array(bytes))];
}

function byteFallback(tokens: string[]): string[] {
  const out: string[] = [];
  let pending: number[] = [];
  const flush = (): void => {
    if (pending.length === 0) return;
    try {
      out.push(utf8Strict.decode(new Uint8Array(pending)));
    } catch {
      for (let i = 0; i < pending.length; i++) out.push('\ufffd');
    }
    pending = [];
  };
  for (const t of tokens) {
    const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(t);
    if (m) pending.push(parseInt(m[1]!, 16));
    else {
      flush();
      out.push(t);
    }
  }
  flush();
  return out;
}

/** Build the decoder a tokenizer.json describes; null for none (tokens joined by spaces). */
export function buildDecoder(json: unknown): Decoder | null {
  if (json === null || json === undefined) return null;
  const o = json as Json;
  switch (o.type) {
    case 'ByteLevel':
      return byteLevel;
    case 'ByteFallback':
      return byteFallback;
    case 'Fuse':
      return (tokens) => [tokens.join('')];
    case 'WordPiece': {
      const prefix = typeof o.prefix === 'string' ? o.prefix : '##';
      const cleanup = o.cleanup !== false;
      return (tokens) =>
        tokens.map((t, i) => {
          let s = t;
          if (i !== 0) s = s.startsWith(prefix) ? s.slice(prefix.length) : ` ${s}`;
          return cleanup ? cleanUpTokenization(s) : s;
        });
    }
    case 'Metaspace': {
      const rep = typeof o.replacement === 'string' ? o.replacement : '\u2581';
      const scheme =
        typeof o.prepend_scheme === 'string'
          ? o.prepend_scheme
          : o.add_prefix_space === false
            ? 'never'
            : 'always';
      return (tokens) =>
        tokens.map((t, i) =>
          [...t].map((c) => (c === rep ? (i === 0 && scheme !== 'never' ? '' : ' ') : c)).join(''),
        );
    }
    case 'Replace': {
      const re = patternRegex(o.pattern, 'Replace decoder');
      const content = String(o.content ?? '');
      return (tokens) => tokens.map((t) => t.replace(re, content));
    }
    case 'Strip': {
      const content = String(o.content ?? ' ');
      const start = Number(o.start ?? 0);
      const stop = Number(o.stop ?? 0);
      return (tokens) =>
        tokens.map((t) => {
          const cps = [...t];
          let a = 0;
          while (a < start && cps[a] === content) a++;
          let b = cps.length;
          while (cps.length - b < stop && b > a && cps[b - 1] === content) b--;
          return cps.slice(a, b).join('');
        });
    }
    case 'BPEDecoder': {
      const suffix = typeof o.suffix === 'string' ? o.suffix : '</w>';
      return (tokens) =>
        tokens.map((t, i) => t.replaceAll(suffix, i === tokens.length - 1 ? '' : ' '));
    }
    case 'Sequence': {
      const parts = ((o.decoders ?? []) as unknown[]).map(buildDecoder);
      return (tokens) => parts.reduce((acc, d) => (d ? d(acc) : acc), tokens);
    }
    default:
      throw new TokenizerError(
        `decoder type ${JSON.stringify(o.type)} is not supported (supported: ByteLevel, ` +
          'ByteFallback, Fuse, WordPiece, Metaspace, Replace, Strip, BPEDecoder, Sequence)',
      );
  }
}
