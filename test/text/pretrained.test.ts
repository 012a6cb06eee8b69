/** The user-facing tokenizer: special tokens, the batch call (QA windows, padding), save/load. */
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AutoTokenizer,
  PreTrainedTokenizer,
  Tokenizer,
  TokenizerError,
} from '../../src/text/index.js';

const fixtures = join(import.meta.dirname, '../fixtures/text');
const load = (name: string): Promise<PreTrainedTokenizer> =>
  AutoTokenizer.fromPretrained(join(fixtures, name));
const context =
  'In the beginning God created the heaven and the earth. And the earth was without form, and void; ' +
  'and darkness was upon the face of the deep. And the Spirit of God moved upon the face of the waters.';

describe('special tokens', () => {
  it('come from tokenizer_config.json', async () => {
    const bert = await load('wordpiece');
    expect([
      bert.padTokenId,
      bert.unkTokenId,
      bert.clsTokenId,
      bert.sepTokenId,
      bert.maskTokenId,
    ]).toEqual([0, 1, 2, 3, 4]);
    expect(bert.bosTokenId).toBeNull();
    const llama = await load('sp-bpe');
    expect([llama.unkTokenId, llama.bosTokenId, llama.eosTokenId, llama.padTokenId]).toEqual([
      0,
      1,
      2,
      null,
    ]);
    expect(llama.allSpecialIds).toEqual([0, 1, 2]);
  });

  it('are guessed from the added tokens when there is no config', async () => {
    const json = JSON.parse(await fsp.readFile(join(fixtures, 'wordpiece/tokenizer.json'), 'utf8'));
    const tok = PreTrainedTokenizer.fromTokenizer(Tokenizer.fromJSON(json));
    expect(tok.specialToken('cls')).toBe('[CLS]');
    expect(tok.padTokenId).toBe(0);
  });
});

describe('encode / decode', () => {
  it('returns ids, tokens, masks and offsets that slice the input', async () => {
    const tok = await load('wordpiece');
    const text = 'God created the heaven.';
    const e = tok.encode(text);
    expect(e.tokens[0]).toBe('[CLS]');
    expect(e.attentionMask.every((m) => m === 1)).toBe(true);
    const words = e.offsets
      .filter((_, i) => e.specialTokensMask[i] === 0)
      .map(([a, b]) => text.slice(a, b).toLowerCase());
    expect(words.join('')).toBe(text.toLowerCase().replace(/ /g, ''));
    expect(tok.decode(e.ids, { skipSpecialTokens: true })).toBe('god created the heaven.');
    expect(tok.tokenize(text)).not.toContain('[CLS]');
  });

  it('round-trips arbitrary text through byte-level BPE', async () => {
    const tok = await load('byte-bpe');
    const text = 'Ünïcödé 😀 東京\n\ttabs  and  spaces';
    expect(tok.decode(tok.encode(text).ids)).toBe(text);
  });
});

describe('batch call', () => {
  it('cuts a long context into overlapping windows, as run_qa.py does', async () => {
    const tok = await load('wordpiece');
    const q = 'Who moved upon the waters?';
    const enc = tok([q, 'Short one?'], {
      textPair: [context, 'Tiny context.'],
      truncation: 'only_second',
      maxLength: 32,
      stride: 8,
      returnOverflowingTokens: true,
      returnOffsetsMapping: true,
      padding: 'max_length',
    });
    const windows = enc.overflowToSampleMapping!;
    expect(windows.filter((s) => s === 0).length).toBeGreaterThan(1);
    expect(windows.at(-1)).toBe(1);
    for (const ids of enc.inputIds) expect(ids).toHaveLength(32);
    // Consecutive windows of the long context share exactly `stride` context tokens.
    const ctx = (i: number): string[] =>
      enc.offsetMapping![i]!.filter((_, k) => enc.sequenceIds[i]![k] === 1).map((o) => o.join(':'));
    expect(ctx(1).slice(0, 8)).toEqual(ctx(0).slice(-8));
    // Every window keeps the whole question, with type id 0, and the context with type id 1.
    for (let i = 0; i < windows.length; i++) {
      const seq = enc.sequenceIds[i]!;
      expect(seq.filter((s) => s === 0).length).toBe(
        tok.encode(windows[i] === 0 ? q : 'Short one?', { addSpecialTokens: false }).ids.length,
      );
      seq.forEach((s, k) => s === 1 && expect(enc.tokenTypeIds[i]![k]).toBe(1));
    }
    // Padding: mask 0, offsets [0, 0], no sequence.
    const last = enc.attentionMask.at(-1)!;
    expect(last.at(-1)).toBe(0);
    expect(enc.offsetMapping!.at(-1)!.at(-1)).toEqual([0, 0]);
  });

  it('pads to the longest on the tokenizer side (left for the Llama-style fixture)', async () => {
    const tok = await load('unigram');
    const withPad = PreTrainedTokenizer.fromTokenizer(tok.tokenizer, {
      pad_token: '</s>',
      padding_side: 'left',
    });
    const enc = withPad(['a', 'a much longer text'], { padding: true });
    expect(enc.inputIds[0]!.length).toBe(enc.inputIds[1]!.length);
    expect(enc.inputIds[0]![0]).toBe(2);
    expect(enc.attentionMask[0]![0]).toBe(0);
  });

  it('reports impossible requests as TokenizerError', async () => {
    const tok = await load('sp-bpe');
    expect(() => tok('x', { padding: true })).toThrow(/pad token/);
    expect(() =>
      tok('a long text of many words', { truncation: 'only_second', maxLength: 4 }),
    ).toThrow(TokenizerError);
    expect(() => tok(['a', 'b'], { textPair: ['c'] })).toThrow(/2 texts but 1 textPair/);
    const long = 'word '.repeat(50);
    expect(() =>
      tok('q', {
        textPair: long,
        truncation: 'only_second',
        maxLength: 6,
        stride: 5,
        returnOverflowingTokens: true,
      }),
    ).toThrow(/stride/);
  });
});

describe('savePretrained', () => {
  it('writes files that load back to the same tokenizer', async () => {
    const dir = await fsp.mkdtemp(join(tmpdir(), 'osmosis-tok-'));
    try {
      const tok = await load('sp-bpe');
      await tok.savePretrained(dir);
      expect((await fsp.readdir(dir)).sort()).toEqual([
        'special_tokens_map.json',
        'tokenizer.json',
        'tokenizer_config.json',
      ]);
      const back = await AutoTokenizer.fromPretrained(dir);
      const text = 'In the beginning 😀 ¿Qué?';
      expect(back.encode(text)).toEqual(tok.encode(text));
      expect(back.settings).toEqual(tok.settings);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  it('fails with the file name on missing or broken files', async () => {
    const dir = await fsp.mkdtemp(join(tmpdir(), 'osmosis-tok-'));
    try {
      await expect(AutoTokenizer.fromPretrained(dir)).rejects.toThrow(/tokenizer\.json/);
      await fsp.writeFile(join(dir, 'tokenizer.json'), '{"model": ');
      await expect(AutoTokenizer.fromPretrained(dir)).rejects.toThrow(/not a valid JSON object/);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});
