/** Accuracy, macro-F1 (scikit-learn semantics), SQuAD EM/F1 delegation and perplexity. */
import { describe, expect, it } from 'vitest';
import { Generator, noGrad, Tensor } from '../../src/core/index.js';
import { parseSquad, squadEvaluate } from '../../src/data/index.js';
import { GPT2LMHeadModel } from '../../src/models/index.js';
import {
  accuracy,
  argmaxLast,
  macroF1,
  perClassF1,
  perplexity,
  perplexityFromLoss,
  squadMetrics,
  tokenNll,
} from '../../src/train/index.js';

describe('accuracy and argmax', () => {
  it('counts matches, optionally ignoring a label value', () => {
    expect(accuracy([0, 1, 2, 2], [0, 1, 1, 2])).toBe(0.75);
    expect(accuracy([0, 1, 5], [0, -100, 1], { ignoreIndex: -100 })).toBe(0.5);
    expect(accuracy([], [])).toBeNaN();
    expect(() => accuracy([1], [1, 2])).toThrow(/1 predictions but 2 labels/);
  });

  it('argmaxLast picks the first maximum of each row', () => {
    const logits = new Tensor(Float32Array.from([1, 3, 3, 0, -1, -2, 5, 5, 5]), [3, 3]);
    expect(Array.from(argmaxLast(logits))).toEqual([1, 0, 0]);
  });
});

describe('macro-F1 (scikit-learn f1_score average="macro")', () => {
  const preds = [0, 1, 1, 2, 2, 2, 0];
  const labels = [0, 1, 2, 2, 2, 1, 1];
  // Per class, F1 = 2 tp / (2 tp + fp + fn):
  //   0: tp 1, predicted 2, true 1 -> 2/3;  1: tp 1, predicted 2, true 3 -> 2/5;
  //   2: tp 2, predicted 3, true 3 -> 2/3.
  const f1s = [2 / 3, 2 / 5, 2 / 3];

  it('averages the per-class F1 by hand', () => {
    const s = perClassF1(preds, labels);
    expect(s.classes).toEqual([0, 1, 2]);
    s.f1.forEach((v, i) => expect(v).toBeCloseTo(f1s[i]!, 12));
    expect(s.precision).toEqual([1 / 2, 1 / 2, 2 / 3]);
    expect(s.recall).toEqual([1, 1 / 3, 2 / 3]);
    expect(s.support).toEqual([1, 3, 3]);
    expect(macroF1(preds, labels)).toBeCloseTo((2 / 3 + 2 / 5 + 2 / 3) / 3, 12);
  });

  it('a class absent from predictions and labels gets zeroDivision (default 0), as sklearn', () => {
    const sum = f1s.reduce((a, b) => a + b, 0);
    const classes = [0, 1, 2, 3];
    expect(macroF1(preds, labels, { classes })).toBeCloseTo(sum / 4, 12);
    expect(macroF1(preds, labels, { classes, zeroDivision: 1 })).toBeCloseTo((sum + 1) / 4, 12);
    expect(macroF1(preds, labels, { classes, zeroDivision: 'nan' })).toBeCloseTo(sum / 3, 12);
  });

  it('a class only predicted (or only true) scores 0, not zeroDivision', () => {
    // class 0: tp 1, predicted 1, true 2 -> 2/3; class 3: predicted once, never true -> 0.
    expect(macroF1([0, 3], [0, 0], { zeroDivision: 1 })).toBeCloseTo(1 / 3, 12);
    expect(macroF1([0, 0], [0, 3], { zeroDivision: 1 })).toBeCloseTo(1 / 3, 12);
    expect(macroF1([1, 1], [1, 1])).toBe(1);
  });

  it('ignores pairs with the ignore index', () => {
    expect(macroF1([0, 1, 1], [0, 1, -100], { ignoreIndex: -100 })).toBe(1);
  });
});

