/**
 * Reference outputs for the tokenizer fixtures, from Hugging Face's own Rust implementation.
 *
 * Neither python3-tokenizers nor python3-transformers is packaged for Debian 12, and PyPI cannot
 * be reached here, so the reference is npm `tokenizers` (version 0.23.2): the napi binding of
 * the same `tokenizers` crate that Python's `tokenizers` and transformers' fast tokenizers run.
 * It is only needed to regenerate this file, so it is not a dependency of osmosis:
 *
 *   npm i --prefix /tmp/hf-tokenizers -E tokenizers@0.23.2
 *   TOKENIZERS_MODULE=/tmp/hf-tokenizers/node_modules/tokenizers/index.js \
 *     node scripts/golden/make_tokenizer_goldens.mjs
 *
 * Rust reports offsets in code points; they are converted here to UTF-16 indices (what
 * JavaScript's String#slice takes), which is what Osmosis reports.
 *
 * Overflowing windows: since 0.23.1 the crate stops tokenizing at max_length when truncation is
 * set (huggingface/tokenizers#2091, fix pending in #2098), so `setTruncation` + `encode` loses
 * most overflowing windows. The windows here are therefore made the 0.22 way, still entirely by
 * the crate: encode each sequence whole, `Encoding.truncate(n, stride, 'right')`, then
 * `Tokenizer.postProcess(a, b, true)`. Only n, the length left for the truncated sequence, is
 * computed here (the arithmetic of the crate's `truncate_encodings`).
 */
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const hf = require(process.env.TOKENIZERS_MODULE ?? 'tokenizers');
const dir = join(import.meta.dirname, '../../test/fixtures/text');

export const STRINGS = [
  'In the beginning God created the heaven and the earth.',
  "I don't know; you're right, it's 2024 and we'll see what they've done.",
  'Numbers: 3.14, 1,000,000 and 12345678901234567890.',
  'Café, naïve résumé: el niño comió jalapeños — ¿verdad? ¡Sí!',
  'Decomposed: cafe\u0301 and n\u0303 (combining marks).',
  'Tokyo 東京 is in Japan 日本; 北京 is in China.',
  'Emojis: 😀 🎉 👍🏽 and ✨ plus 𝔘𝔫𝔦𝔠𝔬𝔡𝔢.',
  '   leading spaces, inner   runs\tand tabs\n\nand newlines   ',
  'ALL CAPS AND MiXeD CaSe WORDS',
  'Zero\u200bwidth and non\u00a0breaking spaces, control\u0007char.',
  '',
  ' ',
  'A',
  'Special tokens in text: [CLS] <s> </s> <|endoftext|> [SEP] [MASK] done.',
  'Αλφάβητο, кириллица, עברית, العربية, हिन्दी.',
  'qwertyuiopasdfghjklzxcvbnmqwertyuiopasdfghjklzxcvbnm',
];

const PAIRS = [
  [
    'Who created the heaven?',
    'In the beginning God created the heaven and the earth. And the earth was without form.',
  ],
  [
    '¿Qué creó Dios?',
    'En el principio creó Dios los cielos y la tierra. 😀 Y la tierra estaba desordenada y vacía.',
  ],
];

const TRUNCATIONS = [
  { maxLength: 24, stride: 6, strategy: 'OnlySecond' },
  { maxLength: 16, stride: 0, strategy: 'LongestFirst' },
  {
    maxLength: 14,
    stride: 4,
    strategy: 'OnlyFirst',
    pair: ['Who created the heaven and the earth and the waters and the light?', 'God.'],
  },
];

/** Code-point offset -> UTF-16 offset, for one string. */
function utf16(text) {
  const map = [0];
  let u = 0;
  for (const c of text) {
    u += c.length;
    map.push(u);
  }
  return (cp) => map[cp];
}

