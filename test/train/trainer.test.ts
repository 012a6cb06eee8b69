/** The Trainer's loop: learning, accumulation, schedules, decay groups, eval, early stopping. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, Generator } from '../../src/core/index.js';
import { BertForSequenceClassification } from '../../src/models/index.js';
import {
  linearWarmupCosineDecayFactor,
  linearWarmupLinearDecayFactor,
} from '../../src/optim/index.js';
import {
  classificationMetrics,
  decayParameterNames,
  EarlyStoppingCallback,
  readJsonl,
  Trainer,
  trainingArguments,
  type StepInfo,
  type TrainableModel,
  type TrainerCallback,
  type TrainingArgumentsInput,
} from '../../src/train/index.js';
import {
  QUIET,
  sameBits,
  snapshot,
  tempDir,
  TinyClassifier,
  tinyDataset,
  type TinyExample,
} from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
});
function outDir(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

/** Records every step's StepInfo. */
class StepRecorder implements TrainerCallback {
  steps: StepInfo[] = [];
  onStepEnd(_a: unknown, _s: unknown, _c: unknown, info: StepInfo): void {
    this.steps.push(info);
  }
}

function tinyTrainer(
  args: Partial<TrainingArgumentsInput>,
  extra: { n?: number; seed?: number; callbacks?: TrainerCallback[]; evalN?: number } = {},
) {
  const model = new TinyClassifier(extra.seed ?? 0);
  const rec = new StepRecorder();
  const trainer = new Trainer<TinyExample>({
    model,
    args: { outputDir: outDir(), ...QUIET, ...args },
    trainDataset: tinyDataset(extra.n ?? 16),
    evalDataset: tinyDataset(extra.evalN ?? 8, 99),
    computeMetrics: classificationMetrics,
    callbacks: [rec, ...(extra.callbacks ?? [])],
  });
  return { model, trainer, rec };
}

describe('Trainer: learning', () => {
  it('the loss decreases on a tiny classification task and accuracy rises', async () => {
    const { trainer, rec } = tinyTrainer({
      numTrainEpochs: 8,
      perDeviceTrainBatchSize: 4,
      learningRate: 0.05,
      lrSchedulerType: 'constant',
    });
    const before = await trainer.evaluate();
    const out = await trainer.train();
    const after = await trainer.evaluate();
    expect(out.globalStep).toBe(32);
    expect(rec.steps).toHaveLength(32);
    const first = rec.steps.slice(0, 4).reduce((a, s) => a + s.loss, 0) / 4;
    const last = rec.steps.slice(-4).reduce((a, s) => a + s.loss, 0) / 4;
    expect(last).toBeLessThan(first * 0.5);
    expect(after.eval_loss).toBeLessThan(before.eval_loss!);
    expect(after.eval_accuracy).toBeGreaterThan(0.8);
    expect(after.eval_macro_f1).toBeGreaterThan(0.7);
  });

  it('trains a Hugging Face model class (tiny random BERT) through forward({inputIds, labels})', async () => {
    const rng = new Generator(3);
    const model = new BertForSequenceClassification(
      {
        vocab_size: 12,
        hidden_size: 16,
        num_hidden_layers: 1,
        num_attention_heads: 2,
        intermediate_size: 16,
        max_position_embeddings: 8,
        num_labels: 3,
      },
      { rng },
    );
    const m: TrainableModel = model; // the model families fit the Trainer's model type
    const rec = new StepRecorder();
    const trainer = new Trainer<TinyExample>({
      model: m,
      args: {
        outputDir: outDir(),
        ...QUIET,
        numTrainEpochs: 4,
        perDeviceTrainBatchSize: 4,
        learningRate: 0.01,
        lrSchedulerType: 'constant',
      },
      trainDataset: tinyDataset(16),
      callbacks: [rec],
      generators: { dropout: rng },
    });
    await trainer.train();
    const first = rec.steps.slice(0, 4).reduce((a, s) => a + s.loss, 0);
    const last = rec.steps.slice(-4).reduce((a, s) => a + s.loss, 0);
    expect(last).toBeLessThan(first);
  });
});

