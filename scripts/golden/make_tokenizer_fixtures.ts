/**
 * Train the tokenizer fixtures under test/fixtures/text/ from corpus.txt with Osmosis's trainer.
 * Run: npx tsx scripts/golden/make_tokenizer_fixtures.ts
 * Then regenerate the goldens with scripts/golden/make_tokenizer_goldens.mjs (see its header).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PreTrainedTokenizer, Tokenizer, trainTokenizer } from '../../src/text/index.js';

const dir = join(import.meta.dirname, '../../test/fixtures/text');
const lines = readFileSync(join(dir, 'corpus.txt'), 'utf8')
  .split('\n')
  .filter((l) => l.length > 0);

const byte = trainTokenizer(lines, { kind: 'byte-level-bpe', vocabSize: 600 });
await PreTrainedTokenizer.fromTokenizer(byte, {
  bos_token: '<|endoftext|>',
  eos_token: '<|endoftext|>',
  unk_token: '<|endoftext|>',
  model_max_length: 1024,
  clean_up_tokenization_spaces: false,
}).savePretrained(join(dir, 'byte-bpe'));

const wp = trainTokenizer(lines, { kind: 'wordpiece', vocabSize: 700 });
await PreTrainedTokenizer.fromTokenizer(wp, {
  unk_token: '[UNK]',
  pad_token: '[PAD]',
  cls_token: '[CLS]',
  sep_token: '[SEP]',
  mask_token: '[MASK]',
  model_max_length: 512,
  clean_up_tokenization_spaces: true,
  do_lower_case: true,
}).savePretrained(join(dir, 'wordpiece'));

const sp = trainTokenizer(lines, { kind: 'sentencepiece-bpe', vocabSize: 700 });
const spConfig = {
  bos_token: '<s>',
  eos_token: '</s>',
  unk_token: '<unk>',
  model_max_length: 2048,
  padding_side: 'left',
  clean_up_tokenization_spaces: false,
};
await PreTrainedTokenizer.fromTokenizer(sp, spConfig).savePretrained(join(dir, 'sp-bpe'));

// Unigram: the sp-bpe pieces scored by how often the BPE segmentation of the corpus uses them.
const round = (x: number): number => Math.round(x * 1e4) / 1e4;
const freq = new Map<number, number>();
for (const l of lines)
  for (const id of sp.encode(l, null, false).ids) freq.set(id, (freq.get(id) ?? 0) + 1);
const spJson = sp.toJSON();
const model = spJson.model as { vocab: Record<string, number> };
const total = [...freq.values()].reduce((a, b) => a + b, 0);
const pieces = Object.entries(model.vocab)
  .sort((a, b) => a[1] - b[1])
  .map(([p, id]): [string, number] => [
    p,
    id < 3 ? 0 : round(Math.log(((freq.get(id) ?? 0) + 0.5) / total)),
  ]);
const unigram = Tokenizer.fromJSON({
  ...spJson,
  normalizer: null,
  pre_tokenizer: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'first', split: true },
  decoder: {
    type: 'Sequence',
    decoders: [
      { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'first', split: true },
      { type: 'ByteFallback' },
    ],
  },
  model: { type: 'Unigram', unk_id: 0, vocab: pieces, byte_fallback: true },
});
await PreTrainedTokenizer.fromTokenizer(unigram, {
  ...spConfig,
  padding_side: 'right',
}).savePretrained(join(dir, 'unigram'));
// Fixtures are committed, so keep them small: the same JSON without indentation.
for (const name of ['byte-bpe', 'wordpiece', 'sp-bpe', 'unigram']) {
  const file = join(dir, name, 'tokenizer.json');
  writeFileSync(file, JSON.stringify(JSON.parse(readFileSync(file, 'utf8'))) + '\n');
}
console.log('wrote byte-bpe, wordpiece, sp-bpe, unigram under', dir);