describe('SQuAD EM/F1', () => {
  it('delegates to the official-script implementation in src/data', () => {
    const ds = parseSquad(
      {
        version: '1.1',
        data: [
          {
            title: 't',
            paragraphs: [
              {
                context: 'The cat sat on the mat in Paris.',
                qas: [
                  {
                    id: 'a',
                    question: 'Who sat?',
                    answers: [{ text: 'The cat', answer_start: 0 }],
                  },
                  {
                    id: 'b',
                    question: 'Where?',
                    answers: [{ text: 'in Paris', answer_start: 23 }],
                  },
                ],
              },
            ],
          },
        ],
      },
      'tiny.json',
    );
    const predictions = { a: 'cat', b: 'Paris, France' };
    const m = squadMetrics(predictions, ds);
    const ref = squadEvaluate(predictions, ds);
    expect(m).toEqual({ exactMatch: ref.exactMatch, f1: ref.f1 });
    expect(m.exactMatch).toBe(50); // 'The cat' normalises to 'cat'
    // b: {paris, france} vs {in, paris}: precision 1/2, recall 1/2 -> F1 1/2.
    expect(m.f1).toBeCloseTo((100 + 50) / 2, 10);
  });
});

describe('perplexity', () => {
  it('is exp of the mean NLL over non-ignored tokens (by hand)', () => {
    const logits = new Tensor(Float32Array.from([0, 0, Math.log(3), 0]), [2, 2]);
    // Row 0: -log(1/2) = ln 2; row 1 (label 1): -log(1/4) = ln 4. Mean 1.5 ln 2.
    expect(perplexity(logits, new Tensor(Int32Array.from([0, 1]), [2]))).toBeCloseTo(2 ** 1.5, 6);
    expect(perplexity(logits, new Tensor(Int32Array.from([0, -100]), [2]))).toBeCloseTo(2, 6);
    expect(perplexity(logits, new Tensor(Int32Array.from([-100, -100]), [2]))).toBeNaN();
    expect(tokenNll(logits, new Tensor(Int32Array.from([1, -100]), [2])).count).toBe(1);
    expect(perplexityFromLoss(Math.log(7))).toBeCloseTo(7, 12);
  });

  it('shifts [B, T, V] logits as a causal LM does: matches exp(GPT-2 loss)', () => {
    const model = new GPT2LMHeadModel(
      { vocab_size: 20, n_embd: 8, n_layer: 1, n_head: 2, n_positions: 8 },
      { rng: new Generator(4) },
    ).eval();
    const ids = new Tensor(Int32Array.from([1, 5, 7, 2, 9, 3, 3, 4, 11, 19]), [2, 5]);
    const out = noGrad(() => model.forward({ inputIds: ids, labels: ids }));
    const ppl = perplexity(out.logits, ids);
    expect(ppl).toBeCloseTo(Math.exp(out.loss!.item()), 4);
    // Masking the second row's labels leaves the first row's perplexity.
    const masked = new Tensor(
      Int32Array.from([1, 5, 7, 2, 9, -100, -100, -100, -100, -100]),
      [2, 5],
    );
    const first = noGrad(() =>
      model.forward({
        inputIds: new Tensor(ids.data.slice(0, 5), [1, 5]),
        labels: new Tensor(ids.data.slice(0, 5), [1, 5]),
      }),
    );
    expect(perplexity(out.logits, masked)).toBeCloseTo(Math.exp(first.loss!.item()), 4);
  });

  it('rejects labels outside the vocabulary and mismatched shapes', () => {
    const logits = new Tensor(new Float32Array(4), [2, 2]);
    expect(() => perplexity(logits, new Tensor(Int32Array.from([0, 2]), [2]))).toThrow(
      /outside \[0, 2\)/,
    );
    expect(() => perplexity(logits, new Tensor(Int32Array.from([0, 1, 1]), [3]))).toThrow(
      /do not match/,
    );
  });
});
