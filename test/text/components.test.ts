/** Pieces of the tokenizer pipeline, checked against hand-worked cases of each algorithm. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BPE,
  NormalizedString,
  Tokenizer,
  TokenizerError,
  Unigram,
  WordPiece,
} from '../../src/text/index.js';
import { AutoTokenizer } from '../../src/text/index.js';
import { buildNormalizer } from '../../src/text/normalizers.js';
import { translateRegex } from '../../src/text/unicode.js';

const tokens = (xs: { value: string }[]): string[] => xs.map((t) => t.value);

describe('NormalizedString', () => {
  it('keeps original UTF-16 ranges through expansions and removals', () => {
    const ns = NormalizedString.from('Café😀');
    const nfd = ns
      .map((c) => c.normalize('NFD'))
      .map((c) => (/\p{Mn}/u.test(c) ? '' : c.toLowerCase()));
    expect(nfd.text).toBe('cafe😀');
    expect(nfd.original(3, 4)).toEqual([3, 4]); // "e" still covers "é"
    expect(nfd.original(4, 6)).toEqual([4, 6]); // the emoji is two units in both
    expect(nfd.prepend('▁').original(0, 2)).toEqual([0, 1]); // a prefix shares the first char's range
  });

  it('aligns BERT normalisation of CJK and accents', () => {
    const bert = buildNormalizer({ type: 'BertNormalizer', lowercase: true, strip_accents: null })!;
    const out = bert(NormalizedString.from('Ünï 東京\u0007'));
    expect(out.text).toBe('uni  東  京 ');
    expect(out.original(5, 6)).toEqual([4, 5]);
  });
});

describe('BPE', () => {
  const vocab = new Map(['a', 'b', 'c', 'ab', 'bc', 'abc'].map((t, i) => [t, i]));
  const bpe = new BPE(vocab, [
    ['b', 'c'],
    ['a', 'b'],
    ['a', 'bc'],
  ]);

  it('merges the lowest-ranked pair first', () => {
    // (b,c) has rank 0 and beats (a,b); then (a,bc).
    expect(tokens(bpe.tokenize('abc'))).toEqual(['abc']);
    // Two (a,b) pairs of equal rank: both merge, leftmost first.
    expect(tokens(bpe.tokenize('abab'))).toEqual(['ab', 'ab']);
    expect(tokens(bpe.tokenize('cab'))).toEqual(['c', 'ab']);
  });

  it('merges overlapping pairs left to right', () => {
    const b = new BPE(
      new Map([
        ['a', 0],
        ['aa', 1],
      ]),
      [['a', 'a']],
    );
    expect(tokens(b.tokenize('aaa'))).toEqual(['aa', 'a']);
  });

  it('falls back to bytes, fuses unknowns and reports offsets in UTF-16 units', () => {
    const v = new Map([
      ['<unk>', 0],
      ['a', 1],
      ['<0xF0>', 2],
      ['<0x9F>', 3],
      ['<0x98>', 4],
      ['<0x80>', 5],
    ]);
    const b = new BPE(v, [], { unkToken: '<unk>', byteFallback: true, fuseUnk: true });
    const out = b.tokenize('a😀xy');
    expect(tokens(out)).toEqual(['a', '<0xF0>', '<0x9F>', '<0x98>', '<0x80>', '<unk>']);
    expect(out.map((t) => [t.start, t.end])).toEqual([
      [0, 1],
      [1, 3],
      [1, 3],
      [1, 3],
      [1, 3],
      [3, 5],
    ]);
  });

  it('rejects merges whose tokens are missing', () => {
    expect(() => new BPE(new Map([['a', 0]]), [['a', 'b']])).toThrow(TokenizerError);
  });
});

describe('WordPiece', () => {
  const wp = new WordPiece(
    new Map(['[UNK]', 'un', '##aff', '##able', 'u', '##n'].map((t, i) => [t, i])),
  );
  it('takes the longest prefix first', () => {
    expect(tokens(wp.tokenize('unaffable'))).toEqual(['un', '##aff', '##able']);
  });
  it('turns a word with an unmatched part into one [UNK]', () => {
    expect(wp.tokenize('unx')).toEqual([{ id: 0, value: '[UNK]', start: 0, end: 3 }]);
  });
});

describe('Unigram', () => {
  const uni = new Unigram(
    [
      ['<unk>', 0],
      ['a', -1],
      ['b', -1],
      ['ab', -1.5],
      ['abc', -4],
      ['c', -2],
    ],
    0,
  );
  it('finds the most probable segmentation', () => {
    // a+b+c = -4, ab+c = -3.5, abc = -4: ab+c wins.
    expect(uni.segment('abc')).toEqual(['ab', 'c']);
  });
  it('scores unknown characters min - 10 and fuses them', () => {
    expect(uni.segment('abdd')).toEqual(['ab', 'dd']);
    expect(uni.tokenize('abdd')[1]).toEqual({ id: 0, value: 'dd', start: 2, end: 4 });
  });
});

describe('regex translation', () => {
  it('expands (?i:...) and gives \\s its Unicode meaning', () => {
    const re = new RegExp(translateRegex("(?i:'s|'ve)|\\s+|[^\\s\\p{L}]+|\\p{L}+"), 'gu');
    // U+0085 is White_Space (Oniguruma's \s) but not in JavaScript's \s; U+FEFF the reverse.
    expect("'VE 'S\u0085!!\ufeffab".match(re)).toEqual([
      "'VE",
      ' ',
      "'S",
      '\u0085',
      '!!\ufeff',
      'ab',
    ]);
  });
});

describe('Llama-3 style Split + ByteLevel(use_regex false) + ignore_merges', () => {
  // Expected words and offsets were read from the Rust crate (npm tokenizers 0.23.2) on this file.
  it('pre-tokenizes like the reference', async () => {
    const tok = await AutoTokenizer.fromPretrained(
      join(import.meta.dirname, '../fixtures/text/llama3-split'),
    );
    const e = tok.encode("I'VE 12345 don't");
    expect(e.tokens).toEqual(['I', "'", 'V', 'E', 'Ġ', '1', '2', '3', '4', '5', 'Ġdon', "'", 't']);
    expect(e.wordIds).toEqual([0, 1, 1, 1, 2, 3, 3, 3, 4, 4, 5, 6, 6]);
    expect(e.offsets[10]).toEqual([10, 14]);
    expect(tok.encode('a  \n\n b  ').wordIds).toEqual([0, 1, 1, 1, 1, 2, 2, 3]);
    expect(tok.encode('Hi!!!\n\nOK').wordIds).toEqual([0, 0, 1, 1, 1, 1, 1, 2, 2]);
  });
});

describe('loading errors', () => {
  it('names unsupported components', () => {
    expect(() => Tokenizer.fromJSON({ model: { type: 'WordLevel', vocab: {} } }, 'x.json')).toThrow(
      /x\.json: model type "WordLevel"/,
    );
    expect(() =>
      Tokenizer.fromJSON({
        model: { type: 'BPE', vocab: {}, merges: [] },
        normalizer: { type: 'Precompiled' },
      }),
    ).toThrow(/normalizer type "Precompiled" is not supported/);
    expect(() => Tokenizer.fromJSON([])).toThrow(TokenizerError);
  });
});
