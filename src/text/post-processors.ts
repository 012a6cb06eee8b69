/**
 * tokenizer.json `post_processor` entries: add the special tokens around one sequence or a pair
 * (Template, Bert, Roberta) and trim byte-level offsets. Each runs on the encodings of the input
 * sequences before they are merged; overflowing windows get the same treatment, as in Rust.
 */
import { type Encoding, emptyEncoding } from './encoding.js';
import { TokenizerError } from './errors.js';
import { isWhitespace } from './unicode.js';
import { charOfByte } from './byte-level.js';

export interface PostProcessor {
  /** How many special tokens `process` adds (truncation keeps room for them). */
  addedTokens(isPair: boolean): number;
  /** Transform the per-sequence encodings; the caller merges the result. */
  process(encodings: Encoding[], addSpecialTokens: boolean): Encoding[];
}
type Json = Record<string, unknown>;
type Piece = { special: string; typeId: number } | { seq: 0 | 1; typeId: number };

function specialEncoding(ids: number[], tokens: string[], typeId: number): Encoding {
  const e = emptyEncoding();
  e.ids = [...ids];
  e.tokens = [...tokens];
  e.typeIds = ids.map(() => typeId);
  e.offsets = ids.map(() => [0, 0]);
  e.wordIds = ids.map(() => null);
  e.sequenceIds = ids.map(() => null);
  e.specialTokensMask = ids.map(() => 1);
  e.attentionMask = ids.map(() => 1);
  return e;
}

function setTypeIds(e: Encoding, typeId: number): void {
  e.typeIds = e.ids.map(() => typeId);
  for (const o of e.overflowing) setTypeIds(o, typeId);
}

function template(
  single: Piece[],
  pair: Piece[],
  special: Map<string, { ids: number[]; tokens: string[] }>,
  // Bert/Roberta leave the encodings alone without special tokens; Template still sets type ids.
  onlyWithSpecial = false,
): PostProcessor {
  const count = (t: Piece[]): number =>
    t.reduce((n, p) => n + ('special' in p ? special.get(p.special)!.ids.length : 0), 0);
  return {
    addedTokens: (isPair) => count(isPair ? pair : single),
    process(encodings, add) {
      if (!add && onlyWithSpecial) return encodings;
      const t = encodings.length === 2 ? pair : single;
      const out: Encoding[] = [];
      for (const p of t) {
        if ('seq' in p) {
          const e = encodings[p.seq];
          if (!e) continue;
          setTypeIds(e, p.typeId);
          out.push(e);
        } else if (add) {
          const s = special.get(p.special)!;
          out.push(specialEncoding(s.ids, s.tokens, p.typeId));
        }
      }
      return out;
    },
  };
}

function parseTemplate(pieces: unknown, where: string): Piece[] {
  return ((pieces ?? []) as Json[]).map((p) => {
    const s = p.SpecialToken as Json | undefined;
    if (s) return { special: String(s.id), typeId: Number(s.type_id ?? 0) };
    const q = p.Sequence as Json | undefined;
    if (q) return { seq: q.id === 'B' ? 1 : 0, typeId: Number(q.type_id ?? 0) };
    throw new TokenizerError(`${where}: unknown template piece ${JSON.stringify(p)}`);
  });
}

const SPACE = charOfByte(32);

/** Rust `process_offsets`: move offsets past the leading/trailing spaces of byte-level tokens. */
function trimOffsets(e: Encoding, addPrefixSpace: boolean): void {
  e.tokens.forEach((tok, i) => {
    const cps = [...tok];
    const isSpace = (c: string): boolean => c === SPACE || isWhitespace(c);
    let lead = 0;
    while (lead < cps.length && isSpace(cps[lead]!)) lead++;
    let trail = 0;
    while (trail < cps.length && isSpace(cps[cps.length - 1 - trail]!)) trail++;
    const off = e.offsets[i]!;
    if (lead > 0) {
      if ((i === 0 || off[0] === 0) && addPrefixSpace && lead === 1) lead = 0;
      off[0] = Math.min(off[0] + lead, off[1]);
    }
    if (trail > 0 && off[1] >= trail) off[1] = Math.max(off[1] - trail, off[0]);
  });
  for (const o of e.overflowing) trimOffsets(o, addPrefixSpace);
}