describe('Trainer: gradient accumulation', () => {
  it('batch 4 x accumulation 1 equals batch 2 x accumulation 2', async () => {
    const common = { maxSteps: 6, learningRate: 0.02, weightDecay: 0.01, warmupSteps: 2 };
    const a = tinyTrainer({ ...common, perDeviceTrainBatchSize: 4, gradientAccumulationSteps: 1 });
    const b = tinyTrainer({ ...common, perDeviceTrainBatchSize: 2, gradientAccumulationSteps: 2 });
    await a.trainer.train();
    await b.trainer.train();
    expect(b.rec.steps).toHaveLength(6);
    for (let i = 0; i < 6; i++) {
      expect(b.rec.steps[i]!.loss).toBeCloseTo(a.rec.steps[i]!.loss, 5);
      expect(b.rec.steps[i]!.gradNorm).toBeCloseTo(a.rec.steps[i]!.gradNorm, 5);
      expect(b.rec.steps[i]!.learningRate).toBe(a.rec.steps[i]!.learningRate);
    }
    const wa = a.model.stateDict();
    for (const [name, t] of b.model.stateDict()) {
      const ref = wa.get(name)!;
      for (let i = 0; i < t.size; i++) expect(t.data[i]).toBeCloseTo(ref.data[i]!, 5);
    }
  });

  it('a last step with fewer micro-batches averages over those it has', async () => {
    // 10 examples / batch 2 = 5 batches; accumulation 2 -> steps of 2, 2 and 1 micro-batches.
    const { trainer, rec } = tinyTrainer(
      { numTrainEpochs: 1, perDeviceTrainBatchSize: 2, gradientAccumulationSteps: 2 },
      { n: 10 },
    );
    const out = await trainer.train();
    expect(out.globalStep).toBe(3);
    expect(rec.steps.every((s) => Number.isFinite(s.loss))).toBe(true);
  });
});

describe('Trainer: learning-rate schedules', () => {
  const lr = 0.1;
  const run = async (type: 'linear' | 'cosine' | 'constant' | 'constant_with_warmup') => {
    // 8 examples / batch 1 / accumulation 2 = 4 optimizer steps: the schedule moves per step.
    const { rec, trainer } = tinyTrainer(
      {
        numTrainEpochs: 1,
        perDeviceTrainBatchSize: 1,
        gradientAccumulationSteps: 2,
        learningRate: lr,
        lrSchedulerType: type,
        warmupSteps: 2,
      },
      { n: 8 },
    );
    await trainer.train();
    return { lrs: rec.steps.map((s) => s.learningRate), trainer };
  };

  it('linear: warmup then linear decay, one value per optimizer step', async () => {
    const { lrs, trainer } = await run('linear');
    expect(lrs).toEqual([0, 1, 2, 3].map((s) => lr * linearWarmupLinearDecayFactor(s, 2, 4)));
    expect(lrs).toEqual([0, lr * 0.5, lr, lr * 0.5]);
    // The logged learning rate is the one the step used.
    const logged = trainer.state.logHistory.filter((e) => 'loss' in e).map((e) => e.learningRate);
    expect(logged).toEqual(lrs);
  });

  it('cosine, constant and constant_with_warmup', async () => {
    expect((await run('cosine')).lrs).toEqual(
      [0, 1, 2, 3].map((s) => lr * linearWarmupCosineDecayFactor(s, 2, 4)),
    );
    expect((await run('constant')).lrs).toEqual([lr, lr, lr, lr]);
    expect((await run('constant_with_warmup')).lrs).toEqual([0, lr / 2, lr, lr]);
  });

  it('warmupRatio gives ceil(ratio * total) warmup steps', async () => {
    const { rec, trainer } = tinyTrainer(
      { maxSteps: 10, perDeviceTrainBatchSize: 4, learningRate: 1, warmupRatio: 0.25 },
      { n: 8 },
    );
    await trainer.train();
    // ceil(2.5) = 3 warmup steps.
    expect(rec.steps.slice(0, 4).map((s) => s.learningRate)).toEqual([0, 1 / 3, 2 / 3, 1]);
  });
});

