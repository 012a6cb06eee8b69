/** SQuAD metrics against hand-computed values of the official scripts' definitions. */
import { describe, expect, it } from 'vitest';
import {
  f1Score,
  f1ScoreV2,
  normalizeAnswer,
  squadEvaluate,
  type SquadDataset,
  type SquadExample,
} from '../../src/data/index.js';

const ex = (id: string, answers: string[], isImpossible = false): SquadExample => ({
  id,
  title: '',
  context: '',
  question: '',
  answers: answers.map((text) => ({ text, answerStart: 0 })),
  isImpossible,
});

describe('normalizeAnswer', () => {
  it('lowercases, drops ASCII punctuation and articles, collapses whitespace', () => {
    expect(normalizeAnswer("The  Cat's, an apple!")).toBe('cats apple');
    // Unicode punctuation is kept, as string.punctuation is ASCII only.
    expect(normalizeAnswer('¿Qué?')).toBe('¿qué');
    // \b is Unicode-aware in Python 3: "a" after "é" is inside a word.
    expect(normalizeAnswer('éa the')).toBe('éa');
    // str.split() splits on U+001C (a Python space) but not on U+200B.
    expect(normalizeAnswer('x\u001cy\u200bz')).toBe('x y\u200bz');
  });
});

describe('F1', () => {
  it('is the token-overlap F1', () => {
    // pred {cat, sat}, gold {cat, sat, on, mat}: P = 1, R = 1/2, F1 = 2/3.
    expect(f1Score('the cat sat', 'a cat sat on the mat')).toBeCloseTo(2 / 3, 12);
    // Repeated tokens count once per occurrence: pred [cat, cat], gold [cat]: P = 1/2, R = 1.
    expect(f1Score('cat cat', 'cat')).toBeCloseTo(2 / 3, 12);
    expect(f1Score('', '')).toBe(0); // v1.1: nothing shared
    expect(f1ScoreV2('', 'the')).toBe(1); // v2.0: both normalise to nothing
    expect(f1ScoreV2('dog', '')).toBe(0);
  });
});

describe('squadEvaluate', () => {
  it('v1.1: counts missing predictions as 0', () => {
    const ds: SquadDataset = {
      version: '1.1',
      examples: [
        ex('q1', ['Denver Broncos']),
        ex('q2', ['a cat sat on the mat', 'mat']),
        ex('q3', ['x']),
      ],
    };
    const s = squadEvaluate({ q1: 'the Denver Broncos', q2: 'the cat sat' }, ds);
    // q1: EM 1, F1 1. q2: EM 0, F1 max(2/3, 0). q3: missing, 0.
    expect(s.exactMatch).toBeCloseTo(100 / 3, 10);
    expect(s.f1).toBeCloseTo((100 * (1 + 2 / 3)) / 3, 10);
    expect(s.total).toBe(3);
    expect(s.missing).toEqual(['q3']);
  });

  it('v2.0: skips missing predictions and splits HasAns / NoAns', () => {
    const ds: SquadDataset = {
      version: 'v2.0',
      examples: [
        ex('a', ['Paris']),
        ex('b', [], true),
        ex('c', [], true),
        ex('d', ['Rome']),
        ex('e', ['the']),
      ],
    };
    // a: right. b: right (empty). c: wrong. d: missing. e: gold normalises to nothing -> no-answer.
    const s = squadEvaluate({ a: 'paris.', b: '', c: 'London', e: '' }, ds);
    expect(s.total).toBe(4);
    expect(s.exactMatch).toBe(75);
    expect(s.f1).toBe(75);
    expect(s.hasAns).toEqual({ exactMatch: 100, f1: 100, total: 1 });
    expect(s.noAns).toEqual({ exactMatch: (100 * 2) / 3, f1: (100 * 2) / 3, total: 3 });
  });
});
