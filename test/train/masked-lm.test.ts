/** BERT's masking (Hugging Face's DataCollatorForLanguageModeling): what is selected and how. */
import { describe, expect, it } from 'vitest';
import { Generator, ValueError } from '../../src/core/index.js';
import { maskedLmCollator } from '../../src/train/index.js';

const MASK = 4;
const CLS = 2;
const SEP = 3;
const VOCAB = 1000;

function collator(seed: number, p = 0.15) {
  return maskedLmCollator({
    maskTokenId: MASK,
    vocabSize: VOCAB,
    padTokenId: 0,
    specialTokenIds: [CLS, SEP],
    mlmProbability: p,
    rng: new Generator(seed),
  });
}

/** Rows [CLS] 10..(10+n-1) [SEP], of lengths that force padding. */
function rows(count: number): { inputIds: number[] }[] {
  return Array.from({ length: count }, (_, i) => {
    const n = 20 + (i % 7);
    return { inputIds: [CLS, ...Array.from({ length: n }, (_, j) => 10 + j), SEP] };
  });
}

describe('maskedLmCollator', () => {
  it('selects about p of the ordinary tokens, never special or padding positions', () => {
    const examples = rows(400);
    const b = collator(1)(examples);
    const [B, L] = b.inputIds!.shape as [number, number];
    const ids = b.inputIds!.data;
    const labels = b.labels!.data;
    let ordinary = 0;
    let selected = 0;
    let masked = 0;
    let kept = 0;
    for (let r = 0; r < B; r++) {
      const orig = examples[r]!.inputIds;
      for (let t = 0; t < L; t++) {
        const i = r * L + t;
        const real = t < orig.length;
        const special = !real || orig[t] === CLS || orig[t] === SEP;
        if (special) {
          expect(labels[i]).toBe(-100);
          expect(ids[i]).toBe(real ? orig[t] : 0);
          continue;
        }
        ordinary++;
        if (labels[i] === -100) {
          expect(ids[i]).toBe(orig[t]);
          continue;
        }
        selected++;
        expect(labels[i]).toBe(orig[t]);
        if (ids[i] === MASK) masked++;
        else if (ids[i] === orig[t]) kept++;
      }
    }
    // 400 rows of ~23 tokens: ~9200 ordinary tokens, ~1380 selected (sd ~34).
    expect(selected / ordinary).toBeGreaterThan(0.13);
    expect(selected / ordinary).toBeLessThan(0.17);
    expect(masked / selected).toBeGreaterThan(0.75);
    expect(masked / selected).toBeLessThan(0.85);
    // Unchanged 10% plus random draws that hit the original (1 in 1000 of the other 10%).
    expect(kept / selected).toBeGreaterThan(0.07);
    expect(kept / selected).toBeLessThan(0.13);
  });

  it('masks the same tokens for the same seed, other tokens for another', () => {
    const a = collator(7)(rows(8));
    const b = collator(7)(rows(8));
    const c = collator(8)(rows(8));
    expect(Array.from(a.labels!.data)).toEqual(Array.from(b.labels!.data));
    expect(Array.from(a.inputIds!.data)).toEqual(Array.from(b.inputIds!.data));
    expect(Array.from(a.labels!.data)).not.toEqual(Array.from(c.labels!.data));
  });

  it('refuses a probability outside (0, 1), a mask id outside the vocabulary, no examples', () => {
    expect(() => collator(0, 0)).toThrow(ValueError);
    expect(() => collator(0, 1)).toThrow(/mlmProbability must be in \(0, 1\), got 1/);
    expect(() =>
      maskedLmCollator({ maskTokenId: 10, vocabSize: 10, rng: new Generator(0) }),
    ).toThrow(/maskTokenId 10 must be below vocabSize 10/);
    expect(() => collator(0)([])).toThrow(/got no examples/);
  });
});