describe('Trainer: weight decay groups', () => {
  it('decays weights but not biases or LayerNorm parameters (as Hugging Face)', () => {
    expect([...decayParameterNames(new TinyClassifier())].sort()).toEqual([
      'emb.weight',
      'head.weight',
    ]);
    const bert = new BertForSequenceClassification(
      {
        vocab_size: 12,
        hidden_size: 8,
        num_hidden_layers: 1,
        num_attention_heads: 2,
        intermediate_size: 8,
        max_position_embeddings: 8,
      },
      { rng: new Generator(0) },
    );
    const names = decayParameterNames(bert);
    expect(names.has('bert.encoder.layer.0.attention.self.query.weight')).toBe(true);
    expect(names.has('classifier.weight')).toBe(true);
    expect(names.has('bert.encoder.layer.0.attention.self.query.bias')).toBe(false);
    expect(names.has('bert.embeddings.LayerNorm.weight')).toBe(false);
    expect(names.has('bert.encoder.layer.0.output.LayerNorm.weight')).toBe(false);
  });

  it('builds AdamW groups [decay, no decay]; frozen parameters are left out and never move', async () => {
    const { trainer, model } = tinyTrainer({ maxSteps: 3, weightDecay: 0.5, learningRate: 0.1 });
    model.emb.weight.requiresGrad_(false); // as a PEFT model freezes its base
    const frozen = model.emb.weight.data.slice();
    const normBefore = model.norm.weight!.data.slice();
    await trainer.train();
    const [decay, noDecay] = trainer.optimizer!.paramGroups as unknown as {
      weightDecay: number;
      params: unknown[];
    }[];
    expect(decay!.weightDecay).toBe(0.5);
    expect(noDecay!.weightDecay).toBe(0);
    expect(decay!.params).toEqual([model.head.weight]);
    expect(noDecay!.params).toEqual([model.norm.weight, model.norm.bias, model.head.bias]);
    expect(model.emb.weight.data).toEqual(frozen);
    expect(model.norm.weight!.data).not.toEqual(normBefore);
  });
});

