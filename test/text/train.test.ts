/** The trainers: deterministic, the requested size, and output that loads as a tokenizer. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  PreTrainedTokenizer,
  Tokenizer,
  TokenizerError,
  trainTokenizer,
} from '../../src/text/index.js';

const lines = readFileSync(join(import.meta.dirname, '../fixtures/text/corpus.txt'), 'utf8')
  .split('\n')
  .filter(Boolean);

describe('trainTokenizer', () => {
  it('byte-level BPE: exact size, deterministic, lossless on unseen text', () => {
    let calls = 0;
    const a = trainTokenizer(lines, {
      kind: 'byte-level-bpe',
      vocabSize: 400,
      onProgress: () => calls++,
    });
    const b = trainTokenizer(lines, { kind: 'byte-level-bpe', vocabSize: 400 });
    expect(a.model.vocabSize).toBe(400);
    expect(JSON.stringify(a.toJSON())).toBe(JSON.stringify(b.toJSON()));
    expect(calls).toBe(400 - 257);
    const text = 'Ελληνικά and 한국어 😀';
    expect(a.decode(a.encode(text).ids)).toBe(text);
    // Frequent words of the corpus end up as single tokens.
    expect(a.encode(' the', null, false).tokens).toEqual(['Ġthe']);
  });

  it('WordPiece: lowercases, uses ## pieces and [UNK] for unseen characters', () => {
    const t = trainTokenizer(lines, { kind: 'wordpiece', vocabSize: 500 });
    const e = t.encode('GOD created Ж', null, true);
    expect(e.tokens[0]).toBe('[CLS]');
    expect(e.tokens).toContain('god');
    expect(e.tokens).toContain('[UNK]');
    expect(t.model.toJSON().vocab).toHaveProperty('##s');
  });

  it('SentencePiece-style BPE: byte fallback keeps unseen characters', () => {
    const t = trainTokenizer(lines, { kind: 'sentencepiece-bpe', vocabSize: 600 });
    const e = t.encode('Ж works', null, false);
    expect(e.tokens.slice(0, 3)).toEqual(['▁', '<0xD0>', '<0x96>']);
    expect(t.decode(e.ids)).toBe('Ж works');
    // The saved file loads again and encodes the same way.
    const again = Tokenizer.fromJSON(JSON.parse(JSON.stringify(t.toJSON())));
    expect(again.encode('In the beginning').ids).toEqual(t.encode('In the beginning').ids);
    expect(PreTrainedTokenizer.fromTokenizer(again).bosTokenId).toBe(1);
  });

  it('refuses a vocabulary smaller than the alphabet', () => {
    expect(() => trainTokenizer(lines, { kind: 'byte-level-bpe', vocabSize: 100 })).toThrow(
      TokenizerError,
    );
  });
});
