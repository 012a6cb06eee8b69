/** SQuAD loading and validation, QA features (HF run_qa.py), n-best post-processing. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DatasetError,
  parseSquad,
  postprocessQaPredictions,
  prepareQaFeatures,
  type QaFeature,
  type SquadExample,
} from '../../src/data/index.js';
import { AutoTokenizer } from '../../src/text/index.js';

const context =
  'In the beginning God created the heaven and the earth. And the earth was without form, and void; and darkness ' +
  'was upon the face of the deep. And the Spirit of God moved upon the face of the waters.';
const answerAt = context.indexOf('the Spirit of God');

const squad = (qas: unknown[], ctx = context, version = 'v2.0'): unknown => ({
  version,
  data: [{ title: 'Genesis', paragraphs: [{ context: ctx, qas }] }],
});

describe('parseSquad', () => {
  it('reads v1.1 and v2.0 entries', () => {
    const ds = parseSquad(
      squad([
        {
          id: 'q1',
          question: 'Who moved?',
          answers: [{ text: 'the Spirit of God', answer_start: answerAt }],
        },
        {
          id: 'q2',
          question: 'Who sang?',
          answers: [],
          is_impossible: true,
          plausible_answers: [],
        },
      ]),
      'dev.json',
    );
    expect(ds.version).toBe('v2.0');
    expect(ds.examples.map((e) => [e.id, e.isImpossible, e.answers.length])).toEqual([
      ['q1', false, 1],
      ['q2', true, 0],
    ]);
    expect(ds.examples[0]!.title).toBe('Genesis');
  });

  it('converts answer_start from code points (Python) to UTF-16 indices', () => {
    const ctx = '😀😀 the answer';
    const ds = parseSquad(
      squad([{ id: 'q', question: '?', answers: [{ text: 'answer', answer_start: 7 }] }], ctx),
      'f.json',
    );
    expect(ds.examples[0]!.answers[0]!.answerStart).toBe(9);
    expect(ctx.slice(9, 15)).toBe('answer');
  });

  it('names the file and the JSON path of malformed entries', () => {
    const bad =
      (qas: unknown[]): (() => unknown) =>
      () =>
        parseSquad(squad(qas), 'train.json');
    expect(bad([{ id: 'q', question: '?', answers: [{ text: 'God', answer_start: 3 }] }])).toThrow(
      /train\.json: data\[0\]\.paragraphs\[0\]\.qas\[0\]\.answers\[0\]\.answer_start: 3 does not point at "God"/,
    );
    expect(bad([{ id: 'q', question: '?', answers: [{ text: 'God', answer_start: -1 }] }])).toThrow(
      /non-negative integer/,
    );
    expect(bad([{ id: 'q', question: 7, answers: [] }])).toThrow(
      /qas\[0\]\.question: expected a string/,
    );
    expect(
      bad([
        { id: 'q', question: '?', answers: [] },
        { id: 'q', question: '?', answers: [] },
      ]),
    ).toThrow(/qas\[1\]\.id: duplicate id "q"/);
    expect(
      bad([
        {
          id: 'q',
          question: '?',
          answers: [{ text: 'God', answer_start: 17 }],
          is_impossible: true,
        },
      ]),
    ).toThrow(/is_impossible/);
    expect(() => parseSquad({ data: 3 }, 'x.json')).toThrow(DatasetError);
  });

  it('can skip malformed questions and say which', () => {
    const skipped: string[] = [];
    const ds = parseSquad(
      squad([
        { id: 'a', question: '?', answers: [{ text: 'x', answer_start: 0 }] },
        { id: 'b', question: '?', answers: [] },
      ]),
      'f',
      {
        onInvalid: 'skip',
        skipped,
      },
    );
    expect(ds.examples.map((e) => e.id)).toEqual(['b']);
    expect(skipped[0]).toMatch(/qas\[0\]/);
  });
});

describe('prepareQaFeatures', () => {
  const examples: SquadExample[] = [
    {
      id: 'a',
      title: '',
      context,
      question: '  Who moved upon the waters?',
      answers: [{ text: 'the Spirit of God', answerStart: answerAt }],
      isImpossible: false,
    },
    { id: 'b', title: '', context, question: 'Who sang?', answers: [], isImpossible: true },
  ];

  it('gives every window the answer span or the CLS index', async () => {
    const tok = await AutoTokenizer.fromPretrained(
      join(import.meta.dirname, '../fixtures/text/wordpiece'),
    );
    const features = prepareQaFeatures(tok, examples, { maxLength: 40, docStride: 12 });
    const ofA = features.filter((f) => f.exampleId === 'a');
    expect(ofA.length).toBeGreaterThan(2);
    let hits = 0;
    for (const f of ofA) {
      expect(f.inputIds).toHaveLength(40);
      if (f.startPosition === f.clsIndex) continue;
      hits++;
      const [s] = f.offsetMapping[f.startPosition]!;
      const [, e] = f.offsetMapping[f.endPosition]!;
      expect(context.slice(s, e)).toBe('the Spirit of God');
    }
    expect(hits).toBeGreaterThan(0);
    for (const f of features.filter((f) => f.exampleId === 'b'))
      expect([f.startPosition, f.endPosition]).toEqual([0, 0]);
    // Only context tokens keep offsets (the validation features of run_qa.py).
    expect(ofA[0]!.offsetMapping[0]).toBeNull();
  });

  it('finds an answer in the first or last context token without a separator (byte-level BPE)', async () => {
    const tok = await AutoTokenizer.fromPretrained(
      join(import.meta.dirname, '../fixtures/text/byte-bpe'),
    );
    // The question is longer than the answers' end offsets, so the question tokens' offsets
    // (counted from the question's start) would pass for context if the search left the context.
    const question = 'Which word of this rather long question opens or closes the short context?';
    const ctx = 'God created light';
    const at = (text: string, answerStart: number): SquadExample => ({
      id: text,
      title: '',
      context: ctx,
      question,
      answers: [{ text, answerStart }],
      isImpossible: false,
    });
    for (const questionFirst of [true, false]) {
      const examples = [at('God', 0), at('light', 12)];
      const features = prepareQaFeatures(tok, examples, { maxLength: 64, questionFirst });
      expect(features).toHaveLength(2);
      for (const [i, f] of features.entries()) {
        const [s] = f.offsetMapping[f.startPosition]!;
        const [, e] = f.offsetMapping[f.endPosition]!;
        expect(ctx.slice(s, e).trim()).toBe(examples[i]!.answers[0]!.text);
      }
    }
  });
});

describe('postprocessQaPredictions', () => {
  const ex: SquadExample = {
    id: 'x',
    title: '',
    context: 'God created man',
    question: '?',
    answers: [],
    isImpossible: false,
  };
  const feature: QaFeature = {
    exampleIndex: 0,
    exampleId: 'x',
    inputIds: [],
    attentionMask: [],
    tokenTypeIds: [],
    offsetMapping: [null, null, null, [0, 3], [4, 11], [12, 15], null],
    startPosition: 0,
    endPosition: 0,
    clsIndex: 0,
  };
  const start = [0, 0, 0, 5, 1, 0, 0];
  const end = [0, 0, 0, 1, 2, 6, 0];

  it('picks the best span within maxAnswerLength', () => {
    expect(postprocessQaPredictions([ex], [feature], [start], [end]).predictions.x).toBe(
      'God created man',
    );
    // Length 2 at most: (God created) and (created man) both score 7; the first found wins.
    const r = postprocessQaPredictions([ex], [feature], [start], [end], { maxAnswerLength: 2 });
    expect(r.predictions.x).toBe('God created');
    expect(r.nbest.x![0]!.probability).toBeCloseTo(r.nbest.x![1]!.probability, 12);
  });

  it('returns the null answer (v2.0) only past the threshold', () => {
    const s = [10, ...start.slice(1)];
    const e = [10, ...end.slice(1)];
    const r = postprocessQaPredictions([ex], [feature], [s], [e], { versionTwo: true });
    expect(r.scoresDiff.x).toBe(20 - 11);
    expect(r.predictions.x).toBe('');
    expect(
      postprocessQaPredictions([ex], [feature], [s], [e], {
        versionTwo: true,
        nullScoreDiffThreshold: 9,
      }).predictions.x,
    ).toBe('God created man');
  });

  it('checks that logits match the features', () => {
    expect(() => postprocessQaPredictions([ex], [feature], [], [])).toThrow(DatasetError);
  });
});