describe('Trainer: evaluation, logging and checkpoints', () => {
  it('evaluates every evalSteps steps and writes each event to metrics.jsonl', async () => {
    const { trainer } = tinyTrainer({
      maxSteps: 6,
      perDeviceTrainBatchSize: 4,
      evalStrategy: 'steps',
      evalSteps: 2,
      loggingSteps: 3,
      saveStrategy: 'steps',
      saveSteps: 3,
    });
    await trainer.train();
    const evals = trainer.state.logHistory.filter((e) => 'eval_loss' in e);
    expect(evals.map((e) => e.step)).toEqual([2, 4, 6]);
    expect(evals.every((e) => e.eval_accuracy! >= 0 && e.eval_accuracy! <= 1)).toBe(true);
    const lines = readJsonl(join(trainer.args.outputDir, 'metrics.jsonl'));
    expect(lines.map((l) => `${l.event}@${l.step}`)).toEqual([
      'eval@2',
      'log@3',
      'save@3',
      'eval@4',
      'log@6',
      'eval@6',
      'save@6',
      'train_end@6',
    ]);
    const log3 = lines[1]!;
    expect(Object.keys(log3).sort()).toEqual(
      ['epoch', 'event', 'gradNorm', 'learningRate', 'loss', 'step', 'time'].sort(),
    );
    expect(log3.epoch).toBe(0.75); // 16 examples / 4 = 4 steps per epoch
    expect(lines[2]!.checkpoint).toBe('checkpoint-3');
    // Every log and eval line is also in the log history, in the same order.
    const history = lines.filter((l) => l.event === 'log' || l.event === 'eval');
    expect(history.map((l) => l.step)).toEqual(trainer.state.logHistory.map((e) => e.step));
  });

  it('evaluates and saves per epoch with the epoch strategy', async () => {
    const { trainer } = tinyTrainer({
      numTrainEpochs: 2,
      perDeviceTrainBatchSize: 8,
      evalStrategy: 'epoch',
      saveStrategy: 'epoch',
      loggingStrategy: 'epoch',
    });
    await trainer.train();
    expect(trainer.state.logHistory.map((e) => [e.step, 'loss' in e ? 'log' : 'eval'])).toEqual([
      [2, 'log'],
      [2, 'eval'],
      [4, 'log'],
      [4, 'eval'],
    ]);
    expect(readdirSync(trainer.args.outputDir).filter((f) => f.startsWith('checkpoint'))).toEqual(
      expect.arrayContaining(['checkpoint-2', 'checkpoint-4']),
    );
  });

  it('keeps the newest saveTotalLimit checkpoints', async () => {
    const { trainer } = tinyTrainer({
      maxSteps: 5,
      perDeviceTrainBatchSize: 4,
      saveStrategy: 'steps',
      saveSteps: 1,
      saveTotalLimit: 2,
    });
    await trainer.train();
    const dirs = readdirSync(trainer.args.outputDir).filter((f) => f.startsWith('checkpoint'));
    expect(dirs.sort()).toEqual(['checkpoint-4', 'checkpoint-5']);
    expect(readdirSync(trainer.args.outputDir).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('never rotates away the best checkpoint', async () => {
    const scripted = [0.9, 0.5, 0.6, 0.7, 0.8]; // eval_loss: best at step 2
    let call = 0;
    const { trainer } = tinyTrainer({
      maxSteps: 5,
      perDeviceTrainBatchSize: 4,
      evalStrategy: 'steps',
      evalSteps: 1,
      saveStrategy: 'steps',
      saveSteps: 1,
      saveTotalLimit: 2,
      loadBestModelAtEnd: true,
      metricForBestModel: 'score',
      greaterIsBetter: false,
    });
    trainer.computeMetrics = () => ({
      score: scripted[call++]!,
    });
    await trainer.train();
    const dirs = readdirSync(trainer.args.outputDir).filter((f) => f.startsWith('checkpoint'));
    expect(dirs.sort()).toEqual(['checkpoint-2', 'checkpoint-5']);
    expect(trainer.state.bestMetric).toBe(0.5);
    expect(trainer.state.bestModelCheckpoint).toBe(join(trainer.args.outputDir, 'checkpoint-2'));
  });

  it('shows loss, learning rate and throughput on the progress bar', async () => {
    let text = '';
    const stream = {
      isTTY: false,
      write: (s: string) => {
        text += s;
        return true;
      },
    } as unknown as NodeJS.WriteStream;
    const model = new TinyClassifier();
    const trainer = new Trainer<TinyExample>({
      model,
      args: { outputDir: outDir(), saveStrategy: 'no', maxSteps: 4, perDeviceTrainBatchSize: 4 },
      trainDataset: tinyDataset(16),
      progressStream: stream,
    });
    await trainer.train();
    expect(text).toMatch(/train .* 4\/4 .*steps\/s/);
    expect(text).toMatch(/loss=\d/);
    expect(text).toMatch(/lr=/);
    expect(text).toMatch(/samples\/s=\d/);
    expect(text).toMatch(/tokens\/s=\d/);
  });

  it('predict returns logits, labels and test_ metrics', async () => {
    const { trainer } = tinyTrainer({ maxSteps: 1 });
    const out = await trainer.predict(tinyDataset(5, 7));
    expect(out.predictions!.shape).toEqual([5, 3]);
    expect(Array.from(out.labelIds!.data)).toEqual(tinyDataset(5, 7).map((e) => e.label));
    expect(Object.keys(out.metrics)).toEqual(
      expect.arrayContaining(['test_loss', 'test_accuracy', 'test_macro_f1']),
    );
  });
});

describe('Trainer: early stopping', () => {
  /** A trainer whose evaluations report the scripted values of 'score', one per evaluation. */
  function scriptedRun(scores: number[], args: Partial<TrainingArgumentsInput>, patience: number) {
    let call = 0;
    const cb = new EarlyStoppingCallback({ earlyStoppingPatience: patience });
    const { trainer, model } = tinyTrainer(
      {
        maxSteps: 40,
        perDeviceTrainBatchSize: 4,
        evalStrategy: 'steps',
        evalSteps: 2,
        metricForBestModel: 'score',
        ...args,
      },
      { callbacks: [cb] },
    );
    trainer.computeMetrics = () => ({
      score: scores[call++] ?? 0,
    });
    return { trainer, model, cb };
  }

  it('stops after `patience` evaluations without improvement', async () => {
    // Evaluations at steps 2, 4, 6, 8: best 0.7 at step 4, then 0.69 and 0.7 (not better).
    const { trainer } = scriptedRun([0.5, 0.7, 0.69, 0.7, 0.9, 0.9], {}, 2);
    const out = await trainer.train();
    expect(out.globalStep).toBe(8);
    expect(trainer.state.bestMetric).toBe(0.7);
  });

  it('counts improvements smaller than the threshold as none', async () => {
    let call = 0;
    const scores = [0.5, 0.54, 0.58, 0.9];
    const cb = new EarlyStoppingCallback({
      earlyStoppingPatience: 2,
      earlyStoppingThreshold: 0.05,
    });
    const { trainer } = tinyTrainer(
      {
        maxSteps: 40,
        perDeviceTrainBatchSize: 4,
        evalStrategy: 'steps',
        evalSteps: 2,
        metricForBestModel: 'score',
      },
      { callbacks: [cb] },
    );
    trainer.computeMetrics = () => ({
      score: scores[call++] ?? 0,
    });
    const out = await trainer.train();
    // 0.54 and 0.58 each beat the best by less than 0.05 (0.58 - 0.54): stop at the third eval.
    expect(out.globalStep).toBe(6);
    expect(cb.patienceCounter).toBe(2);
  });

  it('with loadBestModelAtEnd restores the best checkpoint weights (lower is better for loss-like)', async () => {
    // 'score' lower is better: best at step 4.
    const { trainer, model } = scriptedRun(
      [0.8, 0.3, 0.4, 0.5, 0.1],
      {
        greaterIsBetter: false,
        loadBestModelAtEnd: true,
        saveStrategy: 'steps',
        saveSteps: 2,
      },
      2,
    );
    let atStep4: Map<string, ArrayLike<number>> | null = null;
    trainer.addCallback({
      onStepEnd: (_a, state) => {
        if (state.globalStep === 4) atStep4 = snapshot(model);
      },
    });
    const out = await trainer.train();
    expect(out.globalStep).toBe(8);
    expect(trainer.state.bestModelCheckpoint).toBe(join(trainer.args.outputDir, 'checkpoint-4'));
    expect(sameBits(snapshot(model), atStep4!)).toBe(true);
  });

  it('needs a metric and an evaluation strategy', async () => {
    const { trainer } = tinyTrainer({ maxSteps: 2 }, { callbacks: [new EarlyStoppingCallback()] });
    await expect(trainer.train()).rejects.toThrow(ConfigError);
  });
});

describe('TrainingArguments', () => {
  it('fills Hugging Face defaults', () => {
    const a = trainingArguments({ outputDir: 'out' });
    expect(a).toMatchObject({
      numTrainEpochs: 3,
      maxSteps: -1,
      perDeviceTrainBatchSize: 8,
      learningRate: 5e-5,
      adamBeta1: 0.9,
      adamBeta2: 0.999,
      adamEpsilon: 1e-8,
      maxGradNorm: 1,
      lrSchedulerType: 'linear',
      saveSteps: 500,
      seed: 42,
    });
  });

  it('rejects unknown keys, bad values and prototype keys, naming each', () => {
    expect(() => trainingArguments({ outputDir: 'o', learningRat: 1 })).toThrow(/learningRat/);
    expect(() => trainingArguments({ outputDir: 'o', perDeviceTrainBatchSize: 0 })).toThrow(
      /perDeviceTrainBatchSize/,
    );
    const polluted = JSON.parse('{"outputDir": "o", "__proto__": {"polluted": true}}');
    expect(() => trainingArguments(polluted)).toThrow(ConfigError);
    expect(() => trainingArguments({ outputDir: 'o', constructor: {} })).toThrow(ConfigError);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('checks loadBestModelAtEnd against the strategies', () => {
    expect(() =>
      trainingArguments({ outputDir: 'o', loadBestModelAtEnd: true, evalStrategy: 'steps' }),
    ).not.toThrow();
    expect(() =>
      trainingArguments({
        outputDir: 'o',
        loadBestModelAtEnd: true,
        evalStrategy: 'steps',
        evalSteps: 300,
      }),
    ).toThrow(/multiple of evalSteps/);
    expect(() =>
      trainingArguments({ outputDir: 'o', loadBestModelAtEnd: true, evalStrategy: 'epoch' }),
    ).toThrow(/saveStrategy/);
  });
});