function byteLevel(o: Json): PostProcessor {
  const trim = o.trim_offsets !== false;
  const prefix = o.add_prefix_space !== false;
  return {
    addedTokens: () => 0,
    process(encodings) {
      if (trim) for (const e of encodings) trimOffsets(e, prefix);
      return encodings;
    },
  };
}

function clsSep(o: Json, where: string): { cls: [string, number]; sep: [string, number] } {
  const pair = (v: unknown, name: string): [string, number] => {
    if (!Array.isArray(v) || typeof v[0] !== 'string' || typeof v[1] !== 'number') {
      throw new TokenizerError(`${where}: ${name} must be [token, id], got ${JSON.stringify(v)}`);
    }
    return [v[0], v[1]];
  };
  return { cls: pair(o.cls, 'cls'), sep: pair(o.sep, 'sep') };
}

/** Build the post-processor a tokenizer.json describes; null for none. */
export function buildPostProcessor(json: unknown): PostProcessor | null {
  if (json === null || json === undefined) return null;
  const o = json as Json;
  switch (o.type) {
    case 'TemplateProcessing': {
      const special = new Map<string, { ids: number[]; tokens: string[] }>();
      for (const [k, v] of Object.entries((o.special_tokens ?? {}) as Record<string, Json>)) {
        special.set(k, { ids: (v.ids as number[]) ?? [], tokens: (v.tokens as string[]) ?? [] });
      }
      const single = parseTemplate(o.single, 'TemplateProcessing.single');
      const pair = parseTemplate(o.pair, 'TemplateProcessing.pair');
      for (const p of [...single, ...pair]) {
        if ('special' in p && !special.has(p.special)) {
          throw new TokenizerError(
            `TemplateProcessing: special token ${JSON.stringify(p.special)} is not in special_tokens`,
          );
        }
      }
      return template(single, pair, special);
    }
    case 'BertProcessing': {
      const { cls, sep } = clsSep(o, 'BertProcessing');
      const special = new Map([
        ['cls', { ids: [cls[1]], tokens: [cls[0]] }],
        ['sep', { ids: [sep[1]], tokens: [sep[0]] }],
      ]);
      const s = (special: string, typeId: number): Piece => ({ special, typeId });
      return template(
        [s('cls', 0), { seq: 0, typeId: 0 }, s('sep', 0)],
        [s('cls', 0), { seq: 0, typeId: 0 }, s('sep', 0), { seq: 1, typeId: 1 }, s('sep', 1)],
        special,
        true,
      );
    }
    case 'RobertaProcessing': {
      const { cls, sep } = clsSep(o, 'RobertaProcessing');
      const special = new Map([
        ['cls', { ids: [cls[1]], tokens: [cls[0]] }],
        ['sep', { ids: [sep[1]], tokens: [sep[0]] }],
      ]);
      const s = (special: string): Piece => ({ special, typeId: 0 });
      const inner = template(
        [s('cls'), { seq: 0, typeId: 0 }, s('sep')],
        [s('cls'), { seq: 0, typeId: 0 }, s('sep'), s('sep'), { seq: 1, typeId: 0 }, s('sep')],
        special,
        true,
      );
      const trim = byteLevel(o);
      return {
        addedTokens: inner.addedTokens,
        process: (encodings, add) => inner.process(trim.process(encodings, add), add),
      };
    }
    case 'ByteLevel':
      return byteLevel(o);
    case 'Sequence': {
      const parts = ((o.processors ?? []) as unknown[])
        .map(buildPostProcessor)
        .filter((p) => p !== null);
      return {
        addedTokens: (isPair) => parts.reduce((n, p) => n + p.addedTokens(isPair), 0),
        process: (encodings, add) => parts.reduce((acc, p) => p.process(acc, add), encodings),
      };
    }
    default:
      throw new TokenizerError(
        `post_processor type ${JSON.stringify(o.type)} is not supported ` +
          '(supported: TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel, Sequence)',
      );
  }
}