function dump(e, texts, full = true) {
  const conv = texts.map(utf16);
  const seq = e.getSequenceIds();
  const out = {
    ids: e.getIds(),
    offsets: e
      .getOffsets()
      .map(([a, b], i) => (seq[i] == null ? [a, b] : [conv[seq[i]](a), conv[seq[i]](b)])),
  };
  if (!full) return out;
  return {
    ...out,
    tokens: e.getTokens(),
    typeIds: e.getTypeIds(),
    wordIds: e.getWordIds().map((w) => w ?? null),
    sequenceIds: seq.map((s) => s ?? null),
    specialTokensMask: e.getSpecialTokensMask(),
    overflowing: e.getOverflowing().map((o) => dump(o, texts)),
  };
}

/** Lengths the crate's truncate_encodings gives the two sequences (after special tokens). */
function targetLengths(n1, n2, maxLength, strategy) {
  if (n1 + n2 <= maxLength) return [n1, n2];
  if (strategy === 'OnlyFirst') return [n1 - (n1 + n2 - maxLength), n2];
  if (strategy === 'OnlySecond') return [n1, n2 - (n1 + n2 - maxLength)];
  let [a, b] = n1 > n2 ? [n2, n1] : [n1, n2];
  b = a > maxLength ? a : Math.max(a, maxLength - a);
  if (a + b > maxLength) {
    a = Math.floor(maxLength / 2);
    b = a + (maxLength % 2);
  }
  return n1 > n2 ? [b, a] : [a, b];
}

const out = { generator: 'npm tokenizers@0.23.2 (Hugging Face tokenizers crate)', fixtures: {} };
for (const name of ['byte-bpe', 'wordpiece', 'sp-bpe', 'unigram']) {
  const file = join(dir, name, 'tokenizer.json');
  const tok = hf.Tokenizer.fromFile(file);
  const single = [];
  for (const s of STRINGS) {
    const withSpecial = dump(await tok.encode(s, null, { addSpecialTokens: true }), [s]);
    delete withSpecial.overflowing;
    const without = dump(await tok.encode(s, null, { addSpecialTokens: false }), [s], false);
    single.push({
      text: s,
      withSpecial,
      without,
      decoded: await tok.decode(withSpecial.ids, false),
      decodedSkip: await tok.decode(withSpecial.ids, true),
    });
  }
  const pairs = [];
  for (const [a, b] of PAIRS) pairs.push({ a, b, encoding: dump(await tok.encode(a, b), [a, b]) });
  const truncations = [];
  for (const t of TRUNCATIONS) {
    const [a, b] = t.pair ?? PAIRS[0];
    const ea = await tok.encode(a, null, { addSpecialTokens: false });
    const eb = await tok.encode(b, null, { addSpecialTokens: false });
    // Room left after the special tokens of a pair: what the post-processor adds to two empties.
    const empty = () => tok.encode('', null, { addSpecialTokens: false });
    const room = t.maxLength - tok.postProcess(await empty(), await empty(), true).getLength();
    const [n1, n2] = targetLengths(ea.getLength(), eb.getLength(), room, t.strategy);
    ea.truncate(n1, t.stride, 'right');
    eb.truncate(n2, t.stride, 'right');
    const manual = dump(tok.postProcess(ea, eb, true), [a, b]);
    // The main window straight from the crate's own truncation; overflowing windows (one level:
    // what transformers returns) from the manual path above.
    const fresh = hf.Tokenizer.fromFile(file);
    fresh.setTruncation(t.maxLength, { stride: t.stride, strategy: t.strategy });
    const encoding = dump(await fresh.encode(a, b), [a, b]);
    if (JSON.stringify(manual.ids) !== JSON.stringify(encoding.ids))
      throw new Error(`${name}: main window differs`);
    encoding.overflowing = manual.overflowing.map(({ overflowing: _, ...w }) => w);
    truncations.push({ ...t, a, b, encoding });
  }
  out.fixtures[name] = { vocabSize: tok.getVocabSize(true), single, pairs, truncations };
  JSON.parse(readFileSync(file, 'utf8')); // the fixture must stay valid JSON
}
writeFileSync(join(dir, 'goldens.json'), JSON.stringify(out) + '\n');
console.log('wrote', join(dir, 'goldens.json'));
