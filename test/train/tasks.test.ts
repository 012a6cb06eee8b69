/** Task helpers: causal LM, classification and extractive QA collators; evaluateQa. */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Generator, stack, Tensor, ValueError } from '../../src/core/index.js';
import {
  groupTexts,
  parseClassification,
  prepareQaFeatures,
  type QaFeature,
  type SquadExample,
} from '../../src/data/index.js';
import { BertForQuestionAnswering, GPT2LMHeadModel } from '../../src/models/index.js';
import { Module } from '../../src/nn/index.js';
import { AutoTokenizer } from '../../src/text/index.js';
import {
  causalLmCollator,
  causalLmMetrics,
  defaultDataCollator,
  evaluateQa,
  lmExamples,
  qaCollator,
  qaComputeMetrics,
  sequenceClassificationCollator,
  tokenizeClassification,
  Trainer,
  type Batch,
  type CausalLmExample,
} from '../../src/train/index.js';
import { tempDir } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
});
function outDir(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

const rows = (t: Tensor) => t.toArray();

describe('defaultDataCollator', () => {
  it('stacks numbers and equal-length arrays; renames label to labels', () => {
    const b = defaultDataCollator([
      { inputIds: [1, 2], label: 0, weight: 0.5, target: Float32Array.from([1, 0]) },
      { inputIds: [3, 4], label: 2, weight: 1, target: Float32Array.from([0, 1]) },
    ]);
    expect(Object.keys(b).sort()).toEqual(['inputIds', 'labels', 'target', 'weight']);
    expect(b.inputIds!.dtype).toBe('int32');
    expect(b.labels!.dtype).toBe('int32');
    expect(b.weight!.dtype).toBe('float32');
    expect(b.target!.dtype).toBe('float32');
    expect(rows(b.inputIds!)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(() => defaultDataCollator([{ inputIds: [1] }, { inputIds: [1, 2] }])).toThrow(
      /padding collator/,
    );
  });
});

describe('causal LM', () => {
  it('pads right, masks padding and sets labels = inputIds with -100 at padding', () => {
    const collate = causalLmCollator({ padTokenId: 7 });
    const b = collate([{ inputIds: [5, 6, 7] }, { inputIds: [1, 2, 3, 4, 5] }]);
    expect(rows(b.inputIds!)).toEqual([
      [5, 6, 7, 7, 7],
      [1, 2, 3, 4, 5],
    ]);
    expect(rows(b.attentionMask!)).toEqual([
      [1, 1, 1, 0, 0],
      [1, 1, 1, 1, 1],
    ]);
    // The real eos (7) that doubles as padding is still a label.
    expect(rows(b.labels!)).toEqual([
      [5, 6, 7, -100, -100],
      [1, 2, 3, 4, 5],
    ]);
    expect(collate([{ inputIds: [1] }, { inputIds: [1, 2, 3] }]).inputIds!.shape).toEqual([2, 3]);
    expect(
      causalLmCollator({ padToMultipleOf: 4 })([{ inputIds: [1, 2, 3, 4, 5] }]).labels!.shape,
    ).toEqual([1, 8]);
  });

  it('trains a tiny GPT-2 on grouped blocks; eval perplexity is exp(eval loss)', async () => {
    // Each token is followed by the next one mod 16: learnable in a few steps.
    const docs = Array.from({ length: 12 }, (_, d) =>
      Array.from({ length: 9 }, (_, i) => (d * 5 + i) % 16),
    );
    const blocks = lmExamples(groupTexts(docs, 6));
    const model = new GPT2LMHeadModel(
      {
        vocab_size: 16,
        n_embd: 8,
        n_layer: 1,
        n_head: 2,
        n_positions: 8,
        resid_pdrop: 0,
        embd_pdrop: 0,
        attn_pdrop: 0,
      },
      { rng: new Generator(1) },
    );
    const trainer = new Trainer<CausalLmExample>({
      model,
      args: {
        outputDir: outDir(),
        numTrainEpochs: 4,
        perDeviceTrainBatchSize: 4,
        perDeviceEvalBatchSize: 4,
        learningRate: 0.03,
        lrSchedulerType: 'constant',
        saveStrategy: 'no',
        disableProgressBar: true,
      },
      trainDataset: blocks.slice(0, 12),
      evalDataset: blocks.slice(12),
      dataCollator: causalLmCollator(),
      computeMetrics: causalLmMetrics,
    });
    const before = await trainer.evaluate();
    await trainer.train();
    const after = await trainer.evaluate();
    expect(after.eval_loss).toBeLessThan(before.eval_loss!);
    expect(after.eval_perplexity).toBeCloseTo(Math.exp(after.eval_loss!), 4);
  });
});

describe('sequence classification', () => {
  it('pads to the longest example, with int32 class labels or float regression targets', () => {
    const collate = sequenceClassificationCollator({ padTokenId: 0 });
    const b = collate([
      { inputIds: [4, 5, 6], tokenTypeIds: [0, 0, 1], label: 1 },
      { inputIds: [7], tokenTypeIds: [0], label: 0 },
    ]);
    expect(rows(b.inputIds!)).toEqual([
      [4, 5, 6],
      [7, 0, 0],
    ]);
    expect(rows(b.attentionMask!)).toEqual([
      [1, 1, 1],
      [1, 0, 0],
    ]);
    expect(rows(b.tokenTypeIds!)).toEqual([
      [0, 0, 1],
      [0, 0, 0],
    ]);
    expect(b.labels!.dtype).toBe('int32');
    const r = sequenceClassificationCollator({ regression: true })([
      { inputIds: [1], label: 0.25 },
    ]);
    expect(r.labels!.dtype).toBe('float32');
    expect(() => collate([{ inputIds: [1], label: 0.5 }])).toThrow(ValueError);
  });

  it('tokenizes a classification dataset with truncation', async () => {
    const tok = await AutoTokenizer.fromPretrained(
      join(import.meta.dirname, '../fixtures/text/wordpiece'),
    );
    const ds = parseClassification(
      'mem.jsonl',
      '{"text": "In the beginning God created the heaven and the earth.", "label": "pos"}\n' +
        '{"text": "And the earth was without form", "label": "neg"}\n',
      { textColumns: 'text', labelColumn: 'label' },
    );
    const examples = tokenizeClassification(tok, ds, { maxLength: 6 });
    expect(examples.map((e) => e.label)).toEqual([1, 0]);
    expect(examples.every((e) => e.inputIds.length <= 6)).toBe(true);
    const batch = sequenceClassificationCollator()(examples);
    expect(batch.inputIds!.shape[0]).toBe(2);
  });
});

describe('extractive QA', () => {
  const context =
    'In the beginning God created the heaven and the earth. And the earth was without form, and void; ' +
    'and darkness was upon the face of the deep. And the Spirit of God moved upon the face of the waters.';
  const answer = (text: string) => ({ text, answerStart: context.indexOf(text) });
  const examples: SquadExample[] = [
    {
      id: 'q1',
      title: '',
      context,
      question: 'Who moved upon the waters?',
      answers: [answer('the Spirit of God')],
      isImpossible: false,
    },
    {
      id: 'q2',
      title: '',
      context,
      question: 'What was upon the face of the deep?',
      answers: [answer('darkness')],
      isImpossible: false,
    },
  ];

  /** Start/end logits peaked at the gold positions of whichever feature it is shown. */
  class OracleQa extends Module {
    constructor(
      readonly features: QaFeature[],
      readonly offByOne = false,
    ) {
      super();
    }

    forward(batch: Batch): { startLogits: Tensor; endLogits: Tensor; logits: Tensor } {
      const ids = batch.inputIds!;
      const [B, T] = ids.shape as [number, number];
      const start = new Float32Array(B * T);
      const end = new Float32Array(B * T);
      for (let b = 0; b < B; b++) {
        const key = Array.from(ids.data.subarray(b * T, (b + 1) * T)).join();
        const f = this.features.find((x) => x.inputIds.join() === key)!;
        start[b * T + f.startPosition] = 10;
        end[b * T + f.endPosition + (this.offByOne && f.startPosition !== f.clsIndex ? 1 : 0)] = 10;
      }
      const startLogits = new Tensor(start, [B, T]);
      const endLogits = new Tensor(end, [B, T]);
      return { startLogits, endLogits, logits: stack([startLogits, endLogits], 2) };
    }
  }

  async function features(): Promise<QaFeature[]> {
    const tok = await AutoTokenizer.fromPretrained(
      join(import.meta.dirname, '../fixtures/text/wordpiece'),
    );
    return prepareQaFeatures(tok, examples, { maxLength: 40, docStride: 12 });
  }

  it('collates features with start and end positions', async () => {
    const fs = await features();
    const b = qaCollator()(fs.slice(0, 3));
    expect(Object.keys(b).sort()).toEqual(
      ['attentionMask', 'endPositions', 'inputIds', 'startPositions', 'tokenTypeIds'].sort(),
    );
    expect(b.inputIds!.shape).toEqual([3, 40]);
    expect(Array.from(b.startPositions!.data)).toEqual(fs.slice(0, 3).map((f) => f.startPosition));
  });

  it('evaluateQa: an oracle scores EM = F1 = 100; one token too long scores by the official F1', async () => {
    const fs = await features();
    expect(fs.length).toBeGreaterThan(examples.length); // long context: several windows each
    const perfect = evaluateQa(new OracleQa(fs), examples, fs, { batchSize: 3 });
    expect(perfect.predictions).toEqual({ q1: 'the Spirit of God', q2: 'darkness' });
    expect(perfect.exactMatch).toBe(100);
    expect(perfect.f1).toBe(100);
    const sloppy = evaluateQa(new OracleQa(fs, true), examples, fs, { batchSize: 3 });
    // The fixture's WordPiece vocabulary splits 'moved' into 'm', '##oved'.
    expect(sloppy.predictions).toEqual({ q1: 'the Spirit of God m', q2: 'darkness was' });
    expect(sloppy.exactMatch).toBe(0);
    // q1: {spirit, of, god, m} vs {spirit, of, god}: P 3/4, R 1 -> 6/7; q2: P 1/2, R 1 -> 2/3.
    expect(sloppy.f1).toBeCloseTo((100 * (6 / 7 + 2 / 3)) / 2, 10);
  });

  it('qaComputeMetrics scores Trainer.evaluate logits [N, T, 2] the same way', async () => {
    const fs = await features();
    const trainer = new Trainer<QaFeature>({
      model: new OracleQa(fs),
      args: { outputDir: outDir(), perDeviceEvalBatchSize: 4, disableProgressBar: true },
      evalDataset: fs,
      dataCollator: qaCollator(),
      computeMetrics: qaComputeMetrics(examples, fs),
    });
    const m = await trainer.evaluate();
    expect(m.eval_exact_match).toBe(100);
    expect(m.eval_f1).toBe(100);
  });

  it('trains and evaluates a tiny random BERT QA model end to end', async () => {
    const fs = await features();
    const rng = new Generator(8);
    const model = new BertForQuestionAnswering(
      {
        vocab_size: 700,
        hidden_size: 16,
        num_hidden_layers: 1,
        num_attention_heads: 2,
        intermediate_size: 16,
        max_position_embeddings: 40,
      },
      { rng },
    );
    const trainer = new Trainer<QaFeature>({
      model,
      args: {
        outputDir: outDir(),
        maxSteps: 3,
        perDeviceTrainBatchSize: 4,
        learningRate: 0.01,
        saveStrategy: 'no',
        disableProgressBar: true,
      },
      trainDataset: fs,
      dataCollator: qaCollator(),
      generators: { dropout: rng },
    });
    const out = await trainer.train();
    expect(Number.isFinite(out.trainingLoss)).toBe(true);
    const r = evaluateQa(model, examples, fs);
    expect(Object.keys(r.predictions).sort()).toEqual(['q1', 'q2']);
    expect(r.exactMatch).toBeGreaterThanOrEqual(0);
    expect(r.f1).toBeLessThanOrEqual(100);
    expect(model.training).toBe(true); // evaluateQa restores the mode it found
  });
});
